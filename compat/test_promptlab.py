"""The MLflow UI's prompt lab route, `runs/create-promptlab-run`, read back with MLflow's own client."""

import json

import mlflow
import pytest
from helpers import expect_rest_error
from mlflow.models import Model

URL = "/ajax-api/2.0/mlflow/runs/create-promptlab-run"


def promptlab_body(experiment, **fields):
    body = {
        "experiment_id": experiment,
        "run_name": "lab",
        "prompt_template": "Say hi to {{ name }}",
        "prompt_parameters": [{"key": "name", "value": "Bob"}],
        "model_route": "chat",
        "model_parameters": [{"key": "temperature", "value": 0.5}, {"key": "max_tokens", "value": 10}],
        "model_input": "Say hi to Bob",
        "model_output": "Hello Bob",
        "model_output_parameters": [{"key": "latency", "value": 12}],
        "mlflow_version": mlflow.__version__,
        "user_id": "lab-user",
        "start_time": 1700000000000,
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.parametrize(
    ("drop", "field"),
    [
        (["experiment_id"], "experiment_id"),
        (["prompt_template", "model_route"], "prompt_template"),
        (["prompt_parameters"], "prompt_parameters"),
        (["model_route", "model_input"], "model_route"),
        (["model_input"], "model_input"),
        (["mlflow_version"], "mlflow_version"),
    ],
)
def test_required_fields_in_mlflow_order(rest, experiment_id, drop, field):
    body = promptlab_body(experiment_id, **{name: None for name in drop})
    expect_rest_error(
        rest.post(URL, body), 400, "INVALID_PARAMETER_VALUE", f"CreatePromptlabRun request must specify {field}."
    )


def test_run_params_tags_and_artifacts_as_mlflow_writes_them(rest, client, fluent, experiment_id):
    response = rest.post(URL, promptlab_body(experiment_id))
    assert response.status_code == 200, response.text
    run = response.json()["run"]
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["run_name"] == "lab"
    assert run["info"]["user_id"] == "lab-user"
    run_id = run["info"]["run_id"]

    fetched = client.get_run(run_id)
    assert fetched.data.params == {
        "temperature": "0.5",
        "max_tokens": "10",
        "model_route": "chat",
        "prompt_template": "Say hi to {{ name }}",
    }
    assert fetched.data.tags["mlflow.runSourceType"] == "PROMPT_ENGINEERING"
    assert json.loads(fetched.data.tags["mlflow.loggedArtifacts"]) == [
        {"path": "eval_results_table.json", "type": "table"}
    ]
    [history] = json.loads(fetched.data.tags["mlflow.log-model.history"])
    assert history["artifact_path"] == "model"

    # MLflow's reader of logged tables finds the evaluation through the loggedArtifacts tag
    # (it searches runs with the fluent API, which `fluent` points at the server).
    table = client.load_table(experiment_id, "eval_results_table.json", run_ids=[run_id], extra_columns=["run_id"])
    assert list(table.columns) == ["name", "prompt", "output", "latency", "run_id"]
    assert table.iloc[0].tolist() == ["Bob", "Say hi to Bob", "Hello Bob", 12, run_id]  # pandas reads "12" as a number

    local = client.download_artifacts(run_id, "model")
    model = Model.load(local)
    assert model.run_id == run_id
    assert model.model_uuid == history["model_uuid"]
    assert model.flavors["python_function"]["loader_module"] == "mlflow.prompt.promptlab_model"
    assert [spec.name for spec in model.signature.inputs.inputs] == ["name"]
    assert model.load_input_example(local) == {"inputs": ["Bob"]}

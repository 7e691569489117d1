"""Dataset inputs: mlflow.log_input from pandas, MlflowClient.log_inputs, reading them from get_run().inputs."""

import json

import pandas as pd
from helpers import expect_rest_error
from mlflow.entities import Dataset, DatasetInput, InputTag


def frame():
    return pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5], "c": ["x", "y", "z"]})


def test_log_input_from_pandas_reads_back(fluent, client, unique):
    name = unique("ds")
    dataset = fluent.data.from_pandas(frame(), name=name, targets="b")
    fluent.set_experiment(unique("ds-exp"))
    with fluent.start_run() as run:
        fluent.log_input(dataset, context="training")

    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    logged = inputs[0].dataset
    assert logged.name == name
    assert logged.digest == dataset.digest
    assert logged.source_type == "code"
    assert json.loads(logged.source) == json.loads(dataset.source.to_json())
    assert json.loads(logged.schema) == {
        "mlflow_colspec": [
            {"type": "long", "name": "a", "required": True},
            {"type": "double", "name": "b", "required": True},
            {"type": "string", "name": "c", "required": True},
        ]
    }
    assert json.loads(logged.profile) == {"num_rows": 3, "num_elements": 9}
    assert {(tag.key, tag.value) for tag in inputs[0].tags} == {("mlflow.data.context", "training")}


def test_two_datasets_and_a_repeat(fluent, client, unique):
    train = fluent.data.from_pandas(frame(), name=unique("train"))
    evaluation = fluent.data.from_pandas(frame().head(2), name=unique("eval"))
    fluent.set_experiment(unique("ds-two"))
    with fluent.start_run() as run:
        fluent.log_input(train, context="training")
        fluent.log_input(evaluation, context="evaluation", tags={"split": "holdout"})
        # The same dataset in the same context again is not a second input.
        fluent.log_input(train, context="training")

    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    by_name = {entry.dataset.name: entry for entry in inputs}
    assert set(by_name) == {train.name, evaluation.name}
    assert {(t.key, t.value) for t in by_name[evaluation.name].tags} == {
        ("mlflow.data.context", "evaluation"),
        ("split", "holdout"),
    }
    assert json.loads(by_name[evaluation.name].dataset.profile)["num_rows"] == 2


def test_the_same_dataset_in_two_runs(fluent, client, unique):
    dataset = fluent.data.from_pandas(frame(), name=unique("shared"))
    fluent.set_experiment(unique("ds-shared"))
    run_ids = []
    for _ in range(2):
        with fluent.start_run() as run:
            fluent.log_input(dataset, context="training")
        run_ids.append(run.info.run_id)
    for run_id in run_ids:
        [entry] = client.get_run(run_id).inputs.dataset_inputs
        assert (entry.dataset.name, entry.dataset.digest) == (dataset.name, dataset.digest)


def test_client_log_inputs(client, run_id):
    dataset = Dataset(name="name1", digest="digest1", source_type="source_type1", source="source1")
    client.log_inputs(run_id, [DatasetInput(dataset=dataset, tags=[InputTag(key="tag1", value="value1")])])
    [entry] = client.get_run(run_id).inputs.dataset_inputs
    assert entry.dataset.name == "name1"
    assert entry.dataset.digest == "digest1"
    assert entry.dataset.source_type == "source_type1"
    assert entry.dataset.source == "source1"
    assert [(t.key, t.value) for t in entry.tags] == [("tag1", "value1")]


def test_search_runs_by_dataset(fluent, client, unique):
    dataset = fluent.data.from_pandas(frame(), name=unique("findme"))
    experiment = fluent.set_experiment(unique("ds-search"))
    with fluent.start_run() as with_dataset:
        fluent.log_input(dataset, context="training")
    with fluent.start_run():
        pass

    def ids(filter_string):
        return [r.info.run_id for r in client.search_runs([experiment.experiment_id], filter_string)]

    assert ids(f"datasets.name = '{dataset.name}'") == [with_dataset.info.run_id]
    assert ids(f"datasets.digest = '{dataset.digest}'") == [with_dataset.info.run_id]
    assert ids("datasets.context = 'training'") == [with_dataset.info.run_id]
    assert ids(f"datasets.name IN ('{dataset.name}', 'other')") == [with_dataset.info.run_id]


def test_log_inputs_wire_validation(run_id, rest):
    dataset = {"dataset": {"name": "n", "digest": "d", "source_type": "s", "source": "x"}}
    expect_rest_error(
        rest.post("/api/2.0/mlflow/runs/log-inputs", {"datasets": [dataset]}),
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'run_id'",
    )
    missing_run = rest.post("/api/2.0/mlflow/runs/log-inputs", {"run_id": "f" * 32, "datasets": [dataset]})
    expect_rest_error(missing_run, 404, "RESOURCE_DOES_NOT_EXIST")

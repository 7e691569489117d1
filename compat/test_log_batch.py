"""runs/log-batch: round trip, limits (1000 metrics OK, 1001 rejected), validation, atomicity."""

import math

import pytest
from helpers import expect_rest_error
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

LIMIT_MESSAGE = "A batch logging request can contain at most {limit} {what}. Got {count} {what}."


def single_request_log_batch(client, run_id, metrics=(), params=(), tags=()):
    """One runs/log-batch request through the client's REST store, without the client's own chunking."""
    client._tracking_client.store.log_batch(run_id, metrics=list(metrics), params=list(params), tags=list(tags))


def test_log_batch_round_trip(client, run_id):
    client.log_batch(
        run_id,
        metrics=[Metric("metric", 123.456, 789, 3), Metric("metric", 1.0, 790, 4), Metric("nan", float("nan"), 1, 0)],
        params=[Param("param", "value"), Param("empty", "")],
        tags=[RunTag("taggity", "do-dah"), RunTag("empty", "")],
    )
    run = client.get_run(run_id)
    assert run.data.metrics["metric"] == 1.0
    assert math.isnan(run.data.metrics["nan"])
    assert run.data.params == {"param": "value", "empty": ""}
    assert run.data.tags["taggity"] == "do-dah"
    assert run.data.tags["empty"] == ""
    history = client.get_metric_history(run_id, "metric")
    assert [(m.value, m.timestamp, m.step) for m in history] == [(123.456, 789, 3), (1.0, 790, 4)]


def test_log_batch_of_1000_metrics_in_one_request(client, run_id):
    metrics = [Metric(f"m{index}", float(index), 1000 + index, index) for index in range(1000)]
    single_request_log_batch(client, run_id, metrics=metrics)
    run = client.get_run(run_id)
    assert len(run.data.metrics) == 1000
    assert run.data.metrics["m999"] == 999.0


def test_log_batch_at_every_limit_in_one_request(client, run_id):
    metrics = [Metric("loss", float(step), 1, step) for step in range(800)]
    params = [Param(f"p{index}", str(index)) for index in range(100)]
    tags = [RunTag(f"t{index}", str(index)) for index in range(100)]
    single_request_log_batch(client, run_id, metrics=metrics, params=params, tags=tags)
    run = client.get_run(run_id)
    assert len(run.data.params) == 100
    assert all(run.data.tags[f"t{index}"] == str(index) for index in range(100))
    assert len(client.get_metric_history(run_id, "loss")) == 800


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "message"),
    [
        (1001, 0, 0, LIMIT_MESSAGE.format(limit=1000, what="metrics", count=1001)),
        (0, 101, 0, LIMIT_MESSAGE.format(limit=100, what="params", count=101)),
        (0, 0, 101, LIMIT_MESSAGE.format(limit=100, what="tags", count=101)),
        (
            900,
            100,
            1,
            LIMIT_MESSAGE.format(limit=1000, what="metrics, params, and tags", count=1001),
        ),
    ],
)
def test_log_batch_over_a_limit_is_rejected_whole(client, run_id, metrics, params, tags, message):
    with pytest.raises(MlflowException) as info:
        single_request_log_batch(
            client,
            run_id,
            metrics=[Metric(f"m{index}", 1.0, 1, 0) for index in range(metrics)],
            params=[Param(f"p{index}", "v") for index in range(params)],
            tags=[RunTag(f"t{index}", "v") for index in range(tags)],
        )
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert info.value.get_http_status_code() == 400
    assert message in info.value.message
    run = client.get_run(run_id)
    assert run.data.metrics == {}
    assert run.data.params == {}
    assert not any(key.startswith("t") and key[1:].isdigit() for key in run.data.tags)


def test_the_client_splits_large_batches(client, run_id):
    client.log_batch(
        run_id,
        metrics=[Metric("big", float(step), 1, step) for step in range(2500)],
        params=[Param(f"p{index}", "v") for index in range(250)],
    )
    assert len(client.get_metric_history(run_id, "big")) == 2500
    assert len(client.get_run(run_id).data.params) == 250


def test_a_log_batch_over_one_megabyte_is_accepted(client, run_id):
    # The client splits batches by count only, and MLflow's server takes any size, so a batch of long values
    # (here about 1.2 MB of JSON) must be accepted.
    params = [Param(f"p{index}", "p" * 5000) for index in range(100)]
    tags = [RunTag(f"t{index}", "t" * 7000) for index in range(100)]
    client.log_batch(run_id, params=params, tags=tags)
    run = client.get_run(run_id)
    assert len(run.data.params) == 100
    assert run.data.tags["t99"] == "t" * 7000


def test_log_batch_with_an_invalid_metric_stores_nothing(client, run_id, rest):
    response = rest.post(
        "/api/2.0/mlflow/runs/log-batch",
        {
            "run_id": run_id,
            "params": [{"key": "ok", "value": "1"}],
            "metrics": [{"key": "good", "value": 1, "timestamp": 1}, {"key": "bad!key", "value": 2, "timestamp": 1}],
        },
    )
    expect_rest_error(response, 400, "INVALID_PARAMETER_VALUE")
    run = client.get_run(run_id)
    assert run.data.params == {} and run.data.metrics == {}


def test_log_batch_rejects_duplicate_param_keys(client, run_id, rest):
    response = rest.post(
        "/api/2.0/mlflow/runs/log-batch",
        {"run_id": run_id, "params": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]},
    )
    expect_rest_error(response, 400, "INVALID_PARAMETER_VALUE")
    assert client.get_run(run_id).data.params == {}


def test_log_batch_changing_a_param_is_rejected(client, run_id):
    client.log_param(run_id, "lr", "0.1")
    with pytest.raises(MlflowException) as info:
        client.log_batch(run_id, params=[Param("lr", "0.2")])
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_log_batch_wire_validation(run_id, rest):
    for field in ["metrics", "params", "tags"]:
        response = rest.post("/api/2.0/mlflow/runs/log-batch", {"run_id": run_id, field: "foo"})
        expect_rest_error(response, 400, "INVALID_PARAMETER_VALUE", f"for parameter '{field}' supplied")
    missing_timestamp = rest.post(
        "/api/2.0/mlflow/runs/log-batch", {"run_id": run_id, "metrics": [{"key": "mae", "value": 2.5}]}
    )
    body = expect_rest_error(missing_timestamp, 400, "INVALID_PARAMETER_VALUE")
    assert "timestamp" in body["message"]
    no_step = rest.post(
        "/api/2.0/mlflow/runs/log-batch",
        {"run_id": run_id, "metrics": [{"key": "mae", "value": 2.5, "timestamp": 123456789}]},
    )
    assert no_step.status_code == 200, no_step.text
    assert no_step.json() == {}
    unknown_run = rest.post("/api/2.0/mlflow/runs/log-batch", {"run_id": "f" * 32, "params": []})
    expect_rest_error(unknown_run, 404, "RESOURCE_DOES_NOT_EXIST")

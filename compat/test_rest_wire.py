"""Wire-level behaviour the clients rely on: request parsing, validation messages, JSON encoding, paging."""

import math

import pytest
from helpers import expect_rest_error

API = "/api/2.0/mlflow"
MAX_DOUBLE = 1.7976931348623157e308


def create_run(rest, experiment_id, **fields):
    response = rest.post(f"{API}/runs/create", {"experiment_id": experiment_id, **fields})
    assert response.status_code == 200, response.text
    return response.json()["run"]


def test_health(rest):
    response = rest.get("/health")
    assert response.status_code == 200
    assert response.text.strip() == "OK"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": 123}, "Invalid value 123 for parameter 'name'"),
        ({}, "Missing value for required parameter 'name'"),
        ({"name": ""}, "name"),
        (
            {"name": "experiment name", "artifact_location": 9.0, "tags": [{"key": "key", "value": "value"}]},
            "Invalid value 9.0 for parameter 'artifact_location'",
        ),
        ({"name": "experiment name", "tags": "5"}, "for parameter 'tags'"),
    ],
)
def test_create_experiment_validation(rest, body, message):
    expect_rest_error(rest.post(f"{API}/experiments/create", body), 400, "INVALID_PARAMETER_VALUE", message)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"run_id": 31}, "Invalid value 31 for parameter 'run_id' supplied"),
        ({"key": 31}, "Invalid value 31 for parameter 'key' supplied"),
        ({"step": "foo"}, "for parameter 'step' supplied"),
        ({"timestamp": "foo"}, "for parameter 'timestamp' supplied"),
        ({"run_id": None}, "Missing value for required parameter 'run_id'"),
        ({"key": None}, "Missing value for required parameter 'key'"),
    ],
)
def test_log_metric_validation(rest, run_id, overrides, message):
    body = {"run_id": run_id, "key": "metric", "value": 41, "timestamp": 59, "step": 26, **overrides}
    body = {key: value for key, value in body.items() if value is not None}
    expect_rest_error(rest.post(f"{API}/runs/log-metric", body), 400, "INVALID_PARAMETER_VALUE", message)


def test_log_param_and_set_tag_validation(rest, run_id):
    expect_rest_error(
        rest.post(f"{API}/runs/log-parameter", {"run_id": 31, "key": "param", "value": "41"}),
        400,
        "INVALID_PARAMETER_VALUE",
        "Invalid value 31 for parameter 'run_id' supplied",
    )
    expect_rest_error(
        rest.post(f"{API}/runs/log-parameter", {"run_id": run_id, "key": 31, "value": "41"}),
        400,
        "INVALID_PARAMETER_VALUE",
        "Invalid value 31 for parameter 'key' supplied",
    )
    expect_rest_error(
        rest.post(f"{API}/runs/set-tag", {"run_id": run_id, "key": "tag", "value": 41}),
        400,
        "INVALID_PARAMETER_VALUE",
        "Invalid value 41 for parameter 'value' supplied",
    )
    expect_rest_error(
        rest.post(f"{API}/runs/set-tag", {"run_id": run_id, "value": "v"}),
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'key'",
    )


def test_legacy_run_uuid_is_accepted(rest, run_id):
    response = rest.post(f"{API}/runs/set-tag", {"run_uuid": run_id, "key": "key", "value": "value"})
    assert response.status_code == 200, response.text
    assert response.json() == {}
    got = rest.get(f"{API}/runs/get", {"run_uuid": run_id})
    assert got.status_code == 200, got.text
    info = got.json()["run"]["info"]
    assert info["run_id"] == run_id
    assert info["run_uuid"] == run_id


def test_run_json_encoding(rest, experiment_id):
    run = create_run(rest, experiment_id, start_time=456, run_name="wire")
    info = run["info"]
    assert info["start_time"] == 456 and isinstance(info["start_time"], int)
    assert info["status"] == "RUNNING"
    assert info["lifecycle_stage"] == "active"
    assert "end_time" not in info
    run_id = info["run_id"]
    # JSON has no NaN or infinity: protobuf's JSON mapping (and so the Python client) sends them as strings.
    for key, value in [("nan", "NaN"), ("inf", "Infinity"), ("big", 1e300)]:
        body = {"run_id": run_id, "key": key, "value": value, "timestamp": 1, "step": 0}
        response = rest.post(f"{API}/runs/log-metric", body)
        assert response.status_code == 200, response.text
    metrics = {m["key"]: m for m in rest.get(f"{API}/runs/get", {"run_id": run_id}).json()["run"]["data"]["metrics"]}
    assert metrics["nan"]["value"] == "NaN"
    inf = metrics["inf"]["value"]
    assert inf == "Infinity" or inf >= MAX_DOUBLE
    assert metrics["big"]["value"] == 1e300
    assert metrics["big"]["step"] == 0 and metrics["big"]["timestamp"] == 1


def test_int64_and_enums_accept_strings_and_numbers(rest, experiment_id):
    run = create_run(rest, experiment_id, start_time="789")
    assert run["info"]["start_time"] == 789
    run_id = run["info"]["run_id"]
    response = rest.post(f"{API}/runs/update", {"run_id": run_id, "status": 3, "end_time": "800"})
    assert response.status_code == 200, response.text
    assert response.json()["run_info"]["status"] == "FINISHED"
    assert response.json()["run_info"]["end_time"] == 800
    search = rest.post(f"{API}/runs/search", {"experiment_ids": [experiment_id], "run_view_type": "ALL"})
    assert [r["info"]["run_id"] for r in search.json()["runs"]] == [run_id]


def test_search_experiments_by_get_with_query_parameters(rest, unique):
    prefix = unique("get-search")
    for index in range(3):
        rest.post(f"{API}/experiments/create", {"name": f"{prefix}-{index}"})
    response = rest.get(
        f"{API}/experiments/search",
        {"filter": f"name LIKE '{prefix}%'", "max_results": 2, "order_by": ["name DESC"], "view_type": "ALL"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [e["name"] for e in body["experiments"]] == [f"{prefix}-2", f"{prefix}-1"]
    assert body["next_page_token"]


def test_ajax_api_prefix_serves_the_same_api(rest, experiment_id):
    response = rest.get("/ajax-api/2.0/mlflow/experiments/get", {"experiment_id": experiment_id})
    assert response.status_code == 200, response.text
    assert response.json()["experiment"]["experiment_id"] == experiment_id


def test_empty_answers_are_empty_objects(rest, run_id):
    response = rest.post(f"{API}/runs/log-parameter", {"run_id": run_id, "key": "k", "value": "v"})
    assert response.status_code == 200
    assert response.json() == {}
    search = rest.post(f"{API}/runs/search", {"experiment_ids": ["987654320"]})
    assert search.status_code == 200, search.text
    assert search.json().get("runs", []) == []


def test_metric_history_paging(rest, run_id):
    metrics = [{"key": "paged", "value": float(step), "timestamp": 100 + step, "step": step} for step in range(10)]
    assert rest.post(f"{API}/runs/log-batch", {"run_id": run_id, "metrics": metrics}).status_code == 200
    steps, token, pages = [], None, 0
    while True:
        params = {"run_id": run_id, "metric_key": "paged", "max_results": 4}
        if token:
            params["page_token"] = token
        body = rest.get(f"{API}/metrics/get-history", params).json()
        steps.append([m["step"] for m in body["metrics"]])
        pages += 1
        token = body.get("next_page_token")
        if not token or pages > 5:
            break
    assert steps == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    everything = rest.get(f"{API}/metrics/get-history", {"run_id": run_id, "metric_key": "paged"}).json()
    assert len(everything["metrics"]) == 10
    assert "next_page_token" not in everything
    bad = rest.get(f"{API}/metrics/get-history", {"run_id": run_id, "metric_key": "paged", "page_token": "!!nope"})
    expect_rest_error(bad, 400, "INVALID_PARAMETER_VALUE")


def test_metric_history_rejects_a_non_positive_max_results(rest, run_id):
    response = rest.get(f"{API}/metrics/get-history", {"run_id": run_id, "metric_key": "m", "max_results": 0})
    expect_rest_error(response, 400, "INVALID_PARAMETER_VALUE", "Invalid value 0 for parameter 'max_results' supplied")


def test_metric_history_of_an_unknown_run_is_empty(rest):
    # MLflow's SQL store does not look the run up here: an unknown run has an empty history.
    response = rest.get(f"{API}/metrics/get-history", {"run_id": "f" * 32, "metric_key": "x"})
    assert response.status_code == 200, response.text
    assert response.json().get("metrics", []) == []


def test_bad_page_token_for_search_runs(rest, experiment_id):
    response = rest.post(f"{API}/runs/search", {"experiment_ids": [experiment_id], "page_token": "!!nope"})
    expect_rest_error(response, 400, "INVALID_PARAMETER_VALUE")


def test_unknown_endpoint_is_404(rest):
    assert rest.get(f"{API}/no-such-endpoint").status_code == 404


def test_nan_metric_value_from_json_string(rest, run_id):
    response = rest.post(
        f"{API}/runs/log-metric", {"run_id": run_id, "key": "as-string", "value": "NaN", "timestamp": 5}
    )
    assert response.status_code == 200, response.text
    [point] = rest.get(f"{API}/metrics/get-history", {"run_id": run_id, "metric_key": "as-string"}).json()["metrics"]
    assert point["value"] == "NaN" or (isinstance(point["value"], float) and math.isnan(point["value"]))

"""The routes MLflow's web UI reads: metric history in bulk, sampled history, dataset summaries."""

import pytest
from helpers import expect_rest_error
from mlflow.entities import Dataset, DatasetInput, InputTag

AJAX = "/ajax-api/2.0/mlflow"

METRIC_A = [
    {"key": "metricA", "timestamp": 1, "step": 2, "value": 10.0},
    {"key": "metricA", "timestamp": 1, "step": 3, "value": 11.0},
    {"key": "metricA", "timestamp": 1, "step": 3, "value": 12.0},
    {"key": "metricA", "timestamp": 2, "step": 3, "value": 12.0},
]
METRIC_B = [
    {"key": "metricB", "timestamp": 7, "step": -2, "value": -100.0},
    {"key": "metricB", "timestamp": 8, "step": 0, "value": 0.0},
    {"key": "metricB", "timestamp": 8, "step": 0, "value": 1.0},
    {"key": "metricB", "timestamp": 9, "step": 1, "value": 12.0},
]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"metric_key": "key"}, "GetMetricHistoryBulk request must specify at least one run_id"),
        ({"run_id": [f"id_{i}" for i in range(1000)], "metric_key": "key"}, "cannot specify more than"),
        ({"run_id": ["123"]}, "GetMetricHistoryBulk request must specify a metric_key"),
    ],
)
def test_history_bulk_validation(rest, params, message):
    expect_rest_error(rest.get(f"{AJAX}/metrics/get-history-bulk", params), 400, "INVALID_PARAMETER_VALUE", message)


def test_history_bulk_orders_by_run_then_time(client, experiment_id, rest):
    run_ids = [client.create_run(experiment_id).info.run_id for _ in range(3)]
    for metric in METRIC_A + METRIC_B:
        client.log_metric(run_ids[0], **metric)
        client.log_metric(run_ids[1], **{**metric, "value": metric["value"] + 1.0})

    def bulk(runs, key, **extra):
        response = rest.get(f"{AJAX}/metrics/get-history-bulk", {"run_id": runs, "metric_key": key, **extra})
        assert response.status_code == 200, response.text
        return response.json().get("metrics", [])

    assert bulk([run_ids[0]], "metricA") == [{**m, "run_id": run_ids[0]} for m in METRIC_A]
    assert bulk([run_ids[1]], "metricB") == [{**m, "run_id": run_ids[1], "value": m["value"] + 1.0} for m in METRIC_B]
    both = [{**m, "run_id": run_ids[0]} for m in METRIC_A] + [
        {**m, "run_id": run_ids[1], "value": m["value"] + 1.0} for m in METRIC_A
    ]
    assert bulk(run_ids, "metricA") == sorted(both, key=lambda m: m["run_id"])
    assert bulk([run_ids[0]], "metricA", max_results=2) == [{**m, "run_id": run_ids[0]} for m in METRIC_A[:2]]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"metric_key": "key"}, "Missing value for required parameter 'run_ids'"),
        ({"run_ids": [f"id_{i}" for i in range(1000)], "metric_key": "key"}, "at most 100 run_ids"),
        ({"run_ids": ["123"], "metric_key": "key", "max_results": 0}, "max_results must be between 1 and 2500"),
        ({"run_ids": ["123"], "metric_key": ""}, "Missing value for required parameter 'metric_key'"),
        (
            {"run_ids": ["123"], "metric_key": "key", "start_step": 1, "end_step": 0, "max_results": 5},
            "end_step must be greater than start_step",
        ),
        (
            {"run_ids": ["123"], "metric_key": "key", "start_step": 1, "max_results": 5},
            "If either start step or end step are specified, both must be specified",
        ),
    ],
)
def test_history_bulk_interval_validation(rest, params, message):
    response = rest.get(f"{AJAX}/metrics/get-history-bulk-interval", params)
    expect_rest_error(response, 400, "INVALID_PARAMETER_VALUE", message)


def test_history_bulk_interval_samples_each_run(client, experiment_id, rest):
    first = client.create_run(experiment_id).info.run_id
    second = client.create_run(experiment_id).info.run_id
    for step in range(10):
        client.log_metric(first, "metricA", 10.0, timestamp=1, step=step)
    for step in range(20):
        client.log_metric(second, "metricA", float(step), timestamp=1, step=step)

    def sample(run_ids, **extra):
        response = rest.get(
            f"{AJAX}/metrics/get-history-bulk-interval", {"run_ids": run_ids, "metric_key": "metricA", **extra}
        )
        assert response.status_code == 200, response.text
        return response.json().get("metrics", [])

    everything = sample([first], max_results=50)
    assert [m["step"] for m in everything] == list(range(10))
    assert everything[0] == {"key": "metricA", "value": 10.0, "timestamp": 1, "step": 0, "run_id": first}

    # MLflow's releases sample differently (by distinct step, or by row); both keep the ends and stay near the bound.
    sampled = sample([first], max_results=5)
    steps = [m["step"] for m in sampled]
    assert steps[0] == 0 and steps[-1] == 9
    assert steps == sorted(set(steps))
    assert 5 <= len(steps) <= 6

    assert [m["step"] for m in sample([first], start_step=0, end_step=4, max_results=5)] == [0, 1, 2, 3, 4]

    both = sample([first, second], max_results=5)
    assert [m["run_id"] for m in both] == sorted((m["run_id"] for m in both), key=[first, second].index)
    for run_id, last in [(first, 9), (second, 19)]:
        run_steps = [m["step"] for m in both if m["run_id"] == run_id]
        assert run_steps[0] == 0 and run_steps[-1] == last


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "SearchDatasets request must specify at least one experiment_id."),
        ({"experiment_ids": []}, "SearchDatasets request must specify at least one experiment_id."),
        ({"experiment_ids": [f"id_{i}" for i in range(1000)]}, "SearchDatasets request cannot specify more than"),
    ],
)
def test_search_datasets_validation(rest, body, message):
    response = rest.post(f"{AJAX}/experiments/search-datasets", body)
    expect_rest_error(response, 400, "INVALID_PARAMETER_VALUE", message)


def test_search_datasets_summarises_inputs(client, experiment_id, rest):
    run_id = client.create_run(experiment_id).info.run_id
    dataset = Dataset(name="name1", digest="digest1", source_type="source_type1", source="source1")
    client.log_inputs(run_id, [DatasetInput(dataset=dataset, tags=[InputTag(key="mlflow.data.context", value="training")])])
    response = rest.post(f"{AJAX}/experiments/search-datasets", {"experiment_ids": [experiment_id]})
    assert response.status_code == 200, response.text
    assert response.json().get("dataset_summaries") == [
        {"experiment_id": experiment_id, "name": "name1", "digest": "digest1", "context": "training"}
    ]

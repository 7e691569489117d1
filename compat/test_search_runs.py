"""search_runs: filters on metrics/params/tags/attributes, LIKE/ILIKE, IN, order_by, paging, pandas."""

import mlflow
import pytest
from helpers import expect_mlflow_error
from mlflow.entities import Metric, Param, RunTag

# name, start_time, status, params, metrics, tags
CORPUS = [
    ("alpha-0", 1000, "FINISHED", {"model": "cnn", "lr": "0.1"}, {"acc": 0.9, "loss": 0.1}, {"team": "red"}),
    ("alpha-1", 1010, "FINISHED", {"model": "CNN", "lr": "0.01"}, {"acc": 0.5, "loss": 0.5}, {"team": "blue"}),
    ("beta-2", 1020, "FAILED", {"model": "rnn"}, {"acc": 0.7, "loss": 0.3}, {"team": "red"}),
    ("beta-3", 1030, "RUNNING", {"model": "vit"}, {"loss": 0.9}, {}),
    ("gamma-4", 1040, "KILLED", {}, {"acc": 0.2}, {"team": "Red"}),
]


@pytest.fixture(scope="module")
def corpus(client):
    """One experiment holding the five runs above; returns (experiment_id, run ids by index)."""
    import uuid

    experiment_id = client.create_experiment(f"search-corpus-{uuid.uuid4().hex[:12]}")
    ids = []
    for name, start_time, status, params, metrics, tags in CORPUS:
        run = client.create_run(experiment_id, start_time=start_time, run_name=name)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(key, value, start_time, 0) for key, value in metrics.items()],
            params=[Param(key, value) for key, value in params.items()],
            tags=[RunTag(key, value) for key, value in tags.items()],
        )
        if status != "RUNNING":
            client.set_terminated(run.info.run_id, status, end_time=start_time + 5)
        ids.append(run.info.run_id)
    return experiment_id, ids


def found(client, corpus, filter_string="", **kwargs):
    experiment_id, ids = corpus
    runs = client.search_runs([experiment_id], filter_string=filter_string, **kwargs)
    return [ids.index(run.info.run_id) for run in runs]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("", [4, 3, 2, 1, 0]),
        ("metrics.acc > 0.6", [2, 0]),
        ("metrics.acc >= 0.5 and params.model = 'cnn'", [0]),
        ("metric.loss < 0.3", [0]),
        ("metrics.loss <= 0.3", [2, 0]),
        ("metrics.acc = 0.2", [4]),
        ("metrics.acc != 0.2", [2, 1, 0]),
        ("params.model = 'cnn'", [0]),
        ("params.model != 'cnn'", [3, 2, 1]),
        ("params.model LIKE 'c%'", [0]),
        ("params.model LIKE '%N'", [1]),
        ("params.model ILIKE 'c%'", [1, 0]),
        ("param.lr = '0.01'", [1]),
        ("parameters.model LIKE '_nn'", [2, 0]),
        ("tags.team = 'red'", [2, 0]),
        ("tags.team != 'red'", [4, 1]),
        ("tags.team ILIKE 'RED'", [4, 2, 0]),
        ("tag.team LIKE 'r%'", [2, 0]),
        ("attributes.status = 'FAILED'", [2]),
        ("attribute.status != 'FINISHED'", [4, 3, 2]),
        ("status LIKE 'F%'", [2, 1, 0]),
        ("attributes.run_name = 'alpha-0'", [0]),
        ("run_name LIKE 'beta%'", [3, 2]),
        ("attributes.run_name ILIKE 'ALPHA%'", [1, 0]),
        ("tags.`mlflow.runName` = 'gamma-4'", [4]),
        ("tags.\"mlflow.runName\" LIKE '%-3'", [3]),
        ("attributes.start_time >= 1020", [4, 3, 2]),
        ("attributes.start_time < 1010", [0]),
        ("attributes.end_time > 1010", [4, 2, 1]),
        ("metrics.acc > 0.1 and tags.team = 'red' and attributes.status = 'FINISHED'", [0]),
    ],
)
def test_search_runs_filter(client, corpus, filter_string, expected):
    assert found(client, corpus, filter_string) == expected


def test_search_runs_by_run_id_lists(client, corpus):
    _, ids = corpus
    assert found(client, corpus, f"attributes.run_id IN ('{ids[0]}', '{ids[3]}')") == [3, 0]
    assert found(client, corpus, f"attributes.run_id NOT IN ('{ids[0]}', '{ids[3]}')") == [4, 2, 1]
    assert found(client, corpus, f"attributes.run_id = '{ids[2]}'") == [2]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["metrics.acc DESC"], [0, 2, 1, 4, 3]),
        (["metrics.acc ASC"], [4, 1, 2, 0, 3]),
        (["metrics.acc"], [4, 1, 2, 0, 3]),
        (["params.model ASC"], [1, 0, 2, 3, 4]),
        (["params.model DESC"], [3, 2, 0, 1, 4]),
        (["attributes.start_time ASC"], [0, 1, 2, 3, 4]),
        (["start_time DESC"], [4, 3, 2, 1, 0]),
        (["attributes.run_name DESC"], [4, 3, 2, 1, 0]),
        (["tags.team ASC", "attributes.start_time ASC"], [4, 1, 0, 2, 3]),
        (["tags.team DESC", "metrics.loss ASC"], [0, 2, 1, 4, 3]),
        (["attributes.status ASC", "start_time ASC"], [2, 0, 1, 4, 3]),
    ],
)
def test_search_runs_order_by(client, corpus, order_by, expected):
    assert found(client, corpus, order_by=order_by) == expected


def test_search_runs_paging_by_run_id_for_equal_start_times(client, experiment_id):
    runs = sorted(client.create_run(experiment_id, start_time=1).info.run_id for _ in range(10))
    first = client.search_runs([experiment_id], max_results=4)
    assert [r.info.run_id for r in first] == runs[0:4]
    assert first.token
    second = client.search_runs([experiment_id], max_results=4, page_token=first.token)
    assert [r.info.run_id for r in second] == runs[4:8]
    assert second.token
    third = client.search_runs([experiment_id], max_results=4, page_token=second.token)
    assert [r.info.run_id for r in third] == runs[8:]
    assert not third.token


def test_search_runs_paging_with_a_filter_and_order(client, experiment_id):
    for index in range(7):
        run_id = client.create_run(experiment_id, start_time=index).info.run_id
        client.log_metric(run_id, "score", float(index), timestamp=1)
    seen = []
    token = None
    for _ in range(5):
        page = client.search_runs(
            [experiment_id], "metrics.score >= 1", max_results=2, order_by=["metrics.score DESC"], page_token=token
        )
        seen.extend(run.data.metrics["score"] for run in page)
        token = page.token
        if not token:
            break
    assert seen == [6.0, 5.0, 4.0, 3.0, 2.0, 1.0]


def test_search_runs_across_experiments(client, unique):
    first = client.create_experiment(unique("across-1"))
    second = client.create_experiment(unique("across-2"))
    ids = {client.create_run(first).info.run_id, client.create_run(second).info.run_id}
    assert {r.info.run_id for r in client.search_runs([first, second])} == ids


def test_search_runs_validation(client, experiment_id):
    expect_mlflow_error(
        lambda: client.search_runs([experiment_id], max_results=123456789),
        "INVALID_PARAMETER_VALUE",
        400,
        "Invalid value 123456789 for parameter 'max_results' supplied",
    )
    for bad in ["metrics.acc > 'x'", "params.model > 'a'", "foo.bar = 1", "metrics.acc ="]:
        expect_mlflow_error(lambda bad=bad: client.search_runs([experiment_id], bad), "INVALID_PARAMETER_VALUE", 400)
    expect_mlflow_error(
        lambda: client.search_runs([experiment_id], order_by=["metrics.acc SIDEWAYS"]), "INVALID_PARAMETER_VALUE", 400
    )


def test_search_runs_into_pandas(fluent, client, corpus):
    experiment_id, ids = corpus
    frame = fluent.search_runs(experiment_ids=[experiment_id], filter_string="metrics.acc > 0.4", order_by=["metrics.acc DESC"])
    assert list(frame["run_id"]) == [ids[0], ids[2], ids[1]]
    assert list(frame["metrics.acc"]) == [0.9, 0.7, 0.5]
    assert list(frame["params.model"]) == ["cnn", "rnn", "CNN"]
    assert list(frame["tags.team"]) == ["red", "red", "blue"]
    assert list(frame["status"]) == ["FINISHED", "FAILED", "FINISHED"]
    assert set(frame["experiment_id"]) == {experiment_id}
    assert {"start_time", "end_time", "artifact_uri", "tags.mlflow.runName"} <= set(frame.columns)


def test_search_runs_into_pandas_by_experiment_name(fluent, client, corpus):
    experiment_id, ids = corpus
    name = client.get_experiment(experiment_id).name
    frame = fluent.search_runs(experiment_names=[name], max_results=2)
    assert list(frame["run_id"]) == [ids[4], ids[3]]
    as_list = mlflow.search_runs(experiment_ids=[experiment_id], output_format="list")
    assert [run.info.run_id for run in as_list] == list(reversed(ids))

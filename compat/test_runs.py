"""Runs through MlflowClient: create/get, params, metrics, tags, history, lifecycle, update."""

import math
import re
import time

from helpers import expect_mlflow_error
from mlflow.entities import RunStatus, ViewType

MAX_DOUBLE = 1.7976931348623157e308


def now_ms():
    return int(time.time() * 1000)


def test_create_run_with_all_arguments(client, experiment_id):
    tags = {
        "mlflow.user": "compat-user",
        "mlflow.source.type": "LOCAL",
        "mlflow.source.name": "compat.py",
        "mlflow.source.git.commit": "abc",
        "my": "tag",
        "empty": "",
    }
    created = client.create_run(experiment_id, start_time=456, tags=tags, run_name="my name")
    fetched = client.get_run(created.info.run_id)
    for run in (created, fetched):
        assert re.fullmatch(r"[0-9a-f]{32}", run.info.run_id)
        assert run.info.experiment_id == experiment_id
        assert run.info.user_id == "compat-user"
        assert run.info.start_time == 456
        assert run.info.end_time is None
        assert run.info.run_name == "my name"
        assert run.info.status == "RUNNING"
        assert run.info.lifecycle_stage == "active"
        assert run.info.artifact_uri
        for key, value in tags.items():
            assert run.data.tags[key] == value
        assert run.data.tags["mlflow.runName"] == "my name"
    assert [run.info for run in client.search_runs([experiment_id])] == [fetched.info]


def test_create_run_defaults(client, experiment_id):
    before = now_ms()
    run = client.get_run(client.create_run(experiment_id).info.run_id)
    assert run.info.user_id == "unknown"
    assert run.info.status == "RUNNING"
    assert before - 1000 <= run.info.start_time <= now_ms() + 1000
    # A run without a name gets a generated one, mirrored in the mlflow.runName tag.
    assert run.info.run_name
    assert run.data.tags["mlflow.runName"] == run.info.run_name
    assert run.data.metrics == {} and run.data.params == {}


def test_run_name_and_run_name_tag_must_agree(client, experiment_id):
    expect_mlflow_error(
        lambda: client.create_run(experiment_id, run_name="one", tags={"mlflow.runName": "two"}),
        "INVALID_PARAMETER_VALUE",
        400,
    )


def test_unknown_run_is_resource_does_not_exist(client):
    expect_mlflow_error(lambda: client.get_run("0123456789abcdef0123456789abcdef"), "RESOURCE_DOES_NOT_EXIST", 404)


def test_run_in_unknown_experiment_is_resource_does_not_exist(client):
    expect_mlflow_error(lambda: client.create_run("987654321"), "RESOURCE_DOES_NOT_EXIST", 404)


def test_log_metrics_params_and_tags(client, run_id):
    client.log_metric(run_id, key="metric", value=123.456, timestamp=789, step=2)
    client.log_metric(run_id, key="nan_metric", value=float("nan"))
    client.log_metric(run_id, key="inf_metric", value=float("inf"))
    client.log_metric(run_id, key="-inf_metric", value=-float("inf"))
    client.log_metric(run_id, key="stepless-metric", value=987.654, timestamp=321)
    client.log_metric(run_id, key="negative-step", value=1.5, timestamp=1, step=-3)
    client.log_param(run_id, "param", "value")
    client.log_param(run_id, "empty-param", "")
    client.set_tag(run_id, "taggity", "do-dah")
    client.set_tag(run_id, "empty-tag", "")

    run = client.get_run(run_id)
    assert run.data.metrics["metric"] == 123.456
    assert math.isnan(run.data.metrics["nan_metric"])
    assert run.data.metrics["inf_metric"] >= MAX_DOUBLE
    assert run.data.metrics["-inf_metric"] <= -MAX_DOUBLE
    assert run.data.metrics["stepless-metric"] == 987.654
    assert run.data.metrics["negative-step"] == 1.5
    assert run.data.params == {"param": "value", "empty-param": ""}
    assert run.data.tags["taggity"] == "do-dah"
    assert run.data.tags["empty-tag"] == ""

    [point] = client.get_metric_history(run_id, "metric")
    assert (point.key, point.value, point.timestamp, point.step) == ("metric", 123.456, 789, 2)
    [stepless] = client.get_metric_history(run_id, "stepless-metric")
    assert (stepless.value, stepless.timestamp, stepless.step) == (987.654, 321, 0)
    [negative] = client.get_metric_history(run_id, "negative-step")
    assert negative.step == -3
    [nan_point] = client.get_metric_history(run_id, "nan_metric")
    assert math.isnan(nan_point.value)
    assert client.get_metric_history(run_id, "never-logged") == []


def test_params_are_write_once(client, run_id):
    client.log_param(run_id, "lr", "0.1")
    client.log_param(run_id, "lr", "0.1")
    expect_mlflow_error(lambda: client.log_param(run_id, "lr", "0.2"), "INVALID_PARAMETER_VALUE", 400)
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_tags_are_upserts(client, run_id):
    client.set_tag(run_id, "stage", "one")
    client.set_tag(run_id, "stage", "two")
    assert client.get_run(run_id).data.tags["stage"] == "two"


def test_latest_metric_is_the_highest_step_then_latest_timestamp(client, run_id):
    client.log_metric(run_id, "loss", 5.0, timestamp=100, step=5)
    client.log_metric(run_id, "loss", 2.0, timestamp=999, step=2)
    assert client.get_run(run_id).data.metrics["loss"] == 5.0
    client.log_metric(run_id, "loss", 7.0, timestamp=200, step=5)
    assert client.get_run(run_id).data.metrics["loss"] == 7.0
    client.log_metric(run_id, "loss", 1.0, timestamp=50, step=6)
    assert client.get_run(run_id).data.metrics["loss"] == 1.0


def test_metric_history_holds_every_point_ordered_by_timestamp_step_value(client, run_id):
    points = [(3.0, 30, 1), (1.0, 10, 0), (2.0, 10, 2), (2.5, 10, 2), (4.0, 40, 3), (0.5, 5, 9)]
    for value, timestamp, step in points:
        client.log_metric(run_id, "curve", value, timestamp=timestamp, step=step)
    # The same point again is not stored twice.
    client.log_metric(run_id, "curve", 3.0, timestamp=30, step=1)
    history = client.get_metric_history(run_id, "curve")
    assert [(m.timestamp, m.step, m.value) for m in history] == sorted((t, s, v) for v, t, s in points)


def test_metric_history_of_many_points(client, run_id):
    from mlflow.entities import Metric

    metrics = [Metric("long", float(step), 1000 + step, step) for step in range(2500)]
    for start in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[start : start + 1000])
    history = client.get_metric_history(run_id, "long")
    assert len(history) == 2500
    assert [m.step for m in history] == list(range(2500))
    assert client.get_run(run_id).data.metrics["long"] == 2499.0


def test_delete_tag(client, run_id):
    client.set_tag(run_id, "taggity", "do-dah")
    client.delete_tag(run_id, "taggity")
    assert "taggity" not in client.get_run(run_id).data.tags
    expect_mlflow_error(lambda: client.delete_tag(run_id, "taggity"), "RESOURCE_DOES_NOT_EXIST", 404)
    expect_mlflow_error(
        lambda: client.delete_tag("0123456789abcdef0123456789abcdef", "taggity"), "RESOURCE_DOES_NOT_EXIST", 404
    )
    client.delete_run(run_id)
    expect_mlflow_error(lambda: client.delete_tag(run_id, "other"), "INVALID_PARAMETER_VALUE", 400)


def test_writes_to_a_deleted_run_are_rejected(client, run_id):
    client.delete_run(run_id)
    expect_mlflow_error(lambda: client.log_param(run_id, "p", "v"), "INVALID_PARAMETER_VALUE", 400)
    expect_mlflow_error(lambda: client.log_metric(run_id, "m", 1.0), "INVALID_PARAMETER_VALUE", 400)
    expect_mlflow_error(lambda: client.set_tag(run_id, "t", "v"), "INVALID_PARAMETER_VALUE", 400)


def test_delete_and_restore_run_across_view_types(client, experiment_id):
    kept = client.create_run(experiment_id).info.run_id
    gone = client.create_run(experiment_id).info.run_id
    client.delete_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "deleted"

    def ids(view_type):
        return {r.info.run_id for r in client.search_runs([experiment_id], run_view_type=view_type)}

    assert {r.info.run_id for r in client.search_runs([experiment_id])} == {kept}
    assert ids(ViewType.ACTIVE_ONLY) == {kept}
    assert ids(ViewType.DELETED_ONLY) == {gone}
    assert ids(ViewType.ALL) == {kept, gone}

    client.restore_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "active"
    assert ids(ViewType.ACTIVE_ONLY) == {kept, gone}


def test_deleting_an_unknown_run_is_resource_does_not_exist(client):
    expect_mlflow_error(
        lambda: client.delete_run("0123456789abcdef0123456789abcdef"), "RESOURCE_DOES_NOT_EXIST", 404
    )


def test_set_terminated_defaults_to_finished_now(client, run_id):
    assert client.get_run(run_id).info.end_time is None
    client.set_terminated(run_id)
    info = client.get_run(run_id).info
    assert info.status == "FINISHED"
    assert info.end_time is not None and info.end_time <= now_ms() + 1000


def test_set_terminated_with_status_and_end_time(client, run_id):
    client.set_terminated(run_id, "FAILED", end_time=123456)
    info = client.get_run(run_id).info
    assert info.status == "FAILED"
    assert info.end_time == 123456


def test_update_run_name_keeps_status_and_tag_in_sync(client, run_id):
    client.set_terminated(run_id, "FINISHED")
    client.update_run(run_id, name="name_abc")
    run = client.get_run(run_id)
    assert run.info.run_name == "name_abc"
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.runName"] == "name_abc"


def test_update_run_status_only(client, run_id):
    name = client.get_run(run_id).info.run_name
    client.update_run(run_id, status="KILLED")
    info = client.get_run(run_id).info
    assert info.status == RunStatus.to_string(RunStatus.KILLED)
    assert info.run_name == name


def test_setting_the_run_name_tag_renames_the_run(client, run_id):
    client.set_tag(run_id, "mlflow.runName", "renamed-by-tag")
    assert client.get_run(run_id).info.run_name == "renamed-by-tag"


def test_int64_steps_and_timestamps_beyond_2_53_round_trip(client, run_id):
    # Steps are int64: nanosecond clocks or sample counters as steps exceed JavaScript's 2^53.
    steps = [2**53 + 1, 1_795_000_000_000_000_001, -(2**62)]
    for step in steps:
        client.log_metric(run_id, "i64", 1.0, timestamp=1, step=step)
    client.log_metric(run_id, "late", 2.0, timestamp=2**62, step=0)
    assert sorted(m.step for m in client.get_metric_history(run_id, "i64")) == sorted(steps)
    assert [m.timestamp for m in client.get_metric_history(run_id, "late")] == [2**62]
    assert client.get_run(run_id).data.metrics["i64"] == 1.0


def test_metric_history_longer_than_one_client_page(client, run_id):
    # The client reads histories in pages of 25000 points, following next_page_token.
    from mlflow.entities import Metric

    total = 26_000
    for start in range(0, total, 1000):
        client.log_batch(run_id, metrics=[Metric("huge", float(s), 1, s) for s in range(start, start + 1000)])
    history = client.get_metric_history(run_id, "huge")
    assert len(history) == total
    assert [m.step for m in history[:3]] == [0, 1, 2]
    assert history[-1].step == total - 1

"""The fluent API: set_experiment, start_run (nested), log_*, set_tag(s), end_run, search."""

import math

import pytest


def test_set_experiment_creates_then_reuses(fluent, client, unique):
    name = unique("fluent")
    created = fluent.set_experiment(name)
    assert created.name == name
    assert client.get_experiment_by_name(name).experiment_id == created.experiment_id
    again = fluent.set_experiment(name)
    assert again.experiment_id == created.experiment_id
    by_id = fluent.set_experiment(experiment_id=created.experiment_id)
    assert by_id.name == name


def test_a_run_logs_params_metrics_and_tags(fluent, client, unique):
    experiment = fluent.set_experiment(unique("fluent-run"))
    with fluent.start_run(run_name="fluent-run", tags={"origin": "compat"}, description="a note") as run:
        run_id = run.info.run_id
        assert fluent.active_run().info.run_id == run_id
        fluent.log_param("lr", 0.01)
        fluent.log_params({"epochs": 3, "optimizer": "adam"})
        for step in range(3):
            fluent.log_metric("loss", 1.0 / (step + 1), step=step)
        fluent.log_metrics({"acc": 0.5, "f1": float("nan")}, step=7)
        fluent.set_tag("stage", "train")
        fluent.set_tags({"owner": "compat", "empty": ""})

    assert fluent.active_run() is None
    finished = client.get_run(run_id)
    assert finished.info.experiment_id == experiment.experiment_id
    assert finished.info.status == "FINISHED"
    assert finished.info.end_time is not None
    assert finished.info.run_name == "fluent-run"
    assert finished.data.params == {"lr": "0.01", "epochs": "3", "optimizer": "adam"}
    assert finished.data.metrics["loss"] == pytest.approx(1 / 3)
    assert finished.data.metrics["acc"] == 0.5
    assert math.isnan(finished.data.metrics["f1"])
    tags = finished.data.tags
    assert tags["stage"] == "train" and tags["owner"] == "compat" and tags["empty"] == ""
    assert tags["origin"] == "compat"
    assert tags["mlflow.note.content"] == "a note"
    assert tags["mlflow.runName"] == "fluent-run"
    assert "mlflow.user" in tags and "mlflow.source.name" in tags
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "loss")] == [
        (0, 1.0),
        (1, 0.5),
        (2, pytest.approx(1 / 3)),
    ]
    assert [m.step for m in client.get_metric_history(run_id, "acc")] == [7]
    assert fluent.last_active_run().info.run_id == run_id


def test_nested_runs_point_at_their_parent(fluent, client, unique):
    experiment = fluent.set_experiment(unique("nested"))
    with fluent.start_run(run_name="parent") as parent:
        with fluent.start_run(run_name="child-1", nested=True) as first:
            fluent.log_param("child", "1")
            with fluent.start_run(run_name="grandchild", nested=True) as grandchild:
                fluent.log_metric("depth", 2)
        with fluent.start_run(run_name="child-2", nested=True) as second:
            fluent.log_param("child", "2")
        assert fluent.active_run().info.run_id == parent.info.run_id

    parent_id = parent.info.run_id
    assert client.get_run(first.info.run_id).data.tags["mlflow.parentRunId"] == parent_id
    assert client.get_run(second.info.run_id).data.tags["mlflow.parentRunId"] == parent_id
    assert client.get_run(grandchild.info.run_id).data.tags["mlflow.parentRunId"] == first.info.run_id
    assert "mlflow.parentRunId" not in client.get_run(parent_id).data.tags
    children = client.search_runs([experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'")
    assert {run.info.run_name for run in children} == {"child-1", "child-2"}
    everything = client.search_runs([experiment.experiment_id])
    assert len(everything) == 4
    assert {run.info.status for run in everything} == {"FINISHED"}


def test_a_failing_block_marks_the_run_failed(fluent, client, unique):
    fluent.set_experiment(unique("failing"))
    with pytest.raises(RuntimeError):
        with fluent.start_run() as run:
            raise RuntimeError("boom")
    assert client.get_run(run.info.run_id).info.status == "FAILED"


def test_end_run_with_a_status_and_resume_by_run_id(fluent, client, unique):
    fluent.set_experiment(unique("resume"))
    run = fluent.start_run()
    fluent.log_param("first", "yes")
    fluent.end_run(status="KILLED")
    assert client.get_run(run.info.run_id).info.status == "KILLED"

    with fluent.start_run(run_id=run.info.run_id) as resumed:
        assert resumed.info.run_id == run.info.run_id
        assert client.get_run(run.info.run_id).info.status == "RUNNING"
        fluent.log_param("second", "yes")
    final = client.get_run(run.info.run_id)
    assert final.info.status == "FINISHED"
    assert final.data.params == {"first": "yes", "second": "yes"}


def test_fluent_reads(fluent, client, unique):
    name = unique("reads")
    experiment = fluent.set_experiment(name)
    with fluent.start_run() as run:
        fluent.log_metric("m", 1.0)
    assert fluent.get_experiment(experiment.experiment_id).name == name
    assert fluent.get_experiment_by_name(name).experiment_id == experiment.experiment_id
    assert fluent.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    assert [e.name for e in fluent.search_experiments(filter_string=f"name = '{name}'")] == [name]
    fluent.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"


def test_asynchronous_logging_lands(fluent, client, unique):
    fluent.set_experiment(unique("async"))
    with fluent.start_run() as run:
        operations = [fluent.log_metric("async-loss", 1.0 / (step + 1), step=step, synchronous=False) for step in range(20)]
        operations.append(fluent.log_params({"mode": "async"}, synchronous=False))
        operations.append(fluent.set_tags({"async": "yes"}, synchronous=False))
        for operation in operations:
            operation.wait()
    finished = client.get_run(run.info.run_id)
    assert [m.step for m in client.get_metric_history(run.info.run_id, "async-loss")] == list(range(20))
    assert finished.data.params == {"mode": "async"}
    assert finished.data.tags["async"] == "yes"

"""Experiments through MlflowClient: create/get, errors, rename, delete/restore, tags, search."""

import time

import pytest
from helpers import expect_mlflow_error, expect_rest_error
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException


def test_create_and_get_experiment_with_location_and_tags(client, unique, tmp_path):
    name = unique("exp")
    location = str(tmp_path / "artifacts")
    experiment_id = client.create_experiment(name, artifact_location=location, tags={"team": "red", "empty": ""})

    experiment = client.get_experiment(experiment_id)
    assert experiment.experiment_id == experiment_id
    assert experiment.name == name
    assert experiment.artifact_location == location
    assert experiment.lifecycle_stage == "active"
    assert experiment.tags == {"team": "red", "empty": ""}
    assert experiment.creation_time > 0
    assert experiment.last_update_time >= experiment.creation_time

    by_name = client.get_experiment_by_name(name)
    assert by_name.experiment_id == experiment_id
    assert by_name.tags == {"team": "red", "empty": ""}


def test_experiment_ids_are_distinct_strings(client, unique):
    ids = [client.create_experiment(unique("ids")) for _ in range(3)]
    assert all(isinstance(experiment_id, str) and experiment_id for experiment_id in ids)
    assert len(set(ids)) == 3


def test_default_experiment_exists(client):
    default = client.get_experiment("0")
    assert default.name == "Default"
    assert default.lifecycle_stage == "active"
    assert client.get_experiment_by_name("Default").experiment_id == "0"


def test_duplicate_experiment_name_is_resource_already_exists(client, unique):
    name = unique("dup")
    client.create_experiment(name)
    expect_mlflow_error(lambda: client.create_experiment(name), "RESOURCE_ALREADY_EXISTS", 400)


def test_unknown_experiment_id_is_resource_does_not_exist(client):
    expect_mlflow_error(lambda: client.get_experiment("987654321"), "RESOURCE_DOES_NOT_EXIST", 404)


def test_unknown_experiment_name_reads_as_none(client, unique, rest):
    name = unique("missing")
    assert client.get_experiment_by_name(name) is None
    response = rest.get("/api/2.0/mlflow/experiments/get-by-name", {"experiment_name": name})
    expect_rest_error(response, 404, "RESOURCE_DOES_NOT_EXIST")


def test_rename_experiment(client, unique):
    old, new = unique("old"), unique("new")
    experiment_id = client.create_experiment(old)
    client.rename_experiment(experiment_id, new)
    assert client.get_experiment(experiment_id).name == new
    assert client.get_experiment_by_name(new).experiment_id == experiment_id
    assert client.get_experiment_by_name(old) is None


def test_rename_to_a_taken_name_fails_and_keeps_the_name(client, unique):
    first, second = unique("first"), unique("second")
    client.create_experiment(first)
    second_id = client.create_experiment(second)
    with pytest.raises(MlflowException) as info:
        client.rename_experiment(second_id, first)
    # MLflow's SQL store answers BAD_REQUEST (a wrapped IntegrityError); RESOURCE_ALREADY_EXISTS is as good.
    assert info.value.error_code in ("BAD_REQUEST", "RESOURCE_ALREADY_EXISTS")
    assert info.value.get_http_status_code() == 400
    assert client.get_experiment(second_id).name == second


def test_renaming_a_deleted_experiment_is_invalid_state(client, experiment_id, unique, rest):
    client.delete_experiment(experiment_id)
    # MLflow answers 500 here, which its client retries for minutes; Cairn keeps the code and answers 400.
    response = rest.post("/api/2.0/mlflow/experiments/update", {"experiment_id": experiment_id, "new_name": unique("n")})
    expect_rest_error(response, 400, "INVALID_STATE")
    with pytest.raises(MlflowException) as error:
        client.rename_experiment(experiment_id, unique("n"))
    assert error.value.error_code == "INVALID_STATE"


def test_delete_and_restore_experiment_across_view_types(client, unique):
    prefix = unique("views")
    kept = client.create_experiment(f"{prefix}-kept")
    gone = client.create_experiment(f"{prefix}-gone")
    client.delete_experiment(gone)

    assert client.get_experiment(gone).lifecycle_stage == "deleted"
    # get-by-name finds deleted experiments too.
    assert client.get_experiment_by_name(f"{prefix}-gone").experiment_id == gone

    def names(view_type=None):
        kwargs = {"filter_string": f"name LIKE '{prefix}%'"}
        if view_type is not None:
            kwargs["view_type"] = view_type
        return {e.name for e in client.search_experiments(**kwargs)}

    assert names() == {f"{prefix}-kept"}
    assert names(ViewType.ACTIVE_ONLY) == {f"{prefix}-kept"}
    assert names(ViewType.DELETED_ONLY) == {f"{prefix}-gone"}
    assert names(ViewType.ALL) == {f"{prefix}-kept", f"{prefix}-gone"}

    client.restore_experiment(gone)
    assert client.get_experiment(gone).lifecycle_stage == "active"
    assert names(ViewType.ACTIVE_ONLY) == {f"{prefix}-kept", f"{prefix}-gone"}
    assert client.get_experiment(kept).lifecycle_stage == "active"


def test_deleting_an_experiment_deletes_its_runs_and_restore_brings_them_back(client, experiment_id):
    run_id = client.create_run(experiment_id).info.run_id
    client.delete_experiment(experiment_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    client.restore_experiment(experiment_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_new_runs_in_a_deleted_experiment_are_rejected(client, experiment_id):
    client.delete_experiment(experiment_id)
    expect_mlflow_error(lambda: client.create_run(experiment_id), "INVALID_PARAMETER_VALUE", 400)


def test_deleting_an_unknown_experiment_is_resource_does_not_exist(client):
    expect_mlflow_error(lambda: client.delete_experiment("987654321"), "RESOURCE_DOES_NOT_EXIST", 404)
    expect_mlflow_error(lambda: client.restore_experiment("987654321"), "RESOURCE_DOES_NOT_EXIST", 404)


def test_experiment_tags_upsert_isolate_and_delete(client, unique):
    first = client.create_experiment(unique("tags-1"))
    second = client.create_experiment(unique("tags-2"))
    client.set_experiment_tag(first, "dataset", "imagenet")
    client.set_experiment_tag(first, "dataset", "birdbike")
    client.set_experiment_tag(first, "multi line", "a\nb\nc")
    client.set_experiment_tag(first, "empty", "")
    client.set_experiment_tag(second, "dataset", "birds200")

    assert client.get_experiment(first).tags == {"dataset": "birdbike", "multi line": "a\nb\nc", "empty": ""}
    assert client.get_experiment(second).tags == {"dataset": "birds200"}

    client.delete_experiment_tag(first, "dataset")
    assert "dataset" not in client.get_experiment(first).tags
    assert client.get_experiment(second).tags == {"dataset": "birds200"}
    expect_mlflow_error(lambda: client.delete_experiment_tag(first, "dataset"), "RESOURCE_DOES_NOT_EXIST", 404)


def test_experiment_tag_values_up_to_20000_characters(client, experiment_id, rest):
    # MLflow 3.x allows experiment tag values of up to 20000 characters (older releases: 5000).
    for length in (6000, 20000):
        client.set_experiment_tag(experiment_id, f"long-{length}", "x" * length)
        assert client.get_experiment(experiment_id).tags[f"long-{length}"] == "x" * length
    response = rest.post(
        "/api/2.0/mlflow/experiments/set-experiment-tag",
        {"experiment_id": experiment_id, "key": "too-long", "value": "x" * 20001},
    )
    expect_rest_error(response, 400, "INVALID_PARAMETER_VALUE")


def test_search_experiments_filters(client, unique):
    prefix = unique("search")
    ids = {}
    for suffix, tags in [("a", {"key": "value"}), ("ab", {"key": "vaLue"}), ("Abc", None)]:
        time.sleep(0.005)
        ids[suffix] = client.create_experiment(f"{prefix}-{suffix}", tags=tags)

    def search(filter_string, **kwargs):
        scoped = f"name LIKE '{prefix}%'" + (f" AND {filter_string}" if filter_string else "")
        return [e.name.removeprefix(f"{prefix}-") for e in client.search_experiments(filter_string=scoped, **kwargs)]

    # Default order: newest first.
    assert search("") == ["Abc", "ab", "a"]
    assert search(f"name = '{prefix}-a'") == ["a"]
    assert search(f"attribute.name != '{prefix}-a'") == ["Abc", "ab"]
    assert search(f"name LIKE '{prefix}-a%'") == ["ab", "a"]
    assert search(f"name ILIKE '{prefix}-a%'") == ["Abc", "ab", "a"]
    assert search("tags.key = 'value'") == ["a"]
    assert search("tag.key != 'value'") == ["ab"]
    assert search("tags.key LIKE '%Lu%'") == ["ab"]
    assert search("tags.key ILIKE '%alu%'") == ["ab", "a"]

    created = client.get_experiment(ids["ab"]).creation_time
    assert search(f"creation_time >= {created}") == ["Abc", "ab"]
    assert search(f"creation_time < {created}") == ["a"]


def test_search_experiments_order_by(client, unique):
    prefix = unique("order")
    for suffix in ["a", "ab", "Abc"]:
        time.sleep(0.005)
        client.create_experiment(f"{prefix}-{suffix}")

    def order(*order_by):
        found = client.search_experiments(filter_string=f"name LIKE '{prefix}%'", order_by=list(order_by))
        return [e.name.removeprefix(f"{prefix}-") for e in found]

    # Names compare as bytes: "ab" > "a" > "Abc".
    assert order("name DESC") == ["ab", "a", "Abc"]
    assert order("name ASC") == ["Abc", "a", "ab"]
    assert order("name") == ["Abc", "a", "ab"]
    assert order("creation_time ASC") == ["a", "ab", "Abc"]
    assert order("creation_time DESC") == ["Abc", "ab", "a"]
    assert order("experiment_id DESC") == ["Abc", "ab", "a"]


def test_search_experiments_paging(client, unique):
    prefix = unique("paging")
    for index in range(5):
        time.sleep(0.005)
        client.create_experiment(f"{prefix}-{index}")
    scoped = f"name LIKE '{prefix}%'"

    first = client.search_experiments(filter_string=scoped, max_results=2)
    assert [e.name for e in first] == [f"{prefix}-4", f"{prefix}-3"]
    assert first.token
    second = client.search_experiments(filter_string=scoped, max_results=2, page_token=first.token)
    assert [e.name for e in second] == [f"{prefix}-2", f"{prefix}-1"]
    assert second.token
    third = client.search_experiments(filter_string=scoped, max_results=2, page_token=second.token)
    assert [e.name for e in third] == [f"{prefix}-0"]
    assert not third.token


def test_search_experiments_rejects_bad_filters(client):
    expect_mlflow_error(
        lambda: client.search_experiments(filter_string="metrics.x > 1"), "INVALID_PARAMETER_VALUE", 400
    )
    expect_mlflow_error(
        lambda: client.search_experiments(filter_string="name = "), "INVALID_PARAMETER_VALUE", 400
    )

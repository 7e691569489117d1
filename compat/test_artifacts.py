"""Artifacts with the real MLflow client: through the server's artifact proxy, and with a direct S3 root.

The S3 tests need `CAIRN_COMPAT_S3_ROOT` (an `s3://bucket/prefix` the client may write to) plus
`MLFLOW_S3_ENDPOINT_URL` and AWS credentials in the environment; `node scripts/test.mjs compat` starts an
s3rver and sets them. `CAIRN_COMPAT_S3_SERVED=1` says the server was started with that bucket as its
`--artifacts-destination`, so it may list and serve run artifacts stored there too.
"""

import json
import os
import posixpath

import mlflow
import numpy as np
import pytest
import requests
import yaml
from helpers import expect_rest_error
from mlflow import MlflowClient
from PIL import Image

API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(path, mode) as handle:
        handle.write(content)


def listing(client, run_id, path=None):
    return sorted((f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path))


def exercise_client(client, run_id, tmp_path):
    """The Python client's artifact calls on one run; answers what was logged."""
    write(str(tmp_path / "upload" / "model.bin"), os.urandom(300_000))
    write(str(tmp_path / "folder" / "a.txt"), "a")
    write(str(tmp_path / "folder" / "nested" / "b.csv"), "x,y\n1,2\n")

    client.log_artifact(run_id, str(tmp_path / "upload" / "model.bin"), "model")
    client.log_artifacts(run_id, str(tmp_path / "folder"), "data")
    client.log_text(run_id, "hello artifacts", "notes/readme.txt")
    client.log_dict(run_id, {"lr": 0.01, "layers": [64, 32]}, "config/params.json")
    client.log_dict(run_id, {"optimizer": "adam", "epochs": 3}, "config/params.yaml")
    image = np.zeros((8, 12, 3), dtype=np.uint8)
    image[:, :, 0] = 255
    client.log_image(run_id, image, "images/red.png")

    assert listing(client, run_id) == [
        ("config", True, None),
        ("data", True, None),
        ("images", True, None),
        ("model", True, None),
        ("notes", True, None),
    ]
    assert listing(client, run_id, "model") == [("model/model.bin", False, 300_000)]
    assert listing(client, run_id, "data") == [("data/a.txt", False, 1), ("data/nested", True, None)]

    run_uri = f"runs:/{run_id}"
    assert mlflow.artifacts.load_dict(f"{run_uri}/config/params.json") == {"lr": 0.01, "layers": [64, 32]}
    # load_dict reads JSON only; the YAML one is read back as text.
    assert yaml.safe_load(mlflow.artifacts.load_text(f"{run_uri}/config/params.yaml")) == {"optimizer": "adam", "epochs": 3}
    assert mlflow.artifacts.load_text(f"{run_uri}/notes/readme.txt") == "hello artifacts"

    single = client.download_artifacts(run_id, "model/model.bin", str(tmp_path / "one"))
    with open(single, "rb") as downloaded, open(tmp_path / "upload" / "model.bin", "rb") as original:
        assert downloaded.read() == original.read()
    folder = client.download_artifacts(run_id, "data", str(tmp_path / "all"))
    with open(os.path.join(folder, "nested", "b.csv")) as handle:
        assert handle.read() == "x,y\n1,2\n"
    png = mlflow.artifacts.download_artifacts(f"{run_uri}/images/red.png", dst_path=str(tmp_path / "img"))
    with Image.open(png) as loaded:
        assert loaded.size == (12, 8)
        assert loaded.getpixel((0, 0))[:3] == (255, 0, 0)


# ---- through the artifact proxy (mlflow-artifacts:/) ----


def test_run_artifact_uri_is_laid_out_as_mlflow(client, experiment_id):
    run = client.create_run(experiment_id)
    assert run.info.artifact_uri == f"mlflow-artifacts:/{experiment_id}/{run.info.run_id}/artifacts"


def test_client_artifact_calls_through_the_proxy(client, run_id, tmp_path, fluent):
    exercise_client(client, run_id, tmp_path)


def test_fluent_artifact_calls(fluent, experiment_id, tmp_path):
    write(str(tmp_path / "f.txt"), "fluent")
    with fluent.start_run(experiment_id=experiment_id) as run:
        fluent.log_artifact(str(tmp_path / "f.txt"))
        fluent.log_text("text", "t/t.txt")
        fluent.log_dict({"a": 1}, "d.json")
    client = MlflowClient(fluent.get_tracking_uri())
    assert listing(client, run.info.run_id) == [("d.json", False, 12), ("f.txt", False, 6), ("t", True, None)]
    assert fluent.artifacts.load_dict(f"runs:/{run.info.run_id}/d.json") == {"a": 1}


def test_server_lists_run_artifacts_and_serves_them(client, run_id, rest, experiment_id, tmp_path, fluent):
    client.log_text(run_id, "<script>alert(1)</script>", "report.html")
    client.log_dict(run_id, {"k": "v"}, "dir/x.json")
    listed = rest.get(f"{API}/artifacts/list", {"run_id": run_id}).json()
    assert listed["root_uri"] == client.get_run(run_id).info.artifact_uri
    assert listed["files"] == [
        {"path": "dir", "is_dir": True},
        {"path": "report.html", "is_dir": False, "file_size": 25},
    ]
    nested = rest.get(f"{API}/artifacts/list", {"run_id": run_id, "path": "dir"}).json()
    assert [entry["path"] for entry in nested["files"]] == ["dir/x.json"]

    html = rest.get("/get-artifact", {"run_uuid": run_id, "path": "report.html"})
    assert html.status_code == 200
    assert html.headers["Content-Disposition"].startswith("attachment")
    assert html.headers["X-Content-Type-Options"] == "nosniff"
    as_json = rest.get("/get-artifact", {"run_id": run_id, "path": "dir/x.json"})
    assert as_json.headers["Content-Type"].startswith("text/plain")
    assert json.loads(as_json.text) == {"k": "v"}


def test_proxy_range_request(client, run_id, rest, tracking_uri, fluent):
    client.log_text(run_id, "0123456789", "digits.txt")
    root = client.get_run(run_id).info.artifact_uri.replace("mlflow-artifacts:", "").lstrip("/")
    response = requests.get(f"{tracking_uri}{PROXY}/{root}/digits.txt", headers={"Range": "bytes=3-6"}, timeout=60)
    assert response.status_code == 206
    assert response.text == "3456"
    assert response.headers["Content-Range"] == "bytes 3-6/10"


@pytest.mark.parametrize(
    "path",
    ["../../../../etc/passwd", "a/../../b", "%2e%2e/%2e%2e/etc/passwd", "..\\..\\etc\\passwd", "/etc/passwd"],
)
def test_unsafe_paths_are_invalid(rest, run_id, path):
    expect_rest_error(rest.get("/get-artifact", {"run_id": run_id, "path": path}), 400, "INVALID_PARAMETER_VALUE")
    expect_rest_error(rest.get(f"{API}/artifacts/list", {"run_id": run_id, "path": path}), 400, "INVALID_PARAMETER_VALUE")
    expect_rest_error(rest.get(PROXY, {"path": path}), 400, "INVALID_PARAMETER_VALUE")


def test_multipart_upload_through_the_proxy(client, run_id, tmp_path, monkeypatch, fluent):
    """With proxy multipart enabled the client asks mpu/create; an S3 destination accepts it, a local one
    answers NOT_IMPLEMENTED and the client falls back to one streamed PUT. The file arrives either way."""
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(5 * 1024 * 1024))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * 1024 * 1024))
    data = os.urandom(11 * 1024 * 1024 + 5)
    write(str(tmp_path / "big.bin"), data)
    client.log_artifact(run_id, str(tmp_path / "big.bin"), "mpu")
    assert listing(client, run_id, "mpu") == [("mpu/big.bin", False, len(data))]
    downloaded = client.download_artifacts(run_id, "mpu/big.bin", str(tmp_path / "back"))
    with open(downloaded, "rb") as handle:
        assert handle.read() == data


# ---- with a direct S3 root (the client talks to S3 itself) ----


@pytest.fixture
def s3_root(unique):
    root = os.environ.get("CAIRN_COMPAT_S3_ROOT")
    if not root:
        if os.environ.get("CI") == "true":
            pytest.fail("CAIRN_COMPAT_S3_ROOT must be set in CI (scripts/test.mjs starts an s3rver)")
        pytest.skip("CAIRN_COMPAT_S3_ROOT is not set (scripts/test.mjs sets it with an s3rver)")
    return posixpath.join(root, unique("s3"))


def test_client_artifact_calls_on_a_direct_s3_root(client, s3_root, tmp_path, fluent):
    experiment_id = client.create_experiment(os.path.basename(s3_root), artifact_location=s3_root)
    run = client.create_run(experiment_id)
    assert run.info.artifact_uri == f"{s3_root}/{run.info.run_id}/artifacts"
    exercise_client(client, run.info.run_id, tmp_path)


def test_server_lists_a_direct_s3_root_only_inside_its_roots(client, s3_root, rest, fluent):
    experiment_id = client.create_experiment(os.path.basename(s3_root), artifact_location=s3_root)
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "on s3", "s3.txt")
    response = rest.get(f"{API}/artifacts/list", {"run_id": run_id})
    if os.environ.get("CAIRN_COMPAT_S3_SERVED") == "1":
        assert response.status_code == 200, response.text
        assert response.json()["files"] == [{"path": "s3.txt", "is_dir": False, "file_size": 5}]
        assert rest.get("/get-artifact", {"run_id": run_id, "path": "s3.txt"}).text == "on s3"
    else:
        expect_rest_error(response, 400, "INVALID_PARAMETER_VALUE", "outside the artifact roots")

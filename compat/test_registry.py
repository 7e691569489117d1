"""Model registry, logged models and webhooks through the real MLflow client."""

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

import mlflow
import numpy as np
import pytest
from mlflow.entities.webhook import WebhookEvent
from mlflow.exceptions import MlflowException

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import LogisticRegression  # noqa: E402


@pytest.fixture
def trained():
    features = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1], [0.5, 0.4], [0.3, 0.8]])
    labels = np.array([0, 1, 0, 1, 1, 0])
    return LogisticRegression().fit(features, labels), features


def test_sklearn_model_registered_and_loaded_by_alias(fluent, client, unique, trained):
    model, features = trained
    name = unique("sk")
    fluent.set_experiment(unique("exp"))
    with fluent.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model", input_example=features[:2])
    assert info.model_id.startswith("m-")
    logged = client.get_logged_model(info.model_id)
    assert logged.status.to_int() == 2  # READY
    assert logged.source_run_id == run.info.run_id
    assert logged.artifact_location.endswith(f"/models/{info.model_id}/artifacts")

    version = mlflow.register_model(info.model_uri, name)
    assert version.version == "1"
    assert version.status == "READY"
    client.set_registered_model_alias(name, "champion", version.version)
    assert client.get_model_version_by_alias(name, "champion").version == "1"

    loaded = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))
    by_version = mlflow.pyfunc.load_model(f"models:/{name}/1")
    np.testing.assert_array_equal(by_version.predict(features), model.predict(features))

    # The logged model remembers the version made from it (the server records it, and MLflow's
    # register_model appends it once more on the client side, as against an MLflow server).
    tags = client.get_logged_model(info.model_id).tags
    assert {"name": name, "version": "1"} in json.loads(tags["mlflow.modelVersions"])


def test_registry_lifecycle_search_paging_rename_delete(client, unique):
    prefix = unique("paged")
    names = [f"{prefix}-{index}" for index in range(5)]
    for name in names:
        client.create_registered_model(name, tags={"group": prefix}, description="d")
        client.create_model_version(name, f"s3://bucket/{name}", tags={"n": "1"})
        client.create_model_version(name, f"s3://bucket/{name}/2")

    first = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'", max_results=2)
    assert [model.name for model in first] == names[:2]
    assert first.token
    rest = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'", max_results=2, page_token=first.token)
    assert [model.name for model in rest] == names[2:4]
    by_tag = client.search_registered_models(filter_string=f"tags.group = '{prefix}'", order_by=["name DESC"])
    assert [model.name for model in by_tag] == list(reversed(names))

    versions = client.search_model_versions(f"name = '{names[0]}'", order_by=["version_number ASC"])
    assert [version.version for version in versions] == ["1", "2"]
    tagged = client.search_model_versions(f"name = '{names[0]}' AND tags.n = '1'")
    assert [version.version for version in tagged] == ["1"]

    client.transition_model_version_stage(names[0], "1", "Production")
    latest = client.get_latest_versions(names[0], stages=["Production"])
    assert [version.version for version in latest] == ["1"]

    renamed = f"{prefix}-renamed"
    client.rename_registered_model(names[0], renamed)
    assert client.get_model_version(renamed, "2").name == renamed
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(names[0])

    client.delete_model_version(renamed, "2")
    assert client.create_model_version(renamed, "s3://bucket/again").version == "3"
    client.delete_registered_model(renamed)
    with pytest.raises(MlflowException, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model(renamed)


def test_registry_errors_match_mlflow(client, unique):
    name = unique("errors")
    client.create_registered_model(name)
    with pytest.raises(MlflowException, match=r"already exists") as excinfo:
        client.create_registered_model(name)
    assert excinfo.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as excinfo:
        client.get_model_version(name, "3")
    assert excinfo.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as excinfo:
        client.get_model_version_by_alias(name, "missing")
    assert excinfo.value.error_code == "INVALID_PARAMETER_VALUE"
    client.create_model_version(name, "s3://bucket/x")
    with pytest.raises(MlflowException) as excinfo:
        client.transition_model_version_stage(name, "1", "NotAStage")
    assert excinfo.value.error_code == "INVALID_PARAMETER_VALUE"
    client.delete_model_version(name, "1")
    with pytest.raises(MlflowException) as excinfo:
        client.set_registered_model_alias(name, "prod", "1")
    assert excinfo.value.error_code == "RESOURCE_DOES_NOT_EXIST"


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_webhooks_created_with_client_are_delivered_signed(client, unique, receiver):
    secret = "compat-secret"
    webhook = client.create_webhook(
        name=unique("hook")[:60].lower(),
        url=receiver,
        events=[WebhookEvent("model_version", "created"), WebhookEvent("model_version_alias", "created")],
        secret=secret,
    )
    try:
        assert client.get_webhook(webhook.webhook_id).url == receiver
        assert webhook.webhook_id in [item.webhook_id for item in client.list_webhooks(max_results=1000)]
        result = client.test_webhook(webhook.webhook_id)
        assert result.success and result.response_status == 200

        name = unique("hooked")
        client.create_registered_model(name)
        client.create_model_version(name, "s3://bucket/model")
        client.set_registered_model_alias(name, "prod", "1")
        deadline = time.time() + 10
        wanted = {("model_version", "created"), ("model_version_alias", "created")}
        seen = {}
        while time.time() < deadline and set(seen) != wanted:
            for headers, body in list(_Receiver.received):
                payload = json.loads(body)
                if payload["data"].get("name") == name:
                    seen[(payload["entity"], payload["action"])] = (headers, body)
            time.sleep(0.05)
        assert set(seen) == wanted
        headers, body = seen[("model_version", "created")]
        signed = f"{headers['X-MLflow-Delivery-Id']}.{headers['X-MLflow-Timestamp']}.{body}"
        digest = base64.b64encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()).decode()
        assert headers["X-MLflow-Signature"] == f"v1,{digest}"

        with pytest.raises(MlflowException, match="scheme"):
            client.create_webhook(name="bad", url="file:///etc/passwd", events=[WebhookEvent("model_version", "created")])
    finally:
        client.delete_webhook(webhook.webhook_id)


def test_prompts_live_in_the_registry_but_stay_out_of_model_search(fluent, client, unique):
    name = unique("prompt").replace("-", "_")
    fluent.genai.register_prompt(name=name, template="Hello {{name}}!", commit_message="first")
    fluent.genai.register_prompt(name=name, template="Hi {{name}}!")
    fluent.genai.set_prompt_alias(name, alias="prod", version=1)
    assert fluent.genai.load_prompt(f"prompts:/{name}@prod").format(name="x") == "Hello x!"
    assert fluent.genai.load_prompt(f"prompts:/{name}/2").template == "Hi {{name}}!"
    assert name in [prompt.name for prompt in fluent.genai.search_prompts(filter_string=f"name = '{name}'")]
    assert client.search_registered_models(filter_string=f"name = '{name}'") == []
    assert client.search_model_versions(filter_string=f"name = '{name}'") == []

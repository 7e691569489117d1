"""Fixtures for the compatibility suite: the real MLflow client against a running Cairn server.

Run it with `node scripts/test.mjs compat` (starts a server on SQLite and on PostgreSQL), or against any running
server: `CAIRN_COMPAT_URL=http://127.0.0.1:5000 .venv/bin/python -m pytest compat`.
"""

import os
import re
import uuid

# The client must fail fast on a server error rather than retry it for minutes, and must not phone home.
for _name, _value in {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_ENABLE_ASYNC_LOGGING": "false",
}.items():
    os.environ.setdefault(_name, _value)
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)
os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
os.environ.pop("MLFLOW_RUN_ID", None)

import mlflow  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402
from mlflow import MlflowClient  # noqa: E402


def pytest_configure(config):
    if not os.environ.get("CAIRN_COMPAT_URL"):
        raise pytest.UsageError(
            "CAIRN_COMPAT_URL must point at a running Cairn server "
            "(`node scripts/test.mjs compat` starts one for each store)"
        )


@pytest.fixture(scope="session")
def tracking_uri():
    return os.environ["CAIRN_COMPAT_URL"].rstrip("/")


@pytest.fixture(scope="session")
def client(tracking_uri):
    return MlflowClient(tracking_uri=tracking_uri)


@pytest.fixture
def unique(request):
    """Makes names no other test (or earlier run against the same server) uses."""
    test_name = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name)[:40].strip("-")

    def make(prefix="compat"):
        return f"{prefix}-{test_name}-{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def experiment_id(client, unique):
    return client.create_experiment(unique("exp"))


@pytest.fixture
def run_id(client, experiment_id):
    return client.create_run(experiment_id).info.run_id


@pytest.fixture
def fluent(tracking_uri):
    """The fluent API pointed at the server; ends any run a test leaves open."""
    mlflow.set_tracking_uri(tracking_uri)
    yield mlflow
    while mlflow.active_run() is not None:
        mlflow.end_run()


class Rest:
    """Raw REST calls, for wire-level expectations the client would hide."""

    def __init__(self, base):
        self.base = base
        self.session = requests.Session()

    def post(self, path, body=None, **kwargs):
        return self.session.post(f"{self.base}{path}", json=body, timeout=60, **kwargs)

    def get(self, path, params=None, **kwargs):
        return self.session.get(f"{self.base}{path}", params=params, timeout=60, **kwargs)


@pytest.fixture(scope="session")
def rest(tracking_uri):
    return Rest(tracking_uri)

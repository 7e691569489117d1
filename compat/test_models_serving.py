"""Model serving: scikit-learn models converted with skl2onnx and logged with `mlflow.onnx`, served from the registry by
`cairn models serve -m models:/<name>@champion`, checked against scikit-learn and against MLflow's own scoring
protocol for the same input; bad input; a JS model logged with the TypeScript SDK; an ONNX model written by the SDK
loaded with `mlflow.pyfunc`.

MLflow's reference answer is computed in this process: `mlflow.pyfunc.scoring_server.invocations`, the function
behind `mlflow models serve`'s /invocations, on the model `mlflow.pyfunc.load_model` loads from the same URI. The
serving process needs `packages/cli/dist/bin.js` (`npx tsc -b`); `CAIRN_CLI` may name the `bin.js` of another built
tree (e.g. a bench/build-snapshot.mjs copy).
"""

import json
import math
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests
from mlflow.exceptions import MlflowException

# Installed by .ci/run with the client; a missing one fails the run rather than skipping the suite.
import onnxruntime  # noqa: E402, F401
import skl2onnx  # noqa: E402
import sklearn  # noqa: E402, F401
from mlflow.models import infer_signature  # noqa: E402
from mlflow.pyfunc import scoring_server  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CLI = Path(os.environ.get("CAIRN_CLI", REPO / "packages" / "cli" / "dist" / "bin.js")).resolve()
# The tree that CLI belongs to: node scripts importing `@cairn/sdk/node` run there.
CAIRN_ROOT = CLI.parents[3]
NODE = os.environ.get("CAIRN_NODE", "node")
TOLERANCE = 1e-5
REGRESSOR_COLUMNS = ["sepal_length", "sepal_width", "petal_length"]
# MLflow's answer when the model itself fails (its ONNX wrapper cannot put a label vector and an (n, 3) probability
# matrix into one DataFrame). Cairn may answer such input, with scikit-learn's predictions.
MLFLOW_MODEL_FAILURE = "Encountered an unexpected error while evaluating the model"


def _name(kind):
    return f"compat-serving-{kind}-{uuid.uuid4().hex[:12]}"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScoringProcess:
    """`cairn models serve` in its own process group; always stopped by the fixture that started it."""

    def __init__(self, model_uri, tracking_uri, log_dir, extra_args=()):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_dir) / f"serve-{self.port}.log"
        self.session = requests.Session()
        env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri}
        with open(self.log_path, "wb") as log:
            command = [NODE, str(CLI), "models", "serve", "-m", model_uri, "--host", "127.0.0.1", "-p", str(self.port)]
            self.process = subprocess.Popen(
                [*command, *extra_args],
                cwd=log_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_ready(timeout=90)
        except BaseException:
            self.stop()
            raise

    def log_tail(self):
        return self.log_path.read_text(errors="replace")[-3000:]

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"cairn models serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/ping", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"cairn models serve did not answer /ping within {timeout} s:\n{self.log_tail()}")

    def invoke(self, body, content_type="application/json"):
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = {"Content-Type": content_type}
        return self.session.post(f"{self.url}/invocations", data=data, headers=headers, timeout=60)

    def stop(self):
        self.session.close()
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=15)


@pytest.fixture(scope="module")
def serve(tracking_uri, tmp_path_factory):
    """Starts `cairn models serve` for a model URI; any process still running is stopped at the end of the module."""
    started = []
    log_dir = tmp_path_factory.mktemp("serving")

    def start(model_uri, extra_args=()):
        process = ScoringProcess(model_uri, tracking_uri, log_dir, extra_args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="module")
def iris():
    data = load_iris(as_frame=True)
    features = data.data.rename(columns=lambda name: name.replace(" (cm)", "").replace(" ", "_"))
    return features, data.target


@pytest.fixture(scope="module")
def trained(iris):
    features, target = iris
    classifier = LogisticRegression(max_iter=1000).fit(features, target)
    regressor = LinearRegression().fit(features[REGRESSOR_COLUMNS], features["petal_width"])
    return {"classifier": classifier, "regressor": regressor}


@pytest.fixture(scope="module")
def start_run(tracking_uri, client):
    """`mlflow.start_run` in this module's own experiment (without changing the active experiment of other tests)."""
    mlflow.set_tracking_uri(tracking_uri)
    experiment_id = client.create_experiment(_name("exp"))
    yield lambda: mlflow.start_run(experiment_id=experiment_id)
    while mlflow.active_run() is not None:
        mlflow.end_run()


def _columns_of(kind, features):
    return REGRESSOR_COLUMNS if kind == "regressor" else list(features.columns)


def _to_onnx(model, example, zipmap):
    # skl2onnx's `zipmap` option is a classifier's only; without it a classifier gives label and probability tensors.
    options = {"zipmap": False} if isinstance(model, LogisticRegression) and not zipmap else None
    return skl2onnx.to_onnx(model, example.values[:1].astype(np.float32), options=options)


def _register_champion(client, model_uri, name):
    version = mlflow.register_model(model_uri, name)
    client.set_registered_model_alias(name, "champion", version.version)
    return f"models:/{name}@champion"


# name -> (model kind, ZipMap, signature kind). "columns": inferred from a pandas DataFrame example (column-based, what
# users get from `infer_signature(df, ...)`); "tensor": from a float32 numpy example.
CASES = {
    "classifier-zipmap": ("classifier", True, "columns"),
    "classifier-probabilities": ("classifier", False, "columns"),
    "classifier-probabilities-tensor": ("classifier", False, "tensor"),
    "regressor": ("regressor", False, "columns"),
    "regressor-tensor": ("regressor", False, "tensor"),
}


@dataclass
class Served:
    case: str
    kind: str
    sklearn_model: object
    columns: list
    pyfunc: object
    server: ScoringProcess
    model_uri: str


@pytest.fixture(scope="module", params=list(CASES))
def served(request, start_run, client, trained, iris, serve):
    kind, zipmap, signature_kind = CASES[request.param]
    features, _ = iris
    columns = _columns_of(kind, features)
    model = trained[kind]
    example = features[columns].head(5)
    onnx_model = _to_onnx(model, example, zipmap)
    signature = infer_signature(
        example if signature_kind == "columns" else example.values.astype(np.float32), model.predict(example)
    )
    with start_run():
        info = mlflow.onnx.log_model(
            onnx_model,
            name="model",
            signature=signature,
            input_example=example.head(2) if signature_kind == "columns" else None,
        )
    uri = _register_champion(client, info.model_uri, _name(request.param))
    pyfunc = mlflow.pyfunc.load_model(uri)
    server = serve(uri)
    yield Served(request.param, kind, model, columns, pyfunc, server, uri)
    server.stop()


def _rows(features, columns):
    return features[columns].iloc[::15].reset_index(drop=True)  # 10 rows, every class


def _body(input_format, rows):
    """The /invocations body and content type of one input format for a DataFrame of rows."""
    if input_format == "dataframe_split":
        return json.dumps({"dataframe_split": rows.to_dict(orient="split")}), "application/json"
    if input_format == "dataframe_records":
        return json.dumps({"dataframe_records": rows.to_dict(orient="records")}), "application/json"
    if input_format == "instances-records":
        return json.dumps({"instances": rows.to_dict(orient="records")}), "application/json"
    if input_format == "instances-list":
        return json.dumps({"instances": rows.values.tolist()}), "application/json"
    if input_format == "inputs-list":
        return json.dumps({"inputs": rows.values.tolist()}), "application/json"
    if input_format == "inputs-dict":
        return json.dumps({"inputs": rows.to_dict(orient="list")}), "application/json"
    if input_format == "csv":
        return rows.to_csv(index=False), "text/csv"
    raise ValueError(input_format)


INPUT_FORMATS = [
    "dataframe_split",
    "dataframe_records",
    "instances-records",
    "instances-list",
    "inputs-list",
    "inputs-dict",
    "csv",
]


class Reference:
    """MLflow's answer to one /invocations request: status, and the JSON body or the error."""

    def __init__(self, status, body=None, error_code=None, message=""):
        self.status = status
        self.body = body
        self.error_code = error_code
        self.message = message


def mlflow_answer(pyfunc, body, content_type):
    try:
        result = scoring_server.invocations(body, content_type, pyfunc, pyfunc.metadata.get_input_schema())
    except MlflowException as error:
        return Reference(error.get_http_status_code(), error_code=error.error_code, message=error.message)
    if result.status != 200:
        return Reference(result.status, message=result.response)
    return Reference(200, body=json.loads(result.response))


def assert_same_json(actual, expected, where="predictions"):
    """Same structure (dict keys, list lengths, value types) and numbers equal to 1e-5."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r:.200}"
        assert set(actual) == set(expected), f"{where}: keys {sorted(actual)} != {sorted(expected)}"
        for key in expected:
            assert_same_json(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r:.200}"
        assert len(actual) == len(expected), f"{where}: length {len(actual)} != {len(expected)}"
        for index, (left, right) in enumerate(zip(actual, expected)):
            assert_same_json(left, right, f"{where}[{index}]")
    elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    elif isinstance(expected, (int, float)):
        assert isinstance(actual, (int, float)) and not isinstance(actual, bool), f"{where}: {actual!r} not a number"
        assert math.isclose(actual, expected, rel_tol=TOLERANCE, abs_tol=TOLERANCE), f"{where}: {actual} != {expected}"
    else:
        raise AssertionError(f"{where}: unexpected reference value {expected!r}")


def _prediction_columns(predictions):
    """Named prediction columns from any answer shape: records, a dict of columns, or one bare list."""
    if isinstance(predictions, dict):
        return predictions
    assert isinstance(predictions, list), predictions
    if predictions and isinstance(predictions[0], dict):
        return {key: [row[key] for row in predictions] for key in predictions[0]}
    return {"": predictions}


def assert_matches_sklearn(predictions, served, rows):
    columns = _prediction_columns(predictions)
    model = served.sklearn_model
    if served.kind == "regressor":
        assert len(columns) == 1, columns.keys()
        values = np.asarray(next(iter(columns.values())), dtype=float).reshape(-1)
        np.testing.assert_allclose(values, model.predict(rows), rtol=TOLERANCE, atol=TOLERANCE)
        return
    label_key = next(key for key in columns if "label" in key)
    probability_key = next(key for key in columns if "probab" in key)
    labels = np.asarray(columns[label_key]).reshape(-1)
    np.testing.assert_array_equal(labels, model.predict(rows))
    probabilities = columns[probability_key]
    if probabilities and isinstance(probabilities[0], dict):
        probabilities = [[row[str(label)] for label in model.classes_] for row in probabilities]
    np.testing.assert_allclose(np.asarray(probabilities, dtype=float), model.predict_proba(rows), atol=TOLERANCE)


def assert_error_shape(response, statuses=range(400, 500)):
    assert response.status_code in statuses, f"{response.status_code}: {response.text[:500]}"
    body = response.json()
    assert isinstance(body.get("error_code"), str), body
    assert isinstance(body.get("message"), str), body
    return body


@pytest.mark.parametrize("input_format", INPUT_FORMATS)
def test_served_predictions_match_sklearn_and_mlflow(served, iris, input_format):
    features, _ = iris
    rows = _rows(features, served.columns)
    body, content_type = _body(input_format, rows)
    reference = mlflow_answer(served.pyfunc, body, content_type)
    response = served.server.invoke(body, content_type)

    if reference.status == 200:
        assert response.status_code == 200, f"MLflow answers 200, Cairn {response.status_code}: {response.text[:500]}"
        answer = response.json()
        assert set(answer) == {"predictions"}
        assert_same_json(answer["predictions"], reference.body["predictions"])
        assert_matches_sklearn(answer["predictions"], served, rows)
    elif MLFLOW_MODEL_FAILURE in reference.message and response.status_code == 200:
        # MLflow's ONNX wrapper fails on this input after parsing it; Cairn answers it, and must answer it right.
        assert_matches_sklearn(response.json()["predictions"], served, rows)
    else:
        # MLflow refuses this input for this signature (e.g. a list of rows against named columns). Cairn refuses it
        # too, or (where MLflow's refusal comes from its own parsing, not from the signature) answers it correctly.
        if response.status_code == 200:
            assert "enforce schema" not in reference.message, (
                f"MLflow refuses {input_format} against this signature ({reference.message[:300]}); "
                f"Cairn answered {response.text[:300]}"
            )
            assert_matches_sklearn(response.json()["predictions"], served, rows)
        else:
            assert response.status_code == reference.status, (response.status_code, reference.status, response.text)
            assert_error_shape(response)


def test_served_model_answers_mlflow_routes(served):
    assert served.server.session.get(f"{served.server.url}/ping", timeout=10).status_code == 200
    assert served.server.session.get(f"{served.server.url}/health", timeout=10).status_code == 200
    version = served.server.session.get(f"{served.server.url}/version", timeout=10)
    assert version.status_code == 200 and version.text.strip()


def test_served_model_answers_pyfunc_predict_shape(served, iris):
    """The answer to dataframe_split is `pyfunc.predict(df)` as MLflow serialises it (records of a DataFrame)."""
    features, _ = iris
    rows = _rows(features, served.columns)
    # What the scoring server hands to predict: the DataFrame, or for a tensor signature its float32 values.
    tensor = served.pyfunc.metadata.get_input_schema().is_tensor_spec()
    try:
        expected = served.pyfunc.predict(rows.values.astype(np.float32) if tensor else rows)
    except ValueError as error:  # MLflow's ONNX wrapper: label + probability tensors do not fit one DataFrame
        assert "same length" in str(error), error
        # A deliberate difference (docs/compatibility.md): Cairn answers one list per row instead of failing.
        response = served.server.invoke(*_body("dataframe_split", rows))
        assert response.status_code == 200, response.text
        assert_matches_sklearn(response.json()["predictions"], served, rows)
        return
    response = served.server.invoke(*_body("dataframe_split", rows))
    assert response.status_code == 200, response.text
    if isinstance(expected, pd.DataFrame):
        expected = json.loads(expected.to_json(orient="records"))
    else:
        expected = {key: np.asarray(value).tolist() for key, value in expected.items()}
    assert_same_json(response.json()["predictions"], expected)


@pytest.mark.parametrize("served", [case for case in CASES if CASES[case][2] == "tensor"], indirect=True)
@pytest.mark.parametrize("shape", ["too-few-columns", "too-many-columns", "three-dimensional", "scalar-rows"])
def test_tensor_signature_refuses_wrong_shapes(served, iris, shape):
    assert served.pyfunc.metadata.get_input_schema().is_tensor_spec()
    width = len(served.columns)
    value = {
        "too-few-columns": [[1.0] * (width - 1)],
        "too-many-columns": [[1.0] * (width + 1)],
        "three-dimensional": [[[1.0] * width]],
        "scalar-rows": [1.0, 2.0],
    }[shape]
    body = json.dumps({"inputs": value})
    reference = mlflow_answer(served.pyfunc, body, "application/json")
    assert reference.status == 400, reference.message
    assert_error_shape(served.server.invoke(body), statuses={400})
    rows = _rows(iris[0], served.columns)
    response = served.server.invoke(json.dumps({"inputs": rows.values.tolist()}))
    assert response.status_code == 200, response.text
    assert_matches_sklearn(response.json()["predictions"], served, rows)


# --- Bad input --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def error_target(start_run, client, trained, iris, serve):
    """The column-signature regressor, served with a 64 KiB request limit."""
    features, _ = iris
    example = features[REGRESSOR_COLUMNS].head(5)
    model = trained["regressor"]
    with start_run():
        signature = infer_signature(example, model.predict(example))
        info = mlflow.onnx.log_model(_to_onnx(model, example, zipmap=False), name="model", signature=signature)
    uri = _register_champion(client, info.model_uri, _name("errors"))
    server = serve(uri, ["--max-request-bytes", "65536"])
    yield server, mlflow.pyfunc.load_model(uri), model, example
    server.stop()


def _good_request_still_served(server, model, example):
    response = server.invoke(json.dumps({"dataframe_split": example.to_dict(orient="split")}))
    assert response.status_code == 200, response.text
    values = np.asarray(_prediction_columns(response.json()["predictions"])["variable"], dtype=float).reshape(-1)
    np.testing.assert_allclose(values, model.predict(example), rtol=TOLERANCE, atol=TOLERANCE)


def _split(frame):
    return json.dumps({"dataframe_split": frame.to_dict(orient="split")})


# name -> (body, content type, error codes Cairn may answer). Where MLflow's code depends on the step that notices
# (parsing a column answers BAD_REQUEST, the schema check INVALID_PARAMETER_VALUE), both are accepted: both are 400.
SCHEMA_CODES = {"BAD_REQUEST", "INVALID_PARAMETER_VALUE"}
BAD_INPUTS = {
    "malformed-json": (lambda e: '{"dataframe_split": {"columns": [', "application/json", {"BAD_REQUEST"}),
    "empty-body": (lambda e: "", "application/json", {"BAD_REQUEST"}),
    "json-list": (lambda e: json.dumps([[1.0, 2.0, 3.0]]), "application/json", {"BAD_REQUEST"}),
    "json-scalar": (lambda e: "42", "application/json", {"BAD_REQUEST"}),
    "no-input-key": (lambda e: json.dumps({"data": [[1.0, 2.0, 3.0]]}), "application/json", {"BAD_REQUEST"}),
    "two-input-keys": (
        lambda e: json.dumps({"inputs": e.values.tolist(), "instances": e.values.tolist()}),
        "application/json",
        {"BAD_REQUEST"},
    ),
    "missing-column": (lambda e: _split(e[REGRESSOR_COLUMNS[:2]]), "application/json", SCHEMA_CODES),
    "wrong-column-names": (
        lambda e: _split(e.rename(columns={"petal_length": "petal_len"})), "application/json", SCHEMA_CODES
    ),
    "string-in-double-column": (lambda e: _split(e.assign(sepal_length="abc")), "application/json", SCHEMA_CODES),
    "rows-too-short": (lambda e: json.dumps({"inputs": [[1.0, 2.0]]}), "application/json", SCHEMA_CODES),
    "ragged-rows": (lambda e: json.dumps({"inputs": [[1.0, 2.0, 3.0], [1.0]]}), "application/json", SCHEMA_CODES),
    "split-data-wrong-width": (
        lambda e: json.dumps({"dataframe_split": {"columns": REGRESSOR_COLUMNS, "data": [[1.0, 2.0]]}}),
        "application/json",
        SCHEMA_CODES,
    ),
    "csv-wrong-header": (lambda e: "a,b\n1,2\n", "text/csv", SCHEMA_CODES),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gets_mlflow_error_and_server_keeps_serving(error_target, case):
    server, pyfunc, model, example = error_target
    make_body, content_type, codes = BAD_INPUTS[case]
    body = make_body(example)
    reference = mlflow_answer(pyfunc, body, content_type)
    assert reference.status == 400, f"MLflow itself answers {reference.status} to {case}"
    response = server.invoke(body, content_type)
    error = assert_error_shape(response, statuses={400})
    assert error["error_code"] in codes, f"{case}: {error}"
    assert reference.error_code in codes
    _good_request_still_served(server, model, example)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1",
     "application/json; format=pandas-split", None],
)
def test_unsupported_content_type_is_415_as_mlflow(error_target, content_type):
    server, pyfunc, model, example = error_target
    body = _split(example)
    reference = mlflow_answer(pyfunc, body, content_type or "")
    assert reference.status == 415
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = server.session.post(f"{server.url}/invocations", data=body.encode(), headers=headers, timeout=30)
    assert response.status_code == 415, response.text
    _good_request_still_served(server, model, example)


def test_oversize_body_is_refused_with_error_shape(error_target):
    server, _, model, example = error_target
    rows = pd.concat([example] * 2000, ignore_index=True)  # about 200 KB against a 64 KiB limit
    body = _split(rows)
    assert len(body) > 65536
    response = server.invoke(body)
    error = assert_error_shape(response, statuses={413})
    assert error["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    _good_request_still_served(server, model, example)


def test_oversize_declared_length_is_refused_before_the_body(error_target):
    server, _, model, example = error_target
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n{\"inputs\": ["
        )
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"413", head
    assert json.loads(payload[payload.index(b"{"):])["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    _good_request_still_served(server, model, example)


def test_non_post_and_unknown_routes_answer_mlflow_error_shape(error_target):
    server, _, model, example = error_target
    assert_error_shape(server.session.get(f"{server.url}/invocations", timeout=10), statuses={404, 405})
    assert_error_shape(server.session.get(f"{server.url}/no-such-route", timeout=10), statuses={404})
    _good_request_still_served(server, model, example)


# --- Models written by Cairn's TypeScript SDK ---------------------------------------------------------------------

# Logs a model with `@cairn/sdk/node` `logModel`; the spec comes in CAIRN_LOG_MODEL_SPEC, the result goes to stdout.
LOG_MODEL_SCRIPT = """
import { CairnClient, logModel } from '@cairn/sdk/node'
const spec = JSON.parse(process.env.CAIRN_LOG_MODEL_SPEC)
const client = new CairnClient({ trackingUri: process.env.MLFLOW_TRACKING_URI })
const info = await logModel(client, {
  runId: spec.runId,
  name: 'model',
  model: spec.model,
  signature: spec.signature,
  registeredModelName: spec.registeredModelName,
})
const answer = { modelId: info.modelId, modelUri: info.modelUri, version: info.modelVersion?.version }
process.stdout.write(JSON.stringify(answer))
"""


def log_model_with_sdk(tracking_uri, spec):
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", LOG_MODEL_SCRIPT],
        cwd=CAIRN_ROOT,
        env={**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "CAIRN_LOG_MODEL_SPEC": json.dumps(spec)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"logModel failed:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout)


def _column_signature(columns):
    return {"inputs": [{"type": "double", "name": name, "required": True} for name in columns]}


# A JS model: the regressor's linear formula, its coefficients read once by `load` from a file beside the module.
JS_MODEL = """
import { readFile } from 'node:fs/promises'

export const rowBatchable = true

export async function load({ directory }) {
  return JSON.parse(await readFile(new URL('./coefficients.json', import.meta.url), 'utf8'))
}

export function predict(input, params, state) {
  const { columns, coefficients, intercept } = state
  let rows
  if (input.kind === 'dataframe') {
    const positions = columns.map((name) => input.columns.indexOf(name))
    rows = input.rows.map((row) => positions.map((position) => Number(row[position])))
  } else if (input.kind === 'tensors') {
    rows = input.values[columns[0]].map((_, index) => columns.map((name) => Number(input.values[name][index])))
  } else {
    rows = input.value
  }
  return rows.map((row) => row.reduce((sum, value, index) => sum + value * coefficients[index], intercept))
}
"""


@pytest.fixture(scope="module")
def js_model(tmp_path_factory, tracking_uri, client, trained, serve):
    regressor = trained["regressor"]
    source = tmp_path_factory.mktemp("js-model")
    (source / "model.mjs").write_text(JS_MODEL)
    (source / "coefficients.json").write_text(json.dumps({
        "columns": REGRESSOR_COLUMNS,
        "coefficients": regressor.coef_.tolist(),
        "intercept": float(regressor.intercept_),
    }))
    package = {"name": "iris-linear", "version": "1.0.0", "private": True, "type": "module"}
    (source / "package.json").write_text(json.dumps(package))
    (source / "package-lock.json").write_text(json.dumps({
        "name": "iris-linear", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "iris-linear", "version": "1.0.0"}},
    }))
    (source / "node_modules").mkdir()
    experiment_id = client.create_experiment(_name("js-exp"))
    run_id = client.create_run(experiment_id).info.run_id
    name = _name("js")
    logged = log_model_with_sdk(tracking_uri, {
        "runId": run_id,
        "model": {"flavor": "js", "source": str(source), "entry": "model.mjs"},
        "signature": _column_signature(REGRESSOR_COLUMNS),
        "registeredModelName": name,
    })
    assert logged["version"] == "1"
    client.set_registered_model_alias(name, "champion", "1")
    server = serve(f"models:/{name}@champion", ["--workers", "2"])
    yield server, regressor, name, logged
    server.stop()


@pytest.mark.parametrize(
    "input_format", ["dataframe_split", "dataframe_records", "instances-records", "inputs-dict", "csv"]
)
def test_js_model_logged_with_sdk_is_served_from_registry(js_model, iris, input_format):
    server, regressor, _, _ = js_model
    features, _ = iris
    rows = _rows(features, REGRESSOR_COLUMNS)
    response = server.invoke(*_body(input_format, rows))
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    values = np.asarray(next(iter(_prediction_columns(predictions).values())), dtype=float).reshape(-1)
    np.testing.assert_allclose(values, regressor.predict(rows), rtol=TOLERANCE, atol=TOLERANCE)


def test_js_model_enforces_its_signature(js_model, iris):
    server, regressor, _, _ = js_model
    features, _ = iris
    rows = _rows(features, REGRESSOR_COLUMNS)
    assert_error_shape(server.invoke(_split(rows[REGRESSOR_COLUMNS[:2]])), statuses={400})
    assert_error_shape(server.invoke(_split(rows.assign(sepal_width="wide"))), statuses={400})
    assert server.invoke(_split(rows)).status_code == 200


def test_js_model_version_is_registered_with_its_logged_model(js_model, client):
    _, _, name, logged = js_model
    version = client.get_model_version_by_alias(name, "champion")
    assert version.version == "1"
    assert version.source == f"models:/{logged['modelId']}"
    assert client.get_logged_model(logged["modelId"]).status.to_int() == 2  # READY


@pytest.mark.parametrize("kind", ["regressor", "classifier-zipmap"])
def test_onnx_model_logged_with_sdk_loads_in_mlflow_pyfunc(tmp_path, tracking_uri, client, trained, iris, unique, kind):
    features, _ = iris
    model = trained["regressor" if kind == "regressor" else "classifier"]
    columns = _columns_of("regressor" if kind == "regressor" else "classifier", features)
    rows = _rows(features, columns)
    onnx_path = tmp_path / "model.onnx"
    onnx_path.write_bytes(_to_onnx(model, rows, zipmap=True).SerializeToString())
    experiment_id = client.create_experiment(unique("exp"))
    run_id = client.create_run(experiment_id).info.run_id
    name = unique("sdk-onnx")
    logged = log_model_with_sdk(tracking_uri, {
        "runId": run_id,
        "model": {"flavor": "onnx", "onnx": str(onnx_path)},
        "signature": _column_signature(columns),
        "registeredModelName": name,
    })

    mlflow.set_tracking_uri(tracking_uri)
    for uri in (logged["modelUri"], f"models:/{name}/1"):
        pyfunc = mlflow.pyfunc.load_model(uri)
        assert pyfunc.metadata.get_input_schema().input_names() == columns
        predicted = pyfunc.predict(rows)
        if kind == "regressor":
            np.testing.assert_allclose(
                np.asarray(predicted.iloc[:, 0], dtype=float), model.predict(rows), rtol=TOLERANCE, atol=TOLERANCE
            )
        else:
            np.testing.assert_array_equal(predicted["output_label"].to_numpy(), model.predict(rows))
            probabilities = [[row[label] for label in model.classes_] for row in predicted["output_probability"]]
            np.testing.assert_allclose(probabilities, model.predict_proba(rows), atol=TOLERANCE)
    assert mlflow.onnx.load_model(logged["modelUri"]).graph.input[0].name

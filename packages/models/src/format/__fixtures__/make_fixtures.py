"""Writes the MLmodel fixtures of src/format with MLflow itself.

Run from the repository root: .venv/bin/python packages/models/src/format/__fixtures__/make_fixtures.py
"""

import os
import shutil
import tempfile

import mlflow
import numpy as np
from mlflow.models import Model, ModelSignature, infer_signature
from mlflow.types.schema import Array, ColSpec, Map, Object, ParamSchema, ParamSpec, Property, Schema, TensorSpec
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))


def keep(source_dir, name):
    target = os.path.join(HERE, name)
    os.makedirs(target, exist_ok=True)
    for file in ("MLmodel", "serving_input_example.json"):
        if os.path.exists(os.path.join(source_dir, file)):
            shutil.copy(os.path.join(source_dir, file), os.path.join(target, file))


with tempfile.TemporaryDirectory() as tmp:
    mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
    mlflow.set_experiment(experiment_id=mlflow.create_experiment("fixtures", artifact_location=f"{tmp}/artifacts"))
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = LogisticRegression(max_iter=200).fit(X, y)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(clf, name="sk", input_example=X.head(2))
        keep(info.artifact_path, "sklearn-iris")
        onx = to_onnx(clf, X.values[:1].astype(np.float32), options={id(clf): {"zipmap": False}})
        sig = infer_signature(X.values[:2].astype(np.float32), clf.predict_proba(X.values[:2]).astype(np.float32))
        info = mlflow.onnx.log_model(onx, name="onnx", signature=sig, input_example=X.values[:2].astype(np.float32))
        keep(info.artifact_path, "onnx-iris")

    # Every kind of column type and params, written the way MLflow writes MLmodel files.
    model = Model(artifact_path="model", run_id="0123456789abcdef0123456789abcdef", flavors={"js": {"entry": "js/model.mjs", "code": "js"}})
    model.signature = ModelSignature(
        inputs=Schema([
            ColSpec("double", "x"),
            ColSpec("long", "n"),
            ColSpec("string", "text", required=False),
            ColSpec(Array("double"), "values"),
            ColSpec(Object([Property("a", "long"), Property("b", "string", required=False)]), "obj"),
            ColSpec(Map("double"), "weights", required=False),
        ]),
        outputs=Schema([TensorSpec(np.dtype("float32"), (-1, 3), "probabilities")]),
        params=ParamSchema([
            ParamSpec("temperature", "double", 0.5),
            ParamSpec("top_k", "long", 3),
            ParamSpec("tags", "string", ["a", "b"], (-1,)),
            ParamSpec("flag", "boolean", False),
        ]),
    )
    model.metadata = {"owner": "cairn", "yes_string": "yes"}
    path = os.path.join(tmp, "typed")
    os.makedirs(path)
    model.save(os.path.join(path, "MLmodel"))
    keep(path, "all-types")

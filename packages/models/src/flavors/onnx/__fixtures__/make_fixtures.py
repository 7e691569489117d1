"""Builds the ONNX fixtures of the onnx flavour tests and the answers scikit-learn and MLflow give for them.

Run from the repository root: .venv/bin/python packages/models/src/flavors/onnx/__fixtures__/make_fixtures.py
then `npx biome check --write` on this folder (it formats the JSON files). The outputs are committed; rerun only
when a fixture changes.
"""

import json
import shutil
from pathlib import Path

import mlflow.onnx
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from onnx import numpy_helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).parent


def save(name, onx):
    (HERE / f"{name}.onnx").write_bytes(onx.SerializeToString())


def floats(array):
    return [[float(v) for v in row] for row in np.asarray(array, dtype=np.float64)]


def main():
    expected = {}

    iris = load_iris()
    x_iris = iris.data.astype(np.float32)
    y_iris = iris.target
    rows = x_iris[::10]  # 15 rows covering the three classes

    logreg = LogisticRegression(max_iter=500).fit(x_iris, y_iris)
    save("iris-logreg-zipmap", to_onnx(logreg, x_iris[:1]))
    save("iris-logreg", to_onnx(logreg, x_iris[:1], options={"zipmap": False}))
    # A fixed batch of one row: not row-batchable, and two rows are a shape error.
    save(
        "iris-logreg-fixed-batch",
        to_onnx(logreg, initial_types=[("X", FloatTensorType([1, 4]))], options={"zipmap": False}),
    )
    expected["iris"] = {
        "rows": floats(rows),
        "labels": [int(v) for v in logreg.predict(rows)],
        "probabilities": floats(logreg.predict_proba(rows)),
        "classes": [int(v) for v in logreg.classes_],
    }

    diabetes = load_diabetes()
    x_diabetes = diabetes.data.astype(np.float32)
    linreg = LinearRegression().fit(x_diabetes, diabetes.target)
    save("diabetes-linreg", to_onnx(linreg, x_diabetes[:1]))
    expected["diabetes"] = {
        "rows": floats(x_diabetes[:12]),
        "predictions": [float(v) for v in linreg.predict(x_diabetes[:12])],
    }
    # The same regression on float64 inputs, and one on int64 counts.
    save("diabetes-linreg-double", to_onnx(linreg, x_diabetes[:1].astype(np.float64)))
    counts = np.random.default_rng(3).integers(0, 20, size=(50, 3))
    count_model = LinearRegression().fit(counts, counts @ np.array([1.5, -2.0, 0.25]) + 4)
    save("counts-linreg-int64", to_onnx(count_model, initial_types=[("counts", Int64TensorType([None, 3]))]))
    expected["counts"] = {
        "rows": [[int(v) for v in row] for row in counts[:6]],
        "predictions": [float(v) for v in count_model.predict(counts[:6])],
    }

    # Two inputs of different types, string class labels: skl2onnx makes one graph input per column.
    rng = np.random.default_rng(7)
    size = 200
    frame = pd.DataFrame({
        "petal": rng.normal(size=size).astype(np.float32),
        "colour": rng.choice(["red", "green", "blue"], size=size),
    })
    target = np.where(frame["petal"] + (frame["colour"] == "red") * 1.5 > 0.5, "yes", "no")
    mixed = Pipeline([
        (
            "prepare",
            ColumnTransformer([
                ("scale", StandardScaler(), ["petal"]),
                ("encode", OneHotEncoder(), ["colour"]),
            ]),
        ),
        ("classify", LogisticRegression()),
    ]).fit(frame, target)
    mixed_onnx = to_onnx(
        mixed,
        initial_types=[("petal", FloatTensorType([None, 1])), ("colour", StringTensorType([None, 1]))],
    )
    save("mixed-two-inputs", mixed_onnx)
    sample = frame.iloc[:8]
    expected["mixed"] = {
        "petal": [float(v) for v in sample["petal"]],
        "colour": list(sample["colour"]),
        "labels": list(mixed.predict(sample)),
        "probabilities": floats(mixed.predict_proba(sample)),
        "classes": list(mixed.classes_),
    }

    # A directory written by mlflow.onnx.save_model, as log_model uploads it. The MLP's weights are above
    # onnx's 1024-byte threshold, so they land in an external data file beside model.onnx.
    mlp = MLPClassifier(hidden_layer_sizes=(64,), max_iter=800, random_state=0).fit(x_iris, y_iris)
    mlp_onnx = to_onnx(mlp, x_iris[:1])
    # skl2onnx stores weights as float_data, which onnx never moves out; raw_data makes them external.
    for index, tensor in enumerate(mlp_onnx.graph.initializer):
        mlp_onnx.graph.initializer[index].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor), tensor.name))
    model_dir = HERE / "mlflow-iris-mlp"
    shutil.rmtree(model_dir, ignore_errors=True)
    mlflow.onnx.save_model(
        mlp_onnx,
        str(model_dir),
        input_example=x_iris[:3],
        signature=infer_signature(x_iris[:3], mlp.predict_proba(x_iris[:3]).astype(np.float32)),
        onnx_session_options={"intra_op_num_threads": 1},
    )
    loaded = mlflow.pyfunc.load_model(str(model_dir))
    pyfunc_out = loaded.predict(rows)
    expected["mlflow_mlp"] = {
        "rows": floats(rows),
        "labels": [int(v) for v in mlp.predict(rows)],
        "probabilities": floats(mlp.predict_proba(rows)),
        # What mlflow's pyfunc answers for an ndarray input: one entry per output name.
        "pyfunc_labels": [int(v) for v in pyfunc_out["output_label"]],
        "pyfunc_probabilities": [
            {str(k): float(v) for k, v in row.items()} for row in pyfunc_out["output_probability"]
        ],
    }

    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()

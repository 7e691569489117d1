"""Writes the serving benchmark's model in both forms: the pickled scikit-learn model (MLflow's `sklearn` flavour, what
`mlflow models serve` loads) and its skl2onnx conversion (MLflow's `onnx` flavour, what `cairn models serve` loads),
both with the same signature inferred from a pandas example; plus the single-row request body and its expected answer.

Models (`--model`):
  logreg  a LogisticRegression on iris (4 double columns, 3 classes): predicting costs microseconds (default)
  mlp     an MLPClassifier with hidden layers (2048, 2048, 2048, 1024) on 100 double columns from
          make_classification (2 classes; 10.7 M weights, 43 MB of ONNX): one single-row prediction costs about
          1 ms in onnxruntime on one core (written to expected.json), so the server's CPU goes to the model
          rather than to HTTP

Usage: .venv/bin/python bench/serving/prepare_models.py <out dir> [--model logreg|mlp]   (called by bench/serving.mjs)
"""

import argparse
import json
import os
import time
import warnings

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
warnings.filterwarnings("ignore")

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402
import pandas as pd  # noqa: E402
import skl2onnx  # noqa: E402
import sklearn  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402
from sklearn.datasets import load_iris, make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

MLP_FEATURES = 100
MLP_HIDDEN_LAYERS = (2048, 2048, 2048, 1024)


def logreg():
    """The model, its training frame and the row of the request."""
    iris = load_iris(as_frame=True)
    features = iris.data.rename(columns=lambda name: name.replace(" (cm)", "").replace(" ", "_"))
    model = LogisticRegression(max_iter=1000).fit(features, iris.target)
    return model, features, features.iloc[[77]]


def mlp():
    x, y = make_classification(
        n_samples=1000, n_features=MLP_FEATURES, n_informative=20, n_redundant=10, random_state=0
    )
    features = pd.DataFrame(x, columns=[f"f{index}" for index in range(MLP_FEATURES)])
    # A few epochs are enough: the benchmark is about the cost of a prediction, not the model's accuracy.
    model = MLPClassifier(hidden_layer_sizes=MLP_HIDDEN_LAYERS, max_iter=3, random_state=0).fit(features, y)
    # State kept for further training only (Adam's moments, the best weights so far, a copy of the weights): without
    # it the pickle holds the weights once, like the ONNX file, and MLflow's process carries no dead weight.
    model._optimizer = model._best_coefs = model._best_intercepts = None
    # The row the model is surest of, so that float32 (ONNX) and float64 (scikit-learn) agree on its label.
    row = int(np.argmax(model.predict_proba(features.head(200)).max(axis=1)))
    return model, features, features.iloc[[row]]


def onnx_cost_ms(onnx_model, row):
    """Median wall time of one single-row prediction in onnxruntime (Python) with one intra-op thread."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: row.values.astype(np.float32)}
    for _ in range(20):
        session.run(None, feed)
    times = []
    for _ in range(200):
        started = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--model", choices=["logreg", "mlp"], default="logreg")
    arguments = parser.parse_args()
    out = arguments.out

    model, features, row = (mlp if arguments.model == "mlp" else logreg)()
    signature = infer_signature(features.head(5), model.predict(features.head(5)))

    mlflow.sklearn.save_model(
        model,
        os.path.join(out, "sklearn"),
        signature=signature,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_PICKLE,
    )
    # `zipmap: False`: label and probability tensors (onnxruntime-node has no map outputs).
    onnx_model = to_onnx(model, features.values[:1].astype(np.float32), options={"zipmap": False})
    mlflow.onnx.save_model(onnx_model, os.path.join(out, "onnx"), signature=signature)

    with open(os.path.join(out, "request.json"), "w") as file:
        json.dump({"dataframe_split": row.to_dict(orient="split")}, file)
    with open(os.path.join(out, "expected.json"), "w") as file:
        json.dump(
            {
                "model": arguments.model,
                "label": int(model.predict(row)[0]),
                "probabilities": model.predict_proba(row)[0].tolist(),
                "onnxSingleRowMs": onnx_cost_ms(onnx_model, row),
                "versions": {
                    "mlflow": mlflow.__version__,
                    "scikit-learn": sklearn.__version__,
                    "skl2onnx": skl2onnx.__version__,
                    "onnxruntime (Python, for onnxSingleRowMs)": onnxruntime.__version__,
                },
            },
            file,
        )


if __name__ == "__main__":
    main()

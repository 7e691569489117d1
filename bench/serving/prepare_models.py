"""Writes the serving benchmark's model in both forms: the pickled scikit-learn model (MLflow's `sklearn` flavour, what
`mlflow models serve` loads) and its skl2onnx conversion (MLflow's `onnx` flavour, what `cairn models serve` loads),
both with the same signature inferred from a pandas example; plus the single-row request body and its expected answer.

Usage: .venv/bin/python bench/serving/prepare_models.py <out dir>   (called by bench/serving.mjs)
"""

import json
import os
import sys
import warnings

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
warnings.filterwarnings("ignore")

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import skl2onnx  # noqa: E402
import sklearn  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402


def main(out):
    iris = load_iris(as_frame=True)
    features = iris.data.rename(columns=lambda name: name.replace(" (cm)", "").replace(" ", "_"))
    model = LogisticRegression(max_iter=1000).fit(features, iris.target)
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

    row = features.iloc[[77]]
    with open(os.path.join(out, "request.json"), "w") as file:
        json.dump({"dataframe_split": row.to_dict(orient="split")}, file)
    with open(os.path.join(out, "expected.json"), "w") as file:
        json.dump(
            {
                "label": int(model.predict(row)[0]),
                "probabilities": model.predict_proba(row)[0].tolist(),
                "versions": {
                    "mlflow": mlflow.__version__,
                    "scikit-learn": sklearn.__version__,
                    "skl2onnx": skl2onnx.__version__,
                },
            },
            file,
        )


if __name__ == "__main__":
    main(sys.argv[1])

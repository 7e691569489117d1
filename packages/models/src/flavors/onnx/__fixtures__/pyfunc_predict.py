"""Loads a model directory with mlflow.pyfunc and prints its predictions as JSON.

Usage: pyfunc_predict.py MODEL_DIR INPUT_JSON, where INPUT_JSON is {"ndarray": [[...]]} (fed as float32) or
{"columns": {name: [values]}, "dtypes": {name: numpy dtype}} (fed as a DataFrame).
"""

import json
import sys

import mlflow.pyfunc
import numpy as np
import pandas as pd


def jsonable(value):
    if isinstance(value, pd.DataFrame):
        return {name: jsonable(value[name]) for name in value.columns}
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (np.ndarray, pd.Series, list)):
        return [jsonable(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def main():
    model = mlflow.pyfunc.load_model(sys.argv[1])
    request = json.loads(sys.argv[2])
    if "ndarray" in request:
        data = np.asarray(request["ndarray"], dtype=np.float32)
    else:
        data = pd.DataFrame({
            name: np.asarray(values, dtype=request["dtypes"][name])
            for name, values in request["columns"].items()
        })
    print(json.dumps(jsonable(model.predict(data))))


if __name__ == "__main__":
    main()

"""Records what MLflow's scoring server answers for request bodies, so Cairn's parsing can be compared with it.

An echo pyfunc model (it returns its input after MLflow's schema enforcement) is saved once per signature; each
case is sent through `mlflow.pyfunc.scoring_server.invocations`. Writes scoring-cases.json next to this file.
Run from the repository root: .venv/bin/python packages/models/src/format/__fixtures__/make_scoring_cases.py
"""

import json
import os
import tempfile

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.pyfunc import scoring_server
from mlflow.types.schema import Array, ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec

HERE = os.path.dirname(os.path.abspath(__file__))


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        if isinstance(model_input, pd.DataFrame):
            return model_input
        if isinstance(model_input, dict):
            return {k: np.asarray(v).tolist() for k, v in model_input.items()}
        return np.asarray(model_input).tolist()


SIGNATURES = {
    "none": None,
    "columns": ModelSignature(
        inputs=Schema([ColSpec("double", "x"), ColSpec("long", "n"), ColSpec("string", "s", required=False)]),
        params=ParamSchema([ParamSpec("temperature", "double", 0.5), ParamSpec("top_k", "long", 3),
                            ParamSpec("tags", "string", ["a"], (-1,))]),
    ),
    "one_column": ModelSignature(inputs=Schema([ColSpec("double", "x")])),
    "unnamed_columns": ModelSignature(inputs=Schema([ColSpec("double"), ColSpec("double")])),
    "array_column": ModelSignature(inputs=Schema([ColSpec(Array("long"), "ids"), ColSpec("string", "q")])),
    "tensor": ModelSignature(inputs=Schema([TensorSpec(np.dtype("float32"), (-1, 4))])),
    "named_tensors": ModelSignature(inputs=Schema([
        TensorSpec(np.dtype("float32"), (-1, 2), "a"), TensorSpec(np.dtype("int64"), (-1,), "b")])),
}

CASES = [
    # (name, signature, content type, body)
    ("split", "columns", "application/json", {"dataframe_split": {"columns": ["x", "n", "s"], "data": [[1.5, 2, "a"], [2, 3, "b"]]}}),
    ("split_reordered_extra", "columns", "application/json", {"dataframe_split": {"columns": ["z", "n", "x"], "data": [[0, 2, 1.5]]}}),
    ("records", "columns", "application/json", {"dataframe_records": [{"x": 1, "n": 2}, {"x": 2.5, "n": 4, "s": "q"}]}),
    ("missing_column", "columns", "application/json", {"dataframe_records": [{"x": 1, "z": 3}]}),
    ("long_from_float", "columns", "application/json", {"dataframe_records": [{"x": 1, "n": 2.5}]}),
    ("long_from_string", "columns", "application/json", {"dataframe_records": [{"x": 1, "n": "abc"}]}),
    ("double_from_string", "columns", "application/json", {"dataframe_records": [{"x": "abc", "n": 1}]}),
    ("instances_records", "columns", "application/json", {"instances": [{"x": 1.0, "n": 2}, {"x": 3.0, "n": 4}]}),
    ("inputs_columns", "columns", "application/json", {"inputs": {"x": [1.0, 2.0], "n": [1, 2]}}),
    ("inputs_single_row", "columns", "application/json", {"inputs": {"x": 1.0, "n": 2}}),
    ("params", "columns", "application/json", {"dataframe_records": [{"x": 1, "n": 2}], "params": {"temperature": 1, "tags": ["x", "y"], "unknown": 1}}),
    ("params_bad_type", "columns", "application/json", {"dataframe_records": [{"x": 1, "n": 2}], "params": {"top_k": "many"}}),
    ("one_column_list", "one_column", "application/json", {"inputs": [1, 2, 3]}),
    ("unnamed_columns", "unnamed_columns", "application/json", {"dataframe_split": {"data": [[1, 2, 3]]}}),
    ("unnamed_columns_too_few", "unnamed_columns", "application/json", {"dataframe_split": {"data": [[1]]}}),
    ("array_column", "array_column", "application/json", {"dataframe_records": [{"ids": [1, 2], "q": "a"}]}),
    ("tensor_inputs", "tensor", "application/json", {"inputs": [[1, 2, 3, 4], [5, 6, 7, 8]]}),
    ("tensor_wrong_shape", "tensor", "application/json", {"inputs": [[1, 2, 3]]}),
    ("tensor_from_split", "tensor", "application/json", {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3, 4]]}}),
    ("tensor_from_split_wrong_width", "tensor", "application/json", {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}),
    ("tensor_ragged", "tensor", "application/json", {"inputs": [[1, 2, 3, 4], [1]]}),
    ("tensor_string", "tensor", "application/json", {"inputs": [["a", 2, 3, 4]]}),
    ("tensor_dict_for_unnamed", "tensor", "application/json", {"inputs": {"a": [[1, 2, 3, 4]]}}),
    ("named_tensors", "named_tensors", "application/json", {"inputs": {"a": [[1, 2]], "b": [3]}}),
    ("named_tensors_missing", "named_tensors", "application/json", {"inputs": {"a": [[1, 2]]}}),
    ("named_tensors_instances", "named_tensors", "application/json", {"instances": [{"a": [1, 2], "b": 3}, {"a": [3, 4], "b": 5}]}),
    ("named_tensors_split", "named_tensors", "application/json", {"dataframe_split": {"columns": ["a", "b"], "data": [[[1, 2], 3]]}}),
    ("none_split", "none", "application/json", {"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2, None]]}}),
    ("none_inputs_tensor", "none", "application/json", {"inputs": [[1, 2], [3, 4]]}),
    ("none_instances_dict", "none", "application/json", {"instances": {"a": [1, 2], "b": [3, 4]}}),
    ("none_instances_unequal", "none", "application/json", {"instances": [{"a": 1, "b": 2}, {"a": 3}]}),
    ("list_body", "none", "application/json", [1, 2]),
    ("string_body", "none", "application/json", "abc"),
    ("two_keys", "none", "application/json", {"inputs": [1], "instances": [1]}),
    ("no_keys", "none", "application/json", {"data": [1]}),
    ("split_not_dict", "none", "application/json", {"dataframe_split": [[1, 2]]}),
    ("split_extra_key", "none", "application/json", {"dataframe_split": {"data": [[1]], "foo": 1}}),
    ("split_wrong_width", "none", "application/json", {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2, 3]]}}),
    ("records_not_list", "none", "application/json", {"dataframe_records": {"a": 1}}),
    ("malformed_json", "none", "application/json", '{"inputs": [1,'),
    ("csv", "none", "text/csv", "a,b,c\n1,2.5,x\n3,,y\n"),
    ("csv_columns", "columns", "text/csv", "x,n,s\n1,2,007\n"),
    ("csv_bool", "none", "text/csv", "flag,n\nTrue,1\nfalse,2\n"),
    ("csv_empty", "none", "text/csv", ""),
    ("wrong_content_type", "none", "text/plain", "{}"),
    ("charset_latin1", "none", "application/json; charset=latin-1", "{}"),
    ("unknown_parameter", "none", "application/json; format=pandas-split", "{}"),
]

results = []
with tempfile.TemporaryDirectory() as tmp:
    models = {}
    for name, signature in SIGNATURES.items():
        path = os.path.join(tmp, name)
        mlflow.pyfunc.save_model(path, python_model=Echo(), signature=signature, pip_requirements=[])
        models[name] = mlflow.pyfunc.load_model(path)
    for name, signature_name, content_type, body in CASES:
        model = models[signature_name]
        text = body if isinstance(body, str) else json.dumps(body)
        result = {"name": name, "signature": signature_name, "content_type": content_type, "body": text}
        try:
            response = scoring_server.invocations(text, content_type, model, model.metadata.get_input_schema())
            result["status"] = response.status
            if response.mimetype == "application/json":
                result["response"] = json.loads(response.response)
            else:
                result["text"] = response.response
        except MlflowException as error:
            result["status"] = error.get_http_status_code()
            result["error_code"] = error.error_code
            result["message"] = error.message
        results.append(result)

def without_nan(value):
    # JSON has no NaN; Cairn answers null where MLflow writes NaN.
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list):
        return [without_nan(item) for item in value]
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    return value


results = [without_nan(result) for result in results]
signatures = {
    name: (signature.to_dict() if signature else None) for name, signature in SIGNATURES.items()
}
with open(os.path.join(HERE, "scoring-cases.json"), "w") as out:
    json.dump({"signatures": signatures, "cases": results}, out, indent=1, sort_keys=False)
    out.write("\n")

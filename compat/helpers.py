"""Assertions shared by the compatibility tests."""

import pytest
from mlflow.exceptions import MlflowException


def expect_mlflow_error(call, error_code, http_status=None, message=None):
    """Runs `call`, expects the client to raise MlflowException with `error_code`; returns the exception."""
    with pytest.raises(MlflowException) as info:
        call()
    error = info.value
    assert error.error_code == error_code, f"expected {error_code}, got {error.error_code}: {error.message}"
    if http_status is not None:
        assert error.get_http_status_code() == http_status
    if message is not None:
        assert message in error.message, f"{message!r} not in {error.message!r}"
    return error


def expect_rest_error(response, http_status, error_code, message=None):
    """Checks an error answer: its status and MLflow's `{"error_code", "message"}` body."""
    assert response.status_code == http_status, f"{response.status_code}: {response.text[:500]}"
    body = response.json()
    assert body.get("error_code") == error_code, body
    assert isinstance(body.get("message"), str)
    if message is not None:
        assert message in body["message"], f"{message!r} not in {body['message']!r}"
    return body

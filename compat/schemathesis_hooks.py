"""Schemathesis hooks for the Cairn run (loaded with SCHEMATHESIS_HOOKS=schemathesis_hooks, PYTHONPATH=compat).

`mlflow_not_a_server_error` is schemathesis' `not_a_server_error` less the one 5xx that MLflow's protocol requires:
an MLflow error body with error_code INVALID_STATE, which MLflow answers with HTTP 500 (e.g. renaming a deleted
experiment). Any other 5xx, or a 500 without that body, fails.
"""

import json

import schemathesis
from schemathesis.core.failures import ServerError

# Error codes whose HTTP status MLflow defines as 5xx and that a correct server sends for a client's mistake.
MLFLOW_5XX_ERROR_CODES = {500: {"INVALID_STATE"}}


@schemathesis.check
def mlflow_not_a_server_error(ctx, response, case):
    status = response.status_code
    if status < 500:
        return None
    allowed = MLFLOW_5XX_ERROR_CODES.get(status, set())
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error_code") in allowed and isinstance(body.get("message"), str):
        return None
    raise ServerError(operation=case.operation.label, status_code=status)

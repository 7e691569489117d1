"""Uses MLflow's deployments client against the gateway's MLflow-style API; prints a JSON summary."""
import json
import os
import sys

from mlflow.deployments import get_deploy_client

client = get_deploy_client(os.environ["GATEWAY_URL"])
endpoints = client.list_endpoints()
endpoint = client.get_endpoint("chat")
chat = client.predict(endpoint="chat", inputs={"messages": [{"role": "user", "content": "mlflow says hi"}], "temperature": 0.5})
completion = client.predict(endpoint="completions", inputs={"prompt": "mlflow completes", "max_tokens": 10})
embeddings = client.predict(endpoint="embeddings", inputs={"input": ["a"]})
streamed = ""
try:
    for chunk in client.predict_stream(endpoint="chat", inputs={"messages": [{"role": "user", "content": "mlflow streams"}]}):
        for choice in chunk.get("choices", []):
            streamed += (choice.get("delta") or {}).get("content") or ""
except (AttributeError, NotImplementedError):  # MLflow 3 leaves predict_stream unimplemented for its gateway
    streamed = None
try:
    client.predict(endpoint="chat", inputs={"messages": "not a list"})
    invalid = None
except Exception as error:  # MLflow raises requests' HTTPError for 4xx answers
    invalid = str(error)

json.dump(
    {
        "endpoints": [{"name": e.name, "endpoint_type": e.endpoint_type, "provider": e.model.provider, "url": e.endpoint_url} for e in endpoints],
        "endpoint_limit": endpoint.limit.calls if endpoint.limit else None,
        "chat": chat["choices"][0]["message"]["content"],
        "completion": completion["choices"][0]["text"],
        "embeddings": embeddings["data"][0]["embedding"],
        "streamed": streamed,
        "invalid": invalid,
    },
    sys.stdout,
)

"""Calls the gateway's /v1 API with the official Python openai package; prints a JSON summary."""
import json
import os
import sys

import openai

client = openai.OpenAI(base_url=os.environ["GATEWAY_URL"] + "/v1", api_key="py-key", max_retries=0)

chat = client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "from python"}])
streamed = ""
for chunk in client.chat.completions.create(
    model="chat", messages=[{"role": "user", "content": "python stream"}], stream=True
):
    if chunk.choices and chunk.choices[0].delta.content:
        streamed += chunk.choices[0].delta.content
embeddings = client.embeddings.create(model="embeddings", input=["x", "y"])
try:
    client.chat.completions.create(model="missing", messages=[{"role": "user", "content": "x"}])
    missing_status = None
except openai.APIStatusError as error:
    missing_status = error.status_code

json.dump(
    {
        "version": openai.__version__,
        "chat": chat.choices[0].message.content,
        "usage": chat.usage.total_tokens,
        "streamed": streamed,
        "embeddings": [item.embedding for item in embeddings.data],
        "missing_status": missing_status,
    },
    sys.stdout,
)

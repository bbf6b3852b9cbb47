"""A fake NVIDIA NIM embeddings endpoint on a pytest-httpserver, in the documented format.

POST /embeddings  {"model", "input": [str, …], "input_type": "query"|"passage",
                   "encoding_format": "float", "truncate": "NONE"|"START"|"END"}
-> {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...]}, …],
    "model": …, "usage": {"prompt_tokens": n, "total_tokens": n}}

Vectors are deterministic: a hashed bag of words in `dimensions` dimensions, L2-normalised,
so texts sharing words have a higher cosine. Faults are queued with `fail(...)` and used one
per request, in order.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FAULTS = frozenset(
    {
        "500",  # HTTP 500
        "429",  # HTTP 429 with Retry-After: 0
        "wrong_dimensions",  # vectors one value short
        "shuffled",  # data items in reverse order (valid: clients must sort by index)
        "missing_item",  # one embedding fewer than inputs
        "not_json",  # a 200 with an HTML body
    }
)


def bag_of_words(text: str, dimensions: int) -> list[float]:
    """Deterministic unit vector: each lowercase word hashed to a dimension and a sign."""
    vector = [0.0] * dimensions
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        slot = int.from_bytes(digest[:4], "big") % dimensions
        vector[slot] += 1.0 if digest[4] % 2 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        vector[0] = 1.0
        return vector
    return [v / norm for v in vector]


@dataclass
class FakeNim:
    """The fake's state: expected key and model, recorded requests, queued faults."""

    key: str
    model: str = "nvidia/nv-embedqa-e5-v5"
    dimensions: int = 1024
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)

    def fail(self, *faults: str) -> None:
        for fault in faults:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}")
        self.faults.extend(faults)

    @property
    def inputs(self) -> list[list[str]]:
        return [body.get("input", []) for body in self.requests]

    def handle(self, request: Request) -> Response:
        self.headers.append(dict(request.headers))
        try:
            body = json.loads(request.get_data(as_text=True))
        except json.JSONDecodeError:
            return _error(400, "request body is not JSON")
        self.requests.append(body)
        if request.headers.get("Authorization") != f"Bearer {self.key}":
            return _error(401, "Unauthorized")
        if body.get("model") != self.model:
            return _error(404, f"model {body.get('model')!r} not found")
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return _error(400, "input must be a string or a non-empty list of strings")
        if body.get("input_type") not in ("query", "passage"):  # required by E5 models
            return _error(400, "input_type must be 'query' or 'passage' for this model")
        if body.get("encoding_format", "float") != "float":
            return _error(400, "this fake only speaks encoding_format float")
        if body.get("truncate", "NONE") not in ("NONE", "START", "END"):
            return _error(400, "truncate must be NONE, START or END")
        fault = self.faults.pop(0) if self.faults else None
        if fault == "500":
            return _error(500, "internal error")
        if fault == "429":
            return _error(429, "too many requests", {"Retry-After": "0"})
        if fault == "not_json":
            return Response("<html>gateway</html>", status=200, content_type="text/html")
        size = self.dimensions - 1 if fault == "wrong_dimensions" else self.dimensions
        data = [
            {"object": "embedding", "index": i, "embedding": bag_of_words(text, size)}
            for i, text in enumerate(texts)
        ]
        if fault == "shuffled":
            data.reverse()
        if fault == "missing_item":
            data = data[:-1]
        tokens = sum(len(text.split()) for text in texts)
        answer = {
            "object": "list",
            "data": data,
            "model": self.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return Response(json.dumps(answer), status=200, content_type="application/json")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"error": {"message": message, "code": status}})
    return Response(body, status=status, content_type="application/json", headers=headers)


def register_fake_nim(server: HTTPServer, fake: FakeNim) -> FakeNim:
    """Serve `fake` at POST /embeddings on `server` (any number of requests)."""
    server.expect_request("/embeddings", method="POST").respond_with_handler(fake.handle)
    return fake

"""A fake OpenAI-compatible chat-completions endpoint on a pytest-httpserver.

POST /chat/completions  {"model", "messages": [{"role", "content"}, …], "temperature",
                         "max_tokens", "response_format": {"type": "json_object"}}
-> {"id", "object": "chat.completion", "created", "model",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": …, "refusal": …},
                 "logprobs": null, "finish_reason": "stop"|"length"|"content_filter"}],
    "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}}

Answers come from a script (a queue), one per request; helpers build the usual kinds. Every
request is recorded (parsed body, headers) so tests can inspect prompts and look for leaks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@dataclass(frozen=True)
class Scripted:
    """One scripted answer: a choice, or an HTTP error status."""

    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"
    status: int = 200


def valid(answer: dict[str, Any]) -> Scripted:
    return Scripted(content=json.dumps(answer))


def fenced(answer: dict[str, Any]) -> Scripted:
    return Scripted(content="Here is the answer:\n```json\n" + json.dumps(answer) + "\n```\n")


def invalid(text: str = '{"score": 7, "rationale": "unterminated') -> Scripted:
    return Scripted(content=text)


def refusal(text: str = "I'm sorry, I can't help with that request.") -> Scripted:
    return Scripted(content=None, refusal=text)


def filtered() -> Scripted:
    return Scripted(content=None, finish_reason="content_filter")


def truncated(text: str = '{"score": 6.5, "rationale": "The claims are') -> Scripted:
    return Scripted(content=text, finish_reason="length")


def http_error(status: int) -> Scripted:
    return Scripted(status=status)


@dataclass
class FakeLlm:
    """The fake's state: expected key, the script, recorded requests."""

    key: str
    model: str = "meta/llama-3.3-70b-instruct"
    script: list[Scripted] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    raw_bodies: list[str] = field(default_factory=list)

    def answer(self, *answers: Scripted) -> FakeLlm:
        self.script.extend(answers)
        return self

    def messages(self, request: int = -1) -> list[dict[str, Any]]:
        return list(self.requests[request]["messages"])

    def handle(self, request: Request) -> Response:
        raw = request.get_data(as_text=True)
        self.raw_bodies.append(raw)
        self.headers.append(dict(request.headers))
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return _error(400, "request body is not JSON", "invalid_request_error")
        self.requests.append(body)
        if request.headers.get("Authorization") != f"Bearer {self.key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error")
        problem = _check_request(body, self.model)
        if problem:
            return _error(400, problem, "invalid_request_error")
        if not self.script:
            return _error(400, "fake_llm: no scripted answer left", "invalid_request_error")
        step = self.script.pop(0)
        if step.status != 200:
            return _error(step.status, f"scripted HTTP {step.status}", "server_error")
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        completion_tokens = len((step.content or "").split())
        answer = {
            "id": f"chatcmpl-fake{len(self.requests)}",
            "object": "chat.completion",
            "created": 1767225600,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": step.content,
                        "refusal": step.refusal,
                    },
                    "logprobs": None,
                    "finish_reason": step.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return Response(json.dumps(answer), status=200, content_type="application/json")


def _check_request(body: Any, model: str) -> str | None:
    """What is wrong with a request, as the real API would reject it (None: nothing)."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if body.get("model") != model:
        return f"The model `{body.get('model')}` does not exist"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty list"
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "user",
            "assistant",
        ):
            return "each message needs a role of system, user or assistant"
        if not isinstance(message.get("content"), str):
            return "each message needs string content"
    response_format = body.get("response_format")
    if response_format is not None:
        if response_format != {"type": "json_object"}:
            return "this fake supports response_format {'type': 'json_object'} only"
        # JSON mode: the API refuses requests whose messages never mention JSON.
        if not any("json" in m["content"].lower() for m in messages):
            return "'messages' must contain the word 'json' to use response_format json_object"
    for name, low, high in (("temperature", 0, 2), ("max_tokens", 1, 10**6)):
        value = body.get(name)
        if value is not None and not (isinstance(value, int | float) and low <= value <= high):
            return f"{name} out of range"
    return None


def _error(status: int, message: str, kind: str) -> Response:
    body = json.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}})
    return Response(body, status=status, content_type="application/json")


def register_fake_llm(server: HTTPServer, fake: FakeLlm) -> FakeLlm:
    """Serve `fake` at POST /chat/completions on `server` (any number of requests)."""
    server.expect_request("/chat/completions", method="POST").respond_with_handler(fake.handle)
    return fake


def completion(model: str, content: str, ident: str = "chatcmpl-fake") -> dict[str, Any]:
    """A minimal, valid chat-completions answer carrying `content` (for fakes that answer
    each prompt in kind rather than from a script)."""
    return {
        "id": ident,
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }

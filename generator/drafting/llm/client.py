"""An OpenAI-compatible chat client that asks for JSON and validates it.

Wire format (OpenAI Chat Completions, also served by NVIDIA NIM, vLLM and Ollama):

    POST {base_url}/chat/completions
    {"model": ..., "messages": [{"role": "system"|"user"|"assistant", "content": ...}],
     "temperature": ..., "max_tokens": ..., "response_format": {"type": "json_object"}}
    -> {"choices": [{"index": 0, "message": {"role": "assistant", "content": "...",
                                             "refusal": null},
                     "finish_reason": "stop"|"length"|"content_filter"|...}], ...}

Prompts are Jinja2 templates in `prompts/<name>.v<N>.md`; the highest version is used and its
version string (`prompt_version`) belongs in every cache key built from an answer. A template
renders to a system part and a user part, separated by a line `<!-- user -->`.

The API key travels only in the Authorization header (sent by `Service`); it is never part of
a prompt, a request body, an error or a log line.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import jinja2
from pydantic import BaseModel, ValidationError

from generator.inputs.settings import LlmSettings
from generator.machinery.http import Service, ServiceError, parse_json

log = logging.getLogger("sovereign.llm")

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
USER_MARKER = "<!-- user -->"
_TEMPLATE_NAME = re.compile(r"(?P<prompt>[a-z_]+)\.(?P<version>v(?P<number>\d+))\.md")
_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\r?\n(?P<body>.*?)```", re.DOTALL)

T = TypeVar("T", bound=BaseModel)


class LlmError(ServiceError):
    """The LLM gave no usable answer for `stage`, even after being asked again. Safe to show."""

    def __init__(self, stage: str, reason: str):
        super().__init__("llm", f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Prompt templates


def _data(value: Any) -> str:
    """Untrusted data as JSON: a quoted string or an array, which it cannot break out of.

    `</` is written `<\\/` (the same JSON value), so text that imitates the closing
    `</data>` delimiter stays inside the data block.
    """
    return json.dumps(value, ensure_ascii=False, indent=1, default=str).replace("</", "<\\/")


@cache
def _templates() -> dict[str, tuple[int, str]]:
    """prompt name -> (version number, file name) of its newest template."""
    found: dict[str, tuple[int, str]] = {}
    for path in PROMPTS_DIR.glob("*.md"):
        match = _TEMPLATE_NAME.fullmatch(path.name)
        if match is None:
            continue
        number = int(match["number"])
        if match["prompt"] not in found or number > found[match["prompt"]][0]:
            found[match["prompt"]] = (number, path.name)
    return found


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PROMPTS_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text for a model, not HTML; untrusted values go through |data
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["data"] = _data
    return env


def _template_file(prompt: str) -> str:
    try:
        return _templates()[prompt][1]
    except KeyError:
        known = ", ".join(sorted(_templates())) or "none"
        raise ValueError(f"unknown prompt {prompt!r} (known: {known})") from None


def prompt_version(prompt: str) -> str:
    """The template `ask(prompt, …)` uses, as "v1-1a2b3c4d": its version and a hash of its
    text, so editing a prompt without renaming it still invalidates cached stage outputs."""
    import hashlib

    path = _template_file(prompt)  # ValueError for an unknown prompt
    digest = hashlib.sha256((PROMPTS_DIR / path).read_bytes()).hexdigest()[:8]
    return f"v{_templates()[prompt][0]}-{digest}"


def render_prompt(prompt: str, variables: dict[str, Any]) -> tuple[str, str]:
    """The (system, user) messages of a prompt. ValueError on a missing variable."""
    template = _environment().get_template(_template_file(prompt))
    try:
        text = template.render(**variables)
    except jinja2.UndefinedError as exc:
        raise ValueError(f"prompt {prompt!r}: {exc.message}") from None
    system, marker, user = text.partition(USER_MARKER)
    if not marker:
        raise ValueError(f"prompt {prompt!r}: the template has no {USER_MARKER} line")
    return system.strip(), user.strip()


# ---------------------------------------------------------------------------------------------
# Answers


@dataclass(frozen=True)
class Reply:
    """The first choice of a chat completion."""

    content: str | None
    refusal: str | None
    finish_reason: str | None


def _parse_reply(text: str) -> Reply:
    """The chat-completion envelope; ValueError (a retryable HTTP fault) when malformed."""
    body = parse_json(text)
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError("no choices in the answer")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise ValueError("choice without a message")
    content = message.get("content")
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        content = (
            "".join(part.get("text", "") for part in content if isinstance(part, dict)) or None
        )
    if content is not None and not isinstance(content, str):
        raise ValueError("message content is not text")
    refusal = message.get("refusal")
    finish = choices[0].get("finish_reason")
    return Reply(
        content=content,
        refusal=refusal if isinstance(refusal, str) and refusal.strip() else None,
        finish_reason=finish if isinstance(finish, str) else None,
    )


class Unusable(Exception):
    """An answer that cannot be used; `reason` is what the model is told."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _json_text(content: str) -> str:
    """The JSON in an answer: the first ```json fenced block if any, else the whole text."""
    match = _FENCE.search(content)
    return (match["body"] if match else content).strip()


def _validation_summary(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(part) for part in error["loc"]) or "answer"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(parts)
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def interpret(reply: Reply, schema: type[T], max_tokens: int) -> T:
    """The validated answer, or `Unusable` saying what is wrong with it."""
    if reply.refusal:
        raise Unusable(f"the model refused: {' '.join(reply.refusal.split())[:200]}")
    if reply.finish_reason == "content_filter":
        raise Unusable("the answer was withheld by the content filter")
    if reply.finish_reason == "length":
        raise Unusable(f"the answer was cut off at max_tokens={max_tokens}; answer more briefly")
    if not reply.content or not reply.content.strip():
        raise Unusable("the answer was empty")
    try:
        value = json.loads(_json_text(reply.content))
    except json.JSONDecodeError as exc:
        raise Unusable(
            f"the answer is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise Unusable(f"the answer must be a JSON object, not {type(value).__name__}")
    try:
        return schema.model_validate(value)
    except ValidationError as exc:
        raise Unusable(f"the JSON does not match the schema ({_validation_summary(exc)})") from None


FOLLOW_UP = (
    "Your previous answer could not be used: {reason}.\n"
    "Answer again with only one JSON object of exactly the shape described in the instructions "
    "above, and nothing else."
)


# ---------------------------------------------------------------------------------------------
# Client


class LlmClient:
    """Asks an OpenAI-compatible chat endpoint for JSON answers validated by pydantic models."""

    name = "llm"

    def __init__(self, service: Service, settings: LlmSettings):
        self.service = service
        self.settings = settings

    def describe(self) -> str:
        parts = urlsplit(self.settings.base_url)
        host = parts.hostname or self.settings.base_url  # no user:password@ ever shown
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{self.settings.model} via OpenAI-compatible chat at {host}"

    @staticmethod
    def prompt_version(prompt: str) -> str:
        return prompt_version(prompt)

    def ask(self, prompt: str, variables: dict[str, Any], schema: type[T]) -> T:
        """Render `prompt`, ask for JSON, validate it with `schema`.

        An unusable answer (invalid JSON, schema violation, refusal, content filter,
        truncation) is sent back once with the reason; a second one raises `LlmError(prompt,
        …)`. HTTP failures raise `ServiceError` (from `Service`).
        """
        system, user = render_prompt(prompt, variables)
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        reply = self._complete(messages)
        try:
            return interpret(reply, schema, self.settings.max_tokens)
        except Unusable as problem:
            first = problem.reason
        log.warning("llm: %s: %s; asking once more", prompt, self.service.redact(first))
        messages += [
            {"role": "assistant", "content": reply.content or reply.refusal or ""},
            {"role": "user", "content": FOLLOW_UP.format(reason=first)},
        ]
        reply = self._complete(messages)
        try:
            return interpret(reply, schema, self.settings.max_tokens)
        except Unusable as problem:
            reason = self.service.redact(
                f"no usable answer after one retry: {first}; then {problem.reason}"
            )
            self.service.stats.add(failures=1)
            raise LlmError(prompt, reason) from None

    def _complete(self, messages: list[dict[str, str]]) -> Reply:
        body = {
            "model": self.settings.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
            "response_format": {"type": "json_object"},
        }
        reply: Reply = self.service.request(
            "POST",
            "chat/completions",
            json_body=body,
            auth="bearer",
            # a local server (vLLM, Ollama) may need no key: set api_key_env to null for it
            require_key=bool(self.settings.api_key_env),
            # NOTE: answers are not HTTP-cached: a refusal or invalid answer must not come
            # back on the next build; a usable one is kept by the stage cache instead.
            ttl_days=0,
            parse=_parse_reply,
        )
        return reply

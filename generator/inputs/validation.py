"""Turn pydantic validation errors into one `file:line: field: message` line each."""

from __future__ import annotations

import difflib
import typing

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from generator.inputs.yamlsrc import LoadedYaml, Problem


def _field_names(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The allowed keys at `loc` (for "did you mean" hints)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return []
        annotation = current.model_fields[part].annotation
        # `review: OwnerReview | None` names its model inside a union.
        candidates = [annotation, *typing.get_args(annotation)]
        current = next(
            (a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)), None
        )
    return list(current.model_fields) if current else []


def _message(error: ErrorDetails, model: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _field_names(model, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        tail = f"; did you mean '{hint[0]}'?" if hint else ""
        return f"unknown key{tail} (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "required key is missing"
    message: str = error["msg"].removeprefix("Value error, ")
    if kind.endswith("_type") or kind.startswith("literal") or kind == "enum":
        given = error.get("input")
        if not isinstance(given, dict | list):
            message += f" (got {given!r})"
    return message[0].lower() + message[1:] if message[1:2].islower() else message


def problems_from(
    exc: ValidationError,
    model: type[BaseModel],
    loaded: LoadedYaml,
    path: str,
) -> list[Problem]:
    """One Problem per validation error, with the line the field was written on."""
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        field = ".".join(str(p) for p in loc)
        problems.append(Problem(path, loaded.line_of(loc), field, _message(error, model)))
    return problems

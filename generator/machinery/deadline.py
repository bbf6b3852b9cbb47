"""A question's deadline: how long its pipeline may spend waiting on web services.

Set around one question's run; read by the HTTP boundary (`generator/machinery/http.py`), which
sends,
waits for and retries nothing past it. A context variable, so the tasks and threads a
question starts through asyncio (which copy the context) share its deadline, and questions
running side by side each keep their own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    ends: float  # time.monotonic() when the question's time is up
    seconds: float


_BUDGET: ContextVar[Budget | None] = ContextVar("sovereign_question_budget", default=None)


@contextmanager
def question_deadline(seconds: float) -> Iterator[None]:
    """Requests made inside end `seconds` from now."""
    token = _BUDGET.set(Budget(time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def budget() -> Budget | None:
    return _BUDGET.get()


def time_left() -> float | None:
    """Seconds until the current question's deadline (None: no deadline is set)."""
    current = _BUDGET.get()
    return None if current is None else current.ends - time.monotonic()

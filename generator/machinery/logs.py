"""Collecting what a library logs (MkDocs, WeasyPrint) while it runs, to report it ourselves."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class Collected(logging.Handler):
    """The messages logged at `level` or above while attached."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def collecting(logger: str, level: int) -> Iterator[Collected]:
    """Keep what `logger` logs at `level` or above inside the block."""
    handler = Collected(level)
    target = logging.getLogger(logger)
    target.addHandler(handler)
    try:
        yield handler
    finally:
        target.removeHandler(handler)

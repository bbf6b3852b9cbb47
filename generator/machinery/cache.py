"""Stage cache: each stage's output stored under a hash of what determines it.

The key is sha256 over the stage name, its version, its inputs and the settings it reads,
so a warm rebuild recomputes nothing and a changed threshold re-runs only what depends on it.
Values are JSON (never pickles); a corrupt cache is reported and treated as empty.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCK_WAIT = 10.0  # seconds SQLite waits for a locked cache before giving up


def stage_key(stage: str, version: str, inputs: Any, settings: Any) -> str:
    """Content hash identifying one stage computation."""
    blob = json.dumps(
        {"stage": stage, "version": version, "inputs": inputs, "settings": settings},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


SQLITE_HEADER = b"SQLite format 3\x00"


class StageCache:
    """A diskcache-backed store of stage outputs, opened on first use."""

    def __init__(self, directory: Path | None):
        self.directory = directory
        self._cache: Any = None
        self._read_only = False
        self._disabled = False
        self.problem: str | None = None

    def _open(self) -> Any:
        if self._cache is None and self.directory is not None and not self._disabled:
            import sqlite3

            import diskcache

            try:
                self._cache = diskcache.Cache(str(self.directory), timeout=LOCK_WAIT)
                self._cache.get("probe")  # a corrupt database fails here, not mid-build
            except sqlite3.OperationalError as exc:  # locked by another process: leave it be
                self._cache = None
                self._disabled = True
                self.problem = (
                    f"the cache at {self.directory} is locked by another process ({exc}); "
                    "this build runs without it"
                )
                log.warning(self.problem)
            except Exception as exc:  # unreadable or corrupt database: rebuild from scratch
                self.problem = f"cache at {self.directory} was unusable ({exc}); rebuilt empty"
                log.warning(self.problem)
                import shutil

                shutil.rmtree(self.directory, ignore_errors=True)
                self._cache = diskcache.Cache(str(self.directory), timeout=LOCK_WAIT)
        return self._cache

    def check(self) -> None:
        """A cheap look at the database file, without importing anything: one that is not
        SQLite is reported and rebuilt now, even by a warm build that reads nothing from the
        cache (the ledger spares it), so the damage is said when it is found, not later."""
        if self.directory is None or self._cache is not None:
            return
        try:
            with (self.directory / "cache.db").open("rb") as handle:
                head = handle.read(len(SQLITE_HEADER))
        except OSError:  # no cache yet, or unreadable: opening it will say which
            return
        if head != SQLITE_HEADER:
            self._open()

    def get(self, key: str) -> dict | None:
        cache = self._open()
        if cache is None:
            return None
        try:
            raw = cache.get(key)
            return json.loads(raw) if raw is not None else None
        except Exception as exc:
            log.warning("ignoring unreadable cache entry %s: %s", key[:12], exc)
            return None

    def set(self, key: str, value: dict) -> None:
        cache = self._open()
        if cache is None or self._read_only:
            return
        try:
            cache.set(key, json.dumps(value, ensure_ascii=False))
        except Exception as exc:  # e.g. the database is locked by a foreign process
            self._read_only = True
            self.problem = (
                f"cannot write the cache at {self.directory} ({exc}); this build goes on "
                "without saving its results there"
            )
            log.warning(self.problem)

    def clear(self) -> int:
        cache = self._open()
        return cache.clear() if cache is not None else 0

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

"""One build at a time per project: an exclusive lock on a file in the cache folder.

Two `sovereign build` processes started together would interleave their writes; with the lock
the second waits for the first (saying so), then runs on its finished outputs. The lock is
held by the operating system, so a killed build never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LockTimeout(Exception):
    """Another build held the project for longer than we were willing to wait."""


@contextmanager
def project_lock(folder: Path, timeout: float = 3600.0) -> Iterator[None]:
    """Hold the project's build lock (in `folder`) for the duration of the block."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "build.lock"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    print(f"another build holds {path}; waiting for it to finish…", file=sys.stderr)
                    told = True
                if time.monotonic() > deadline:
                    raise LockTimeout(f"{path} stayed locked for {timeout:.0f} s") from None
                time.sleep(0.2)
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(handle)  # closing releases the lock


def remove_leftovers(site_dir: Path, *folders: Path) -> list[Path]:
    """Delete what an interrupted build can leave: temporary files of atomic writes
    (`.name.xxxx.tmp`) in `folders`, and half-built site folders (`.site.xxxx`)."""
    removed = []
    for folder in folders:
        if folder.is_dir():
            for path in folder.rglob(".*.tmp"):
                if path.is_file():
                    path.unlink(missing_ok=True)
                    removed.append(path)
    for path in site_dir.parent.glob(f".{site_dir.name}.*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed

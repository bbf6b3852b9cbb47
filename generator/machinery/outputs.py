"""Writing outputs atomically: a reader never sees a half-written file or site."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)  # NOTE: read once, at import, before any thread starts
    os.umask(mask)
    return mask


_UMASK = _umask()
FILE_MODE = 0o666 & ~_UMASK  # what open() would give a new file
DIR_MODE = 0o777 & ~_UMASK  # what mkdir() would give a new folder


def write_text(path: Path, text: str) -> bool:
    """Write `text` to `path` atomically; leave the file (and its mtime) alone if unchanged."""
    return write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically (a temporary file in the same folder, fsync, rename);
    leave the file (and its mtime) alone if unchanged. True when the file was written."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # NOTE: mkstemp makes the file private (0600); a page must be readable like any other
        # file the user writes, or a web server serving site/ as another user cannot read it.
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def prune(folder: Path, keep: set[str], suffixes: tuple[str, ...]) -> list[Path]:
    """Delete generated files in `folder` whose names are not in `keep`."""
    removed = []
    if folder.is_dir():
        for path in folder.iterdir():
            if path.suffix in suffixes and path.name not in keep:
                path.unlink()
                removed.append(path)
    return removed


def swap_directory(new: Path, target: Path) -> None:
    """Replace `target` by the fully built `new` directory (two renames, no partial state).
    `new` gets the permissions of a folder made with mkdir (mkdtemp makes it private)."""
    os.chmod(new, DIR_MODE)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)

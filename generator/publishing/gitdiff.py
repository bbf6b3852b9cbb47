"""What a branch changed, from git (for pull-request checks)."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    """git could not answer (not a repository, unknown base, git missing)."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git: {exc}") from None


def changed_files(root: Path, base: str, folder: str) -> list[str]:
    """Paths under `folder` added, modified or renamed between `base` and HEAD (merge-base
    diff, as a pull request shows it), relative to `root`."""
    done = _git(root, "diff", "--name-only", "--diff-filter=AMR", f"{base}...HEAD", "--", folder)
    if done.returncode != 0:
        raise GitError(f"git diff against {base!r} failed: {done.stderr.strip()}")
    return [line for line in done.stdout.splitlines() if line.endswith((".yaml", ".yml"))]


def merge_base(root: Path, base: str) -> str:
    """The commit a pull request from HEAD into `base` starts from."""
    done = _git(root, "merge-base", base, "HEAD")
    if done.returncode != 0:
        raise GitError(f"no merge base of {base!r} and HEAD: {done.stderr.strip()}")
    return done.stdout.strip()


def changed_paths(root: Path, rev: str, folders: list[str]) -> list[tuple[str | None, str | None]]:
    """(path at `rev`, path at HEAD) of each YAML file under `folders` that differs; None
    where the file does not exist (added or deleted). Renames are followed."""
    done = _git(root, "diff", "--name-status", "-M", rev, "HEAD", "--", *folders)
    if done.returncode != 0:
        raise GitError(f"git diff against {rev!r} failed: {done.stderr.strip()}")
    found: list[tuple[str | None, str | None]] = []
    for line in done.stdout.splitlines():
        status, *paths = line.split("\t")
        if not paths or not paths[-1].endswith((".yaml", ".yml")):
            continue
        kind = status[:1]
        if kind == "A":
            found.append((None, paths[0]))
        elif kind == "D":
            found.append((paths[0], None))
        elif kind in ("R", "C"):
            found.append((paths[0], paths[1]))
        else:
            found.append((paths[0], paths[0]))
    return found


def file_at(root: Path, rev: str, path: str) -> str | None:
    """A file's text at `rev`, or None when it does not exist there."""
    done = _git(root, "show", f"{rev}:{path}")
    return done.stdout if done.returncode == 0 else None

"""Which question files a branch changed, from git (for pull-request checks)."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    """git could not answer (not a repository, unknown base, git missing)."""


def changed_files(root: Path, base: str, folder: str) -> list[str]:
    """Paths under `folder` added, modified or renamed between `base` and HEAD (merge-base
    diff, as a pull request shows it), relative to `root`."""
    try:
        done = subprocess.run(
            ["git", "diff", "--name-only", "--diff-filter=AMR", f"{base}...HEAD", "--", folder],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        raise GitError(f"git diff against {base!r} failed: {done.stderr.strip()}")
    return [line for line in done.stdout.splitlines() if line.endswith((".yaml", ".yml"))]

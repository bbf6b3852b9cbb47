"""What the bench scripts share."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def code_version() -> str:
    """The commit and the tree of generator/ measured (read-only git), "+dirty" when
    generator/ has uncommitted changes: "bd0f1f2 generator@4c1a9e2"."""
    git = ["git", "-C", str(REPO)]
    try:
        head, tree = subprocess.run(
            [*git, "rev-parse", "HEAD", "HEAD:generator"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "generator"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, ValueError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head[:7]} generator@{tree[:7]}" + ("+dirty" if dirty else "")

"""Shared fixtures: a small project folder built from the repository's own files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Two seed pairings (one mismatched, one matched) and one unpinned question.
SAMPLE = [
    "anyexperts-scaling-routing-signatures.yaml",
    "anyexperts-representational-collapse.yaml",
    "moe-serving-offloading.yaml",
]


def make_project(root: Path, questions: list[str] | None = None, settings: str = "") -> Path:
    """Copy mkdocs.yml, the hand-written pages and some question files into `root`."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(
        REPO / "site_src", root / "site_src", ignore=shutil.ignore_patterns("drafts", "index.md")
    )
    (root / "questions").mkdir()
    for name in questions if questions is not None else SAMPLE:
        shutil.copy(REPO / "questions" / name, root / "questions" / name)
    if settings:
        (root / "sovereign.yml").write_text(settings, encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` as a fixed test author; fail loudly with git's message."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout

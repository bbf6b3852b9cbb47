"""Shared fixtures: a small project folder built from the repository's own files."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Two seed pairings (one mismatched, one matched) and one unpinned question.
SAMPLE = [
    "anyexperts-scaling-routing-signatures.yaml",
    "anyexperts-representational-collapse.yaml",
    "moe-serving-offloading.yaml",
]


def make_project(
    root: Path, questions: list[str] | None = None, settings: str = "", *, indexed: bool = True
) -> Path:
    """Copy mkdocs.yml, the hand-written pages and some question files into `root`; with
    `indexed`, also the bundled corpus's indexes, as a project that has built once has them."""
    root.mkdir(parents=True, exist_ok=True)
    if indexed:
        shutil.copytree(corpus_indexes(), root / INDEXES)
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


INDEXES = Path(".cache/sovereign/index")


@functools.cache
def corpus_indexes() -> Path:
    """The bundled corpus's indexes (BM25, MiniLM vectors), built once per test session.

    Encoding the corpus takes a cold build about 8 of its 10 pipeline seconds, the same work
    for every project the tests make; each copies them instead. The index store's own
    behaviour (building, checksums, staleness, concurrent builders) is tested in
    tests/test_index_store.py, and `indexed=False` gives a project without them."""
    seed = Path(tempfile.mkdtemp(prefix="sovereign-test-indexes-"))
    atexit.register(shutil.rmtree, seed, ignore_errors=True)
    make_project(seed, SAMPLE[:1], indexed=False)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "generator.cli", "--root", str(seed), "build"]
    done = subprocess.run(
        [*command, "--no-site", "--no-pdf"], capture_output=True, text=True, env=env
    )
    if done.returncode != 0 or not (seed / INDEXES).is_dir():
        raise AssertionError(f"building the corpus indexes failed:\n{done.stderr[-3000:]}")
    return seed / INDEXES


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

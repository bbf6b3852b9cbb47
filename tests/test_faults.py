"""Builds that are interrupted or run twice at once leave whole outputs, and recover."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO, make_project
from .integrity import half_written

ALL = sorted(p.name for p in (REPO / "questions").glob("*.yaml"))


def _start(project: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "--root", str(project), "build", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # as from a terminal: SIGINT interrupts it even when the tests run in the background
        # (a background job inherits SIGINT ignored, and the SIGINT case would test nothing)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_two_builds_at_once_take_turns_and_both_finish(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", ALL[:4])
    first, second = _start(project, "--no-pdf"), _start(project, "--no-pdf")
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    assert any("another build holds" in err for _, err in results)
    assert half_written(project) == []
    assert "4 drafts" in results[0][0] + results[1][0]


@pytest.mark.parametrize("delay", [0.8, 2.0, 3.5])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_killed_build_leaves_whole_outputs_and_the_next_one_completes(
    tmp_path: Path, sig: signal.Signals, delay: float
) -> None:
    project = make_project(tmp_path / "p", ALL)
    build = _start(project)
    time.sleep(delay)
    build.send_signal(sig)
    _, err = build.communicate(timeout=120)
    if sig == signal.SIGINT:  # the build is far from done: Ctrl-C stops it, with a message
        # (-2: it came while Python was still starting, before its own handler)
        assert build.returncode in (130, -signal.SIGINT), (build.returncode, err)
        assert build.returncode == -signal.SIGINT or "interrupted" in err, err
        assert "Traceback" not in err
    assert half_written(project) == []
    again = _start(project)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert half_written(project) == []
    assert (project / "site" / "index.html").exists()
    assert not list(project.glob(".site.*"))

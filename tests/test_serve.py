"""`sovereign serve`: an author's edit to a question file or to the settings reaches the
served site without a build by hand, with each engine's own live-reloading server."""

from __future__ import annotations

import contextlib
import html
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import REPO, make_project

QUESTION = "moe-serving-offloading.yaml"
Served = tuple[Path, str, Path, subprocess.Popen]  # project, origin, log, the serve process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _until(check: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} within {seconds} s; serve printed:\n{log.read_text()[-3000:]}")


@pytest.fixture(params=["mkdocs", "zensical"])
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    project = make_project(
        tmp_path / "p", [QUESTION], settings=f"site:\n  engine: {request.param}\n"
    )
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "generator.cli",
                "--root",
                str(project),
                "serve",
                "--addr",
                f"127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            # as from a terminal: Ctrl-C interrupts it even when the tests run in the background
            # (a background job inherits SIGINT ignored), and its own group can be cleaned up
            preexec_fn=_sigint_as_in_a_terminal,
            start_new_session=True,
        )
        try:
            yield project, f"http://127.0.0.1:{port}", log, server
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=30)
            # nothing of it outlives the test, not even an engine server it left behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stops(served: Served, sent: signal.Signals) -> None:
    """Send `sent` to serve: it exits, and the engine's server stops listening too."""
    _, origin, log, server = served
    server.send_signal(sent)
    server.wait(timeout=60)

    def refused() -> bool:
        try:
            httpx.get(f"{origin}/index.html", timeout=2)
        except httpx.ConnectError:
            return True
        return False

    _until(refused, 30, "the engine's server stops", log)


def test_an_edit_reaches_the_served_site(served: Served) -> None:
    project, origin, log, _ = served

    def page(path: str) -> str:
        return html.unescape(httpx.get(f"{origin}/{path}", timeout=5).text)

    _until(lambda: "moe-serving-offloading" in page("index.html"), 300, "the site is served", log)
    # a question file edited: its new tag is on the served index
    question = project / "questions" / QUESTION
    question.write_text(
        question.read_text().replace("tags: [", "tags: [served-edit, "), encoding="utf-8"
    )
    _until(lambda: "served-edit" in page("index.html"), 300, "the edited tag is served", log)
    # the settings edited: the feed's links become absolute
    settings = project / "sovereign.yml"
    settings.write_text(settings.read_text() + "  url: https://example.org/drafts/\n")
    _until(
        lambda: "https://example.org/drafts/feed.xml" in page("feed.xml"),
        300,
        "the new site address is in the served feed",
        log,
    )
    assert "questions/moe-serving-offloading.yaml" in log.read_text()
    _stops(served, signal.SIGINT)  # Ctrl-C


def test_a_terminated_serve_stops_the_engines_server(served: Served) -> None:
    """SIGTERM (a service manager, `kill`) stops the engine's server too: nothing is left
    listening on the port, or writing into the project."""
    _, origin, log, _ = served
    _until(lambda: httpx.get(f"{origin}/index.html", timeout=5).is_success, 300, "served", log)
    _stops(served, signal.SIGTERM)

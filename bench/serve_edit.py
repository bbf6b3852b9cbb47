"""How long an author waits under `sovereign serve`: from saving a question file to the served
page showing the edit, with the process (models, engine) kept alive between edits.

Usage:
    .venv/bin/python bench/serve_edit.py [--sizes 100,1000] [--edits 3] [--engines mkdocs,zensical]

For each N, a scratch project of N generated questions (as bench/scale.py makes them) is
built once with `build --no-site --no-pdf` (the cold pipeline, not timed here). Then, for each
engine: `sovereign serve` starts (its first full build is timed as "start"), and each edit
appends a distinct sentence to one question's text and times until that question's served
page holds it (polled every 0.1 s at 127.0.0.1). The edit reruns that question's pipeline in
the serving process (models already loaded), rewrites its page, and the engine's own server
rebuilds the site and reloads the page. Reported: start, and the median and maximum of the
edits; compare them with `scale.py --published` (one edit with a build from the command line).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import code_version  # bench/ is on sys.path when run as a script
from scale import (
    PY,
    REPO,
    _table,
    build_cmd,
    machine,
    make_project,
    make_questions,
    run,
    write_question,
)

ENGINES = ("mkdocs", "zensical")
TIMEOUT = 900  # s for the first build of the largest site


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, text: str, server: subprocess.Popen, seconds: float) -> float:
    """Seconds until the page at `url` holds `text`; raises if the server dies or time is up."""
    started = time.monotonic()
    with httpx.Client(timeout=5) as client:
        while time.monotonic() - started < seconds:
            if server.poll() is not None:
                raise RuntimeError(f"serve exited {server.returncode}")
            try:
                answer = client.get(url)
                if answer.status_code == 200 and text in answer.text:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not show {text!r} within {seconds} s")


def measure(n: int, engine: str, root: Path, edits: int, logs: Path) -> dict:
    questions = make_questions(n)
    (root / "sovereign.yml").write_text(f"site:\n  engine: {engine}\n", encoding="utf-8")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (logs / f"serve-{engine}.log").open("w")
    command = [PY, "-m", "generator.cli", "--root", str(root), "serve", "--addr"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        [*command, f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    try:
        slug, text, _ = questions[0]
        start = _wait_for(f"{base}/drafts/{slug}.html", "</html>", server, TIMEOUT)
        print(f"  {engine}: serving {n} drafts after {start:.2f} s", flush=True)
        waits = []
        for k in range(1, edits + 1):
            slug, text, tags = questions[(k * n) // (edits + 1)]
            marker = f"Consider the evidence of edit {k} under {engine}."
            write_question(root / "questions", slug, f"{text} {marker}", tags)
            waits.append(_wait_for(f"{base}/drafts/{slug}.html", marker, server, TIMEOUT))
            print(f"  {engine}: edit {k} visible after {waits[-1]:.2f} s", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    return {"n": n, "engine": engine, "start": start, "edits": waits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated N values")
    parser.add_argument("--edits", type=int, default=3, help="edits timed per engine")
    parser.add_argument("--engines", default=",".join(ENGINES))
    args = parser.parse_args()
    print(f"machine: {machine()}\ncode {code_version()}", flush=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="sovereign-serve-") as scratch:
            logs = Path(scratch) / "logs"
            logs.mkdir()
            root = make_project(Path(scratch) / "main", make_questions(n))
            print(f"N = {n}: the cold pipeline first (not timed here)", flush=True)
            run("cold pipeline", build_cmd(root, "--no-site", "--no-pdf", jobs=2), logs)
            for engine in args.engines.split(","):
                got = measure(n, engine, root, args.edits, logs)
                rows.append(
                    [
                        str(n),
                        engine,
                        f"{got['start']:.2f}",
                        f"{statistics.median(got['edits']):.2f}",
                        f"{max(got['edits']):.2f}",
                    ]
                )
    header = ["N", "engine", "start s", "edit → page, median s", "max s"]
    print("\n" + _table(rows, header))
    print(f"load now {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Try every bad input and fault we know of; write docs/reliability.md from what happened.

Usage: .venv/bin/python scripts/reliability.py [--out docs/reliability.md]

Each case runs the real `sovereign` command in a scratch project (offline, or against fake
web services on 127.0.0.1) and records what a user saw, whether any other draft was lost,
whether the program crashed without a message (a traceback, or an exit code we do not
document), and whether any payload ran. Exits 1 if any case lost data, crashed or ran a
payload. Needs the dev extra (pytest-httpserver for the fake services).
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import git, make_project  # noqa: E402
from tests.integrity import half_written  # noqa: E402

GOOD = ["moe-serving-offloading.yaml", "sparse-upcycling-vs-scratch.yaml"]
DOCUMENTED_EXITS = {0, 1, 2, 130}
CANARY = "nvapi-CANARY-0d9e8f7a6b"


@dataclass
class Outcome:
    behaviour: str
    lost: bool = False
    crashed: bool = False
    executed: bool = False


@dataclass
class Case:
    category: str
    name: str
    run: Callable[[Path], Outcome]


def sovereign(project: Path, *args: str, env: dict | None = None, timeout: float = 600):
    done = subprocess.run(
        [sys.executable, "-m", "generator.cli", "--root", str(project), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )
    return done


def crashed(done: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" in done.stderr or done.returncode not in DOCUMENTED_EXITS


def first_problem(text: str) -> str:
    lines = [line for line in text.splitlines() if re.match(r"^\S.*?\.ya?ml(:\d+)?: ", line)]
    return lines[0] if lines else (text.strip().splitlines() or ["(no message)"])[-1]


def drafts_built(project: Path) -> set[str]:
    found = set()
    for folder in ("review", "review/rejected", "site_src/drafts"):
        found |= {p.stem for p in (project / folder).glob("*.json")}
    return found


# --- question files -------------------------------------------------------------------------


def bad_file(name: str, content: bytes) -> Callable[[Path], Outcome]:
    def run(tmp: Path) -> Outcome:
        project = make_project(tmp / "p", GOOD)
        (project / "questions" / name).write_bytes(content)
        check = sovereign(project, "check")
        build = sovereign(project, "build", "--no-pdf")
        good = {g.removesuffix(".yaml") for g in GOOD}
        lost = not good <= drafts_built(project)
        problem = first_problem(check.stderr)
        named = name.split(".")[0][:20] in problem or "questions/" in problem
        return Outcome(
            f"check exit {check.returncode}: `{problem[:160]}`; build exit {build.returncode}, "
            f"{len(drafts_built(project) & good)} of {len(good)} valid drafts built"
            + ("" if named else " — message does not name the file"),
            lost=lost or not named or check.returncode != 2,
            crashed=crashed(check) or crashed(build),
        )

    return run


def empty_folder(tmp: Path) -> Outcome:
    project = make_project(tmp / "p", [])
    check = sovereign(project, "check")
    build = sovereign(project, "build", "--no-pdf")
    return Outcome(
        f"check exit {check.returncode}: `{first_problem(check.stderr)}`; build exit "
        f"{build.returncode} with an empty index",
        crashed=crashed(check) or crashed(build),
        lost=check.returncode != 2,
    )


BILLION_LAUGHS = (
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + b"".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n".encode()
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + b"question: What happens with nine levels of aliases?\n"
)

QUESTION_CASES = [
    ("YAML syntax error", "syntax.yaml", b"question: [unclosed\ntags: x\n"),
    ("wrong type", "wrong-type.yaml", b"question: What about types?\ntags: 42\n"),
    ("unknown key", "unknown.yaml", b"question: What about typos here?\nqestion: x\n"),
    ("duplicate key", "dupe.yaml", b"question: First version here?\nquestion: Second one?\n"),
    ("empty file", "empty.yaml", b""),
    ("file over 1 MB", "huge.yaml", b"question: " + b"x" * 1_100_000 + b"\n"),
    ("invalid UTF-8", "latin1.yaml", "question: Caf\u00e9 au lait?\n".encode("latin-1")),
    ("binary file", "binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
    ("alias bomb (billion laughs)", "bomb.yaml", BILLION_LAUGHS),
    (
        "!!python/object tag",
        "pyobj.yaml",
        b"question: !!python/object/apply:os.system ['touch /tmp/sovereign-pwned']\n",
    ),
    (
        "unquoted arXiv id (YAML float)",
        "float-id.yaml",
        b"question: Which paper?\npaper: 2303.01610\n",
    ),
    ("bad arXiv id", "bad-id.yaml", b'question: Which paper now?\npaper: "../../etc/passwd"\n'),
    ("id with uppercase", "Upper-Case.yaml", b"question: What about case here?\n"),
    ("id with spaces", "has space.yaml", b"question: What about spaces here?\n"),
    ("id with dots", "..dots.yaml", b"question: What about dots here?\n"),
    ("id with unicode look-alike", "\u0430nyexperts.yaml", b"question: A Cyrillic a?\n"),
    ("duplicate slug (.yaml and .yml)", "moe-serving-offloading.yml", b"question: Twice?\n"),
]


# --- untrusted text --------------------------------------------------------------------------


def hostile_text(tmp: Path) -> Outcome:
    from tests.hostile import hostile_project

    project = hostile_project(tmp / "p")
    done = sovereign(project, "build", "--preview")
    pages = list((project / "site").rglob("*.html"))
    executed = []
    shapes = []
    for page in pages:
        text = page.read_text()
        if re.search(r"<(script|img|svg|iframe)[^>]*(PWNED|onerror|onload)", text, re.I):
            executed.append(page.name)
        if re.search(r'href="javascript:', text, re.I):
            executed.append(page.name)
        for table in re.findall(r"<table>(.*?)</table>", text, re.S):
            widths = {
                row.count("<td") + row.count("<th")
                for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
            }
            shapes.append(len(widths) == 1)
    browser = _browser_check()
    if not browser.startswith("headless Chromium: every page"):
        executed.append(browser)
    return Outcome(
        f"build exit {done.returncode}; {len(pages)} pages scanned, payloads shown as text, "
        f"{sum(shapes)} of {len(shapes)} tables keep their shape; {browser}",
        executed=bool(executed),
        lost=not all(shapes) or done.returncode != 0,
        crashed=crashed(done),
    )


def _browser_check() -> str:
    """Run the browser suite (tests/test_browser.py: every page of hostile sites in headless
    Chromium) and say what it found."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_browser.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    last = (done.stdout.strip().splitlines() or ["no output"])[-1]
    if done.returncode == 0:
        return f"headless Chromium: every page loaded, no script ran, no outside request ({last})"
    return f"headless Chromium check FAILED: {last}"


# --- network faults ---------------------------------------------------------------------------


def live_settings(arxiv_url: str) -> str:
    fast = (
        "timeout: 1\n    retries: 2\n    backoff: 0.01\n    max_backoff: 0.1\n    min_interval: 0"
    )
    return (
        "search: {sources: [local, arxiv], keep: 8}\n"
        f"services:\n  arxiv:\n    base_url: {arxiv_url}\n    {fast}\n"
    )


def network_fault(kind: str) -> Callable[[Path], Outcome]:
    def run(tmp: Path) -> Outcome:
        from pytest_httpserver import HTTPServer

        from generator.drafting.corpus import load_corpus
        from tests.fake_arxiv import install_fake_arxiv

        server = HTTPServer(host="127.0.0.1", port=0)
        server.start()
        try:
            fake = install_fake_arxiv(server, load_corpus())
            injected = {
                "timeouts": lambda: fake.slow(times=10_000, seconds=3),
                "429 storm": lambda: fake.fail_429(times=10_000, retry_after="0"),
                "5xx storm": lambda: fake.fail_500(times=10_000),
                "truncated bodies": lambda: fake.truncate(times=10_000),
                "malformed bodies": lambda: fake.malformed(times=10_000),
            }
            injected[kind]()
            project = make_project(tmp / "p", GOOD[:1], settings=live_settings(fake.base_url))
            done = sovereign(project, "build", "--no-pdf", timeout=900)
            fake.release()
        finally:
            server.clear()
            server.stop()
        return escalated_outcome(project, done)

    return run


def connection_resets(tmp: Path) -> Outcome:
    """A server that accepts and immediately resets every connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/api"
        project = make_project(tmp / "p", GOOD[:1], settings=live_settings(url))
        done = sovereign(project, "build", "--no-pdf", timeout=600)
    finally:
        stop.set()
        thread.join()
        listener.close()
    return escalated_outcome(project, done)


def escalated_outcome(project: Path, done: subprocess.CompletedProcess[str]) -> Outcome:
    drafts = [json.loads(p.read_text()) for p in (project / "review").glob("*.json")]
    drafts += [json.loads(p.read_text()) for p in (project / "site_src" / "drafts").glob("*.json")]
    escalated = [d for d in drafts if d["decision"]["policy"] == "ESCALATE_TO_OWNER"]
    partial = [d for d in escalated if "partial data" in d["decision"]["reason"]]
    retries = len(re.findall(r"retry \d+ of \d+", done.stderr))
    reason = partial[0]["decision"]["reason"][:140] if partial else "(no reason)"
    return Outcome(
        f"build exit {done.returncode}; {retries} retries shown; {len(partial)} of "
        f"{len(drafts)} drafts escalated as built on partial data: “{reason}”",
        lost=not drafts or len(partial) != len(drafts),
        crashed=crashed(done),
    )


@contextmanager
def fake_server(threaded: bool = False) -> Iterator[Any]:
    """A local HTTP server for one case, stopped (and its slow answers let go) afterwards."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0, threaded=threaded)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def queries_of(project: Path) -> int:
    """How many searches the drafts asked arXiv for, over every round."""
    drafts = [json.loads(p.read_text()) for p in (project / "review").glob("*.json")]
    return sum(
        h["source"] == "arxiv"
        for d in drafts
        for r in d["rounds"]
        for h in r["search"]["per_query"]
    )


def arxiv_error_feed(status: int) -> Callable[[Path], Outcome]:
    """arXiv answers every query with its documented Atom error feed."""

    def run(tmp: Path) -> Outcome:
        from generator.drafting.corpus import load_corpus
        from tests.fake_arxiv import install_fake_arxiv

        with fake_server() as server:
            fake = install_fake_arxiv(server, load_corpus())
            fake.error_entry(
                times=10_000, message="incorrect id format for 1234.12345", status=status
            )
            project = make_project(tmp / "p", GOOD[:1], settings=live_settings(fake.base_url))
            done = sovereign(project, "build", "--no-pdf")
            asked = len(fake.log)
        outcome = escalated_outcome(project, done)
        queries = queries_of(project)
        shown = "incorrect id format for 1234.12345" in _pages_text(project)
        outcome.behaviour = (
            f"{asked} requests for {queries} queries (no retry); the page shows arXiv's own "
            f"message: {'yes' if shown else 'NO'}; " + outcome.behaviour
        )
        outcome.lost = outcome.lost or asked != queries or not shown
        return outcome

    return run


def _pages_text(project: Path) -> str:
    return "\n".join(
        html.unescape(p.read_text())
        for folder in ("review", "site_src/drafts")
        for p in (project / folder).glob("*.md")
    )


def _trickle(stop: threading.Event) -> Callable[[Any], Any]:
    from werkzeug import Response

    def handle(request: Any) -> Any:
        def body() -> Iterator[bytes]:
            yield b'<?xml version="1.0" encoding="UTF-8"?>\n'
            for _ in range(600):
                if stop.wait(0.25):
                    return
                yield b" "

        return Response(body(), content_type="application/atom+xml")

    return handle


def arxiv_trickle(tmp: Path) -> Outcome:
    """arXiv sends its answer one byte every 0.25 s: no single read ever times out."""
    stop = threading.Event()
    with fake_server(threaded=True) as server:
        server.expect_request("/api/query").respond_with_handler(_trickle(stop))
        url = server.url_for("/api")
        project = make_project(tmp / "p", GOOD[:1], settings=live_settings(url))
        started = time.monotonic()
        done = sovereign(project, "build", "--no-pdf")
        took = time.monotonic() - started
        stop.set()
    outcome = escalated_outcome(project, done)
    cut = "timed out after 1 s" in done.stderr
    outcome.behaviour = (
        f"every request cut off at its 1 s total deadline ({'shown' if cut else 'NOT shown'}); "
        f"build took {took:.0f} s, not the 150 s each answer would take; " + outcome.behaviour
    )
    outcome.lost = outcome.lost or not cut
    return outcome


def arxiv_oversize(tmp: Path) -> Outcome:
    """arXiv answers with 5 MB where `max_body_mb` is 1: refused, not retried, not cached."""
    from werkzeug import Response

    big = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">' + b" " * 5_000_000
    with fake_server() as server:
        asked: list[int] = []

        def handle(request: Any) -> Any:
            asked.append(1)
            return Response(big, content_type="application/atom+xml")

        server.expect_request("/api/query").respond_with_handler(handle)
        settings = live_settings(server.url_for("/api")) + "    max_body_mb: 1\n"
        project = make_project(tmp / "p", GOOD[:1], settings=settings)
        done = sovereign(project, "build", "--no-pdf")
    outcome = escalated_outcome(project, done)
    cache = project / ".cache" / "sovereign" / "http"
    cached = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) if cache.exists() else 0
    refused = "over the limit" in _pages_text(project) or "max_body_mb" in _pages_text(project)
    outcome.behaviour = (
        f"{len(asked)} requests for {queries_of(project)} queries, refused "
        f"({'named' if refused else 'NOT named'} in the draft); HTTP cache {cached / 1e6:.2f} MB; "
        + outcome.behaviour
    )
    outcome.lost = outcome.lost or not refused or cached > 1_000_000
    outcome.lost = outcome.lost or len(asked) != queries_of(project)
    return outcome


def arxiv_retry_after_shared(tmp: Path) -> Outcome:
    """One request gets 429 with Retry-After: 2 while two questions search at once: no other
    request reaches arXiv during those 2 s (measured at the server, 0.5 s margin)."""
    from generator.drafting.corpus import load_corpus
    from tests.fake_arxiv import install_fake_arxiv

    with fake_server() as server:
        fake = install_fake_arxiv(server, load_corpus())
        fake.fail_429(times=1, retry_after="2")
        settings = live_settings(fake.base_url).replace("max_backoff: 0.1", "max_backoff: 5")
        project = make_project(tmp / "p", GOOD, settings=settings)
        done = sovereign(project, "build", "--no-pdf", "--jobs", "2")
        starts = sorted(entry.start for entry in fake.log)
    first = starts[0]
    inside = [t - first for t in starts[1:] if t - first < 1.5]
    drafts = drafts_built(project)
    return Outcome(
        f"build exit {done.returncode}; {len(starts)} requests; after the 429, "
        f"{len(inside)} started within 1.5 s (of the 2 s pause); {len(drafts)} of 2 drafts built "
        "with full data",
        lost=bool(inside) or len(drafts) != 2,
        crashed=crashed(done),
    )


def arxiv_dead(tmp: Path) -> Outcome:
    """arXiv fails every request for the whole build: the circuit opens after 8 failures."""
    from generator.drafting.corpus import load_corpus
    from tests.fake_arxiv import install_fake_arxiv

    with fake_server() as server:
        fake = install_fake_arxiv(server, load_corpus())
        fake.fail_500(times=10_000)
        settings = live_settings(fake.base_url) + "    circuit_after: 8\n"
        project = make_project(tmp / "p", GOOD, settings=settings)
        done = sovereign(project, "build", "--no-pdf", "--jobs", "1")
        asked = len(fake.log)
    outcome = escalated_outcome(project, done)
    said = done.stderr.count("not asked: 8 attempts in a row failed")
    queries = queries_of(project)
    outcome.behaviour = (
        f"{asked} requests (without the circuit: {queries} queries × 3 attempts = "
        f"{3 * queries}); opening reported {said} time(s) on the console; " + outcome.behaviour
    )
    outcome.lost = outcome.lost or asked > 8 or said != 1
    return outcome


def s2_pin_not_found(tmp: Path) -> Outcome:
    """A pinned paper neither arXiv nor Semantic Scholar knows: S2 answers 404."""
    from generator.drafting.corpus import load_corpus
    from tests.fake_arxiv import install_fake_arxiv
    from tests.fake_s2 import install_fake_s2

    with fake_server() as server:
        corpus = load_corpus()
        arxiv = install_fake_arxiv(server, corpus)
        s2 = install_fake_s2(server, corpus)
        settings = (
            live_settings(arxiv.base_url).replace("[local, arxiv]", "[arxiv, semantic_scholar]")
            + f"  semantic_scholar:\n    base_url: {s2.base_url}\n    min_interval: 0\n"
            "    retries: 1\n    backoff: 0.01\n"
        )
        project = make_project(tmp / "p", GOOD[:1], settings=settings)
        (project / "questions" / "ghost.yaml").write_text(
            'question: Does the paper that does not exist hold?\npaper: "2401.99999"\n'
        )
        done = sovereign(project, "build", "--no-pdf")
    summary = next(
        (ln for ln in done.stderr.splitlines() if ln.startswith("semantic_scholar:")), ""
    )
    said = "2401.99999 was not found in any source" in done.stderr
    return Outcome(
        f"build exit {done.returncode} (one question has no draft); console: `{summary}`; "
        f"the question's error says “not found”: {'yes' if said else 'NO'}; "
        f"{len(drafts_built(project))} other draft built",
        lost=not said
        or "1 not found" not in summary
        or " 0 failed" not in summary
        or len(drafts_built(project)) != 1,
        crashed=crashed(done),
    )


def nim_settings(root: str) -> str:
    return (
        "embedder: {backend: nim}\n"
        f"services:\n  nim:\n    base_url: {root}\n    retries: 3\n    backoff: 0.01\n"
    )


def nim_wrong_dimensions(tmp: Path) -> Outcome:
    """NIM answers 16-d vectors where 1024 are configured: a settings error, said once."""
    from tests.fake_nim import FakeNim, register_fake_nim

    with fake_server() as server:
        nim = register_fake_nim(server, FakeNim(key=CANARY, dimensions=16))
        project = make_project(
            tmp / "p", GOOD[:1], settings=nim_settings(server.url_for("/").rstrip("/"))
        )
        done = sovereign(project, "build", "--no-pdf", env={"NVIDIA_API_KEY": CANARY})
        asked = len(nim.requests)
    text = _pages_text(project)
    said = "16" in text and "1024" in text
    return Outcome(
        f"build exit {done.returncode}; {asked} NIM request(s), none retried "
        f"({len(re.findall(r'nim: .*retry', done.stderr))} retries shown); the draft names both "
        f"sizes: {'yes' if said else 'NO'}; ranked by the offline model instead",
        lost=not said or asked > 2 or bool(re.search(r"nim: .*retry", done.stderr)),
        crashed=crashed(done),
    )


def doctor_error_feed(tmp: Path) -> Outcome:
    """`doctor` against an arXiv that answers its error feed with HTTP 200."""
    from generator.drafting.corpus import load_corpus
    from tests.fake_arxiv import install_fake_arxiv

    with fake_server() as server:
        fake = install_fake_arxiv(server, load_corpus())
        fake.error_entry(times=10_000, message="malformed query", status=200)
        project = make_project(tmp / "p", GOOD[:1], settings=live_settings(fake.base_url))
        done = sovereign(project, "doctor")
    line = next((ln for ln in done.stdout.splitlines() if "arxiv" in ln), "(no line)")
    return Outcome(
        f"doctor exit {done.returncode}: `{line[:150]}`",
        lost=done.returncode != 1 or "malformed query" not in line,
        crashed=crashed(done),
    )


def doctor_wrong_dimensions(tmp: Path) -> Outcome:
    from tests.fake_nim import FakeNim, register_fake_nim

    with fake_server() as server:
        register_fake_nim(server, FakeNim(key=CANARY, dimensions=16))
        project = make_project(
            tmp / "p", GOOD[:1], settings=nim_settings(server.url_for("/").rstrip("/"))
        )
        done = sovereign(project, "doctor", env={"NVIDIA_API_KEY": CANARY})
    line = next((ln for ln in done.stdout.splitlines() if "nim" in ln), "(no line)")
    return Outcome(
        f"doctor exit {done.returncode}: `{line[:150]}`",
        lost=done.returncode != 1 or "16" not in line,
        crashed=crashed(done),
    )


def _chat(answer: Callable[[], Any], log: list[str]) -> Callable[[Any], Any]:
    from werkzeug import Response

    def handle(request: Any) -> Any:
        log.append(request.get_data(as_text=True))
        return answer() or Response("{}", content_type="application/json")

    return handle


def llm_settings(root: str, deadline: float | None = None) -> str:
    return (
        "plan: {backend: llm}\nextract: {backend: llm}\nreview: {backend: llm}\nservices:\n"
        + (f"  question_deadline: {deadline}\n" if deadline else "")
        + f"  llm:\n    base_url: {root}\n    timeout: 30\n    retries: 2\n    backoff: 0.01\n"
    )


def llm_hangs(tmp: Path) -> Outcome:
    """Every LLM answer hangs; the question's deadline (2 s) bounds what it costs."""
    release = threading.Event()
    log: list[str] = []
    with fake_server(threaded=True) as server:
        server.expect_request("/chat/completions").respond_with_handler(
            _chat(lambda: release.wait(60) and None, log)
        )
        settings = llm_settings(server.url_for("/").rstrip("/"), deadline=2)
        project = make_project(tmp / "p", GOOD[:1], settings=settings)
        started = time.monotonic()
        done = sovereign(project, "build", "--no-pdf", env={"NVIDIA_API_KEY": CANARY})
        took = time.monotonic() - started
        release.set()
    said = "question's time limit (2 s, services.question_deadline) ran out" in (
        _pages_text(project) + done.stderr
    )
    drafts = drafts_built(project)
    return Outcome(
        f"build exit {done.returncode} in {took:.0f} s (plan, extract and 3 roles × 3 attempts × "
        f"30 s would be minutes); {len(log)} LLM request(s) sent; deadline named: "
        f"{'yes' if said else 'NO'}; {len(drafts)} draft, built by the offline methods and "
        "escalated",
        lost=not said or len(log) > 1 or len(drafts) != 1,
        crashed=crashed(done),
    )


def llm_malformed(tmp: Path) -> Outcome:
    """The LLM answers prose instead of the JSON it was asked for, every time."""
    from werkzeug import Response

    from tests.fake_llm import completion

    log: list[str] = []

    def prose() -> Any:
        body = completion("m", "Sure! Here are my thoughts, in no particular format.")
        return Response(json.dumps(body), content_type="application/json")

    with fake_server() as server:
        server.expect_request("/chat/completions").respond_with_handler(_chat(prose, log))
        settings = llm_settings(server.url_for("/").rstrip("/"))
        project = make_project(tmp / "p", GOOD[:1], settings=settings)
        done = sovereign(project, "build", "--no-pdf", env={"NVIDIA_API_KEY": CANARY})
    outcome = escalated_outcome(project, done)
    outcome.behaviour = f"{len(log)} LLM requests; " + outcome.behaviour
    return outcome


# --- settings and owners ----------------------------------------------------------------------


def bad_settings(content: str, expected: str) -> Callable[[Path], Outcome]:
    def run(tmp: Path) -> Outcome:
        project = make_project(tmp / "p", GOOD, settings=content)
        check = sovereign(project, "check")
        build = sovereign(project, "build", "--no-pdf")
        line = next((ln for ln in check.stderr.splitlines() if ln.startswith("sovereign.yml")), "")
        return Outcome(
            f"check exit {check.returncode}: `{line[:170]}`; build exit {build.returncode}, "
            "nothing built or removed",
            lost=check.returncode != 2 or build.returncode != 2 or expected not in check.stderr,
            crashed=crashed(check) or crashed(build),
        )

    return run


def self_approval(tmp: Path) -> Outcome:
    """A contributor's pull request approves their own draft, `by:` naming the owner."""
    project = make_project(tmp / "p", GOOD[:1], settings="policy:\n  owners: [ada-owner]\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    git(project, "checkout", "-q", "-b", "mine")
    path = project / "questions" / GOOD[0]
    path.write_text(
        path.read_text()
        + "review:\n  decision: approve\n  by: ada-owner\n  date: 2026-12-01\n"
        + '  draft_hash: "0123456789abcdef"\n'
    )
    git(project, "commit", "-qam", "approve")
    done = sovereign(project, "pr", "--base", "main", "--offline", env={"PR_AUTHOR": "mallory"})
    owner = sovereign(project, "pr", "--base", "main", "--offline", env={"PR_AUTHOR": "ada-owner"})
    line = next((ln for ln in done.stderr.splitlines() if "not an owner" in ln), "(no message)")
    return Outcome(
        f"pull-request check by mallory: exit {done.returncode}, `{line[:170]}`; "
        f"the same change by ada-owner: exit {owner.returncode}",
        lost=done.returncode != 2 or owner.returncode != 0,
        crashed=crashed(done) or crashed(owner),
    )


def not_owner_decision(tmp: Path) -> Outcome:
    """A decision with the right hash whose `by:` is not an owner reaches main."""
    project = make_project(tmp / "p", GOOD, settings="policy:\n  owners: [ada-owner]\n")
    sovereign(project, "build", "--no-pdf")
    slug = sorted(p.stem for p in (project / "review").glob("*.json"))[0]
    digest = json.loads((project / "review" / f"{slug}.json").read_text())["content_hash"]
    path = project / "questions" / f"{slug}.yaml"
    path.write_text(
        path.read_text()
        + "review:\n  decision: approve\n  by: mallory\n  date: 2026-12-01\n"
        + f'  draft_hash: "{digest}"\n'
    )
    done = sovereign(project, "build", "--no-pdf")
    published = (project / "site_src" / "drafts" / f"{slug}.md").exists()
    warned = next((ln for ln in done.stderr.splitlines() if "not an owner" in ln), "")
    return Outcome(
        f"build exit {done.returncode}; `{warned[:150]}`; draft published: "
        f"{'YES' if published else 'no'}",
        lost=published or not warned,
        crashed=crashed(done),
    )


# --- cache and outputs ------------------------------------------------------------------------


def corrupt_cache(tmp: Path) -> Outcome:
    project = make_project(tmp / "p", GOOD)
    sovereign(project, "build", "--no-pdf")
    db = project / ".cache" / "sovereign" / "stages" / "cache.db"
    db.write_bytes(b"this is not a database" * 100)
    done = sovereign(project, "build", "--no-pdf")
    reported = "unusable" in done.stderr
    return Outcome(
        f"build exit {done.returncode}; {'reported' if reported else 'NOT reported'}: "
        f"`{next((ln for ln in done.stderr.splitlines() if 'unusable' in ln), '')[:140]}`; "
        f"{len(drafts_built(project))} drafts rebuilt",
        lost=len(drafts_built(project)) != 2 or not reported,
        crashed=crashed(done),
    )


def locked_cache(tmp: Path) -> Outcome:
    project = make_project(tmp / "p", GOOD)
    sovereign(project, "build", "--no-pdf")
    for slug in GOOD:  # force recomputation, so the build must write to the cache
        path = project / "questions" / slug
        path.write_text(path.read_text().replace("?", "? (edited)", 1))
    holder = sqlite3.connect(project / ".cache" / "sovereign" / "stages" / "cache.db", timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        done = sovereign(project, "build", "--no-pdf", timeout=900)
    finally:
        holder.rollback()
        holder.close()
    reported = "locked by another process" in done.stderr or "cannot write" in done.stderr
    return Outcome(
        f"build exit {done.returncode}; lock {'reported' if reported else 'NOT reported'}, "
        f"{len(drafts_built(project))} drafts built without the cache",
        lost=len(drafts_built(project)) != 2 or not reported,
        crashed=crashed(done),
    )


def two_builds(tmp: Path) -> Outcome:
    project = make_project(tmp / "p", GOOD)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "generator.cli", "--root", str(project), "build", "--no-pdf"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    waited = any("another build holds" in err for _, err in outs)
    bad = half_written(project)
    return Outcome(
        f"exits {[p.returncode for p in procs]}; second build "
        f"{'waited for the first' if waited else 'did not wait'}; "
        f"{'outputs whole' if not bad else '; '.join(bad)}",
        lost=bool(bad) or any(p.returncode for p in procs),
        crashed=any("Traceback" in err for _, err in outs),
    )


def killed(sig: signal.Signals, delay: float) -> Callable[[Path], Outcome]:
    def run(tmp: Path) -> Outcome:
        names = sorted(p.name for p in (REPO / "questions").glob("*.yaml"))
        project = make_project(tmp / "p", names)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        cmd = [sys.executable, "-m", "generator.cli", "--root", str(project), "build"]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
        bad = half_written(project)
        again = sovereign(project, "build")
        bad_after = half_written(project)
        return Outcome(
            f"killed after {delay:g} s → exit {proc.returncode}"
            + (" (“interrupted …”)" if "interrupted" in err else "")
            + f"; {'no half-written file' if not bad else '; '.join(bad)}; next build exit "
            f"{again.returncode}, {len(drafts_built(project))} drafts",
            lost=bool(bad) or bool(bad_after) or again.returncode != 0,
            crashed=(sig == signal.SIGINT and "Traceback" in err) or crashed(again),
        )

    return run


# --- secrets ----------------------------------------------------------------------------------


def canary_key(tmp: Path) -> Outcome:
    from pytest_httpserver import HTTPServer

    from generator.drafting.corpus import load_corpus
    from tests.fake_arxiv import install_fake_arxiv
    from tests.fake_nim import FakeNim, register_fake_nim

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        arxiv = install_fake_arxiv(server, load_corpus())
        arxiv.fail_429(times=2, retry_after="0")
        register_fake_nim(server, FakeNim(key="a-different-key"))  # refuses the canary: 401
        root = server.url_for("/").rstrip("/")
        settings = (
            live_settings(arxiv.base_url)
            + f"  nim:\n    base_url: {root}\n    retries: 1\n    backoff: 0.01\n"
            + "embedder: {backend: nim}\n"
        )
        project = make_project(tmp / "p", GOOD[:1], settings=settings)
        done = sovereign(project, "build", env={"NVIDIA_API_KEY": CANARY})
        logs = done.stdout + done.stderr
    finally:
        server.clear()
        server.stop()
    leaked = [
        str(p.relative_to(project))
        for p in project.rglob("*")
        if p.is_file() and CANARY.encode() in p.read_bytes()
    ]
    if CANARY in logs:
        leaked.append("console output")
    refused = "the API key was refused" in logs or "refused" in json.dumps(
        [json.loads(p.read_text()) for p in (project / "review").glob("*.json")]
    )
    return Outcome(
        f"build exit {done.returncode}; key refused by the fake and reported without the key; "
        f"{sum(1 for _ in project.rglob('*'))} files and the console searched: "
        + ("no trace of the key" if not leaked else "FOUND in " + ", ".join(leaked)),
        lost=bool(leaked) or not refused,
        crashed=crashed(done),
    )


CASES = (
    [Case("question file", label, bad_file(name, data)) for label, name, data in QUESTION_CASES]
    + [Case("question file", "empty questions/ folder", empty_folder)]
    + [
        Case(
            "untrusted text",
            "HTML, script, Markdown control characters, long tokens, "
            "zero-width and right-to-left characters in titles, abstracts, authors, evidence",
            hostile_text,
        )
    ]
    + [
        Case("network", f"arXiv {kind}", network_fault(kind))
        for kind in ("timeouts", "429 storm", "5xx storm", "truncated bodies", "malformed bodies")
    ]
    + [Case("network", "arXiv connection resets", connection_resets)]
    + [
        Case("network", "arXiv error feed with HTTP 400", arxiv_error_feed(400)),
        Case("network", "arXiv error feed with HTTP 200", arxiv_error_feed(200)),
        Case("network", "arXiv answer trickling one byte at a time", arxiv_trickle),
        Case("network", "arXiv answer over max_body_mb (5 MB, limit 1)", arxiv_oversize),
        Case(
            "network",
            "arXiv 429 with Retry-After: 2 during two questions",
            arxiv_retry_after_shared,
        ),
        Case("network", "arXiv down for the whole build (circuit)", arxiv_dead),
        Case(
            "network", "pinned paper unknown to arXiv and Semantic Scholar (404)", s2_pin_not_found
        ),
        Case("network", "NIM answers 16-d vectors, 1024 configured", nim_wrong_dimensions),
        Case("network", "LLM hangs (question deadline)", llm_hangs),
        Case("network", "LLM answers prose instead of JSON", llm_malformed),
        Case("doctor", "arXiv error feed with HTTP 200", doctor_error_feed),
        Case("doctor", "NIM answers 16-d vectors", doctor_wrong_dimensions),
    ]
    + [
        Case(
            "settings",
            "search.local_corpus names a missing file",
            bad_settings("search:\n  local_corpus: data/missing.jsonl\n", "sovereign.yml:2"),
        ),
        Case("settings", "sovereign.yml is not YAML", bad_settings("verify: [\n", "sovereign.yml")),
        Case(
            "settings",
            "an owner that is not a GitHub login",
            bad_settings("policy:\n  owners: [Ada Owner]\n", "is not a GitHub login"),
        ),
        Case("owners", "a contributor approves their own draft in a pull request", self_approval),
        Case("owners", "a decision by someone not an owner reaches main", not_owner_decision),
    ]
    + [
        Case("cache and outputs", "corrupted cache database", corrupt_cache),
        Case("cache and outputs", "cache locked by another process", locked_cache),
        Case("cache and outputs", "two builds at once", two_builds),
        Case("cache and outputs", "SIGINT during the build", killed(signal.SIGINT, 2.0)),
        Case("cache and outputs", "SIGKILL during the pipeline", killed(signal.SIGKILL, 1.0)),
        Case(
            "cache and outputs",
            "SIGKILL while writing PDFs and the site",
            killed(signal.SIGKILL, 4.0),
        ),
        Case("secrets", "canary API key with a refusing service and retries", canary_key),
    ]
)


def render(rows: list[tuple[Case, Outcome, float]]) -> str:
    def cell(text: str) -> str:
        return html.escape(text).replace("|", "\\|").replace("\n", " ")

    bad = [r for r in rows if r[1].lost or r[1].crashed or r[1].executed]
    lines = [
        "# Reliability report",
        "",
        "Generated by `scripts/reliability.py` — do not edit by hand. Re-run it with:",
        "",
        "```sh",
        ".venv/bin/python scripts/reliability.py",
        "```",
        "",
        f"{len(rows)} cases, {len(bad)} with a problem. Every case runs the real `sovereign` "
        "command in a scratch project, offline or against fake services on 127.0.0.1.",
        "",
        "| category | case | what happened | data lost | crashed without a message "
        "| payload ran | seconds |",
        "|---|---|---|:---:|:---:|:---:|---:|",
    ]
    for case, outcome, seconds in rows:
        lines.append(
            f"| {cell(case.category)} | {cell(case.name)} | {cell(outcome.behaviour)} | "
            f"{'**yes**' if outcome.lost else 'no'} | {'**yes**' if outcome.crashed else 'no'} | "
            f"{'**yes**' if outcome.executed else 'no'} | {seconds:.1f} |"
        )
    lines += [
        "",
        "Exit codes: 0 success; 1 a question's pipeline, a PDF or the site failed; 2 invalid "
        "settings or question files (reported with file, line and field; the valid questions "
        "are still built); 130 interrupted (Ctrl-C).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fake servers' request log
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "reliability.md")
    parser.add_argument("--only", help="run the cases whose name contains this text")
    args = parser.parse_args()
    rows = []
    for case in CASES:
        if args.only and args.only.lower() not in case.name.lower():
            continue
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="sovereign-rel-") as tmp:
            try:
                outcome = case.run(Path(tmp))
            except Exception as exc:  # the harness itself failed: a problem, never hidden
                outcome = Outcome(f"case could not run: {type(exc).__name__}: {exc}", crashed=True)
        seconds = time.perf_counter() - started
        flag = "PROBLEM" if (outcome.lost or outcome.crashed or outcome.executed) else "ok"
        print(f"{flag:7} {case.category}: {case.name} — {outcome.behaviour} ({seconds:.1f} s)")
        rows.append((case, outcome, seconds))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(rows), encoding="utf-8")
    print(f"wrote {args.out}")
    if Path("/tmp/sovereign-pwned").exists():
        print("PROBLEM: a YAML tag ran a command (/tmp/sovereign-pwned exists)")
        return 1
    return 1 if any(o.lost or o.crashed or o.executed for _, o, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

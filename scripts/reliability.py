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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import make_project  # noqa: E402
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

        from generator.corpus import load_corpus
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

    from generator.corpus import load_corpus
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

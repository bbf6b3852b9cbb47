"""A whole build against local fakes of arXiv, Semantic Scholar, NIM and an LLM endpoint.

Each fake answers in its API's documented format (see tests/fake_*.py); faults are injected
to check that retries show on the console, that failures escalate drafts with the reason,
and that no API key leaks into any output.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from generator.cli import main
from generator.drafting.corpus import load_corpus

from .conftest import make_project
from .fake_arxiv import install_fake_arxiv
from .fake_llm import completion
from .fake_nim import FakeNim, register_fake_nim
from .fake_s2 import install_fake_s2

CANARY_NIM = "nvapi-CANARY-7f3a9c2e41"
CANARY_S2 = "s2-CANARY-55b0d1e9"
MODEL = "meta/llama-3.3-70b-instruct"
QUESTIONS = ["anyexperts-representational-collapse.yaml", "moe-serving-offloading.yaml"]


def _data(messages: list[dict], name: str) -> str:
    """The JSON string a prompt wraps in <data name="..."> (the client's documented format)."""
    text = "\n".join(str(m.get("content", "")) for m in messages if m["role"] == "user")
    found = re.findall(rf'<data name="{name}">\s*(.*?)\s*</data>', text, re.S)
    return json.loads(found[-1]) if found else ""


def _llm_answer(messages: list[dict]) -> dict:
    """A plausible answer for whichever prompt this is (plan, extract, stance or a tribunal
    role)."""
    system = str(messages[0].get("content", ""))
    if "research librarian" in system:
        words = [
            w for w in re.findall(r"[A-Za-z][\w-]+", _data(messages, "question")) if len(w) > 3
        ]
        return {
            "queries": [" ".join(words[i : i + 4]) for i in range(0, 16, 4) if words[i : i + 4]]
        }
    if '<data name="abstract">' in "\n".join(str(m.get("content", "")) for m in messages):
        sentences = re.split(r"(?<=\.)\s+", _data(messages, "abstract"))
        return {"claims": [{"text": s, "kind": "finding"} for s in sentences[3:6] if len(s) > 10]}
    if '<data name="pairs">' in "\n".join(str(m.get("content", "")) for m in messages):
        return {
            "judgements": [
                {"pair": p["pair"], "stance": "supports", "reason": "states the same finding"}
                for p in _data(messages, "pairs")
            ]
        }
    role = re.search(r"You are the (SKEPTIC|VALIDATOR|SYNTHESIZER)", system)
    return {"score": 7.0, "rationale": f"{role.group(1) if role else '?'}: the evidence holds."}


class FakeChat:
    """An OpenAI-compatible chat endpoint answering each prompt in kind."""

    def __init__(self, key: str):
        self.key = key
        self.bodies: list[str] = []
        self.down = False
        self.hang: bool | str = False  # hold answers (True: all; text: prompts holding it)
        self.released = threading.Event()

    def handle(self, request: Request) -> Response:
        raw = request.get_data(as_text=True)
        self.bodies.append(raw)
        if request.headers.get("Authorization") != f"Bearer {self.key}":
            return Response('{"error": {"message": "bad key"}}', status=401)
        if self.down:
            return Response('{"error": {"message": "overloaded"}}', status=503)
        if self.hang is True or (self.hang and self.hang in raw):
            self.released.wait(30)
        body = json.loads(raw)
        answer = completion(body["model"], json.dumps(_llm_answer(body["messages"])))
        return Response(json.dumps(answer), content_type="application/json")


@pytest.fixture
def live(tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch):
    corpus = load_corpus()
    arxiv = install_fake_arxiv(httpserver, corpus)
    s2 = install_fake_s2(httpserver, corpus, require_key=CANARY_S2)
    nim = register_fake_nim(httpserver, FakeNim(key=CANARY_NIM))
    chat = FakeChat(CANARY_NIM)
    httpserver.expect_request("/chat/completions", method="POST").respond_with_handler(chat.handle)
    root = httpserver.url_for("/").rstrip("/")
    fast = "timeout: 5\n    retries: 3\n    backoff: 0.01\n    max_backoff: 0.2"
    settings = f"""
plan: {{backend: llm}}
search: {{sources: [arxiv, semantic_scholar], keep: 8, per_query: 10}}
embedder: {{backend: nim}}
extract: {{backend: llm}}
review: {{backend: llm}}
services:
  arxiv:
    base_url: {arxiv.base_url}
    min_interval: 0.05
    {fast}
  semantic_scholar:
    base_url: {s2.base_url}
    min_interval: 0
    {fast}
  nim:
    base_url: {root}
    {fast}
  llm:
    base_url: {root}
    model: {MODEL}
    {fast}
"""
    project = make_project(tmp_path / "p", questions=QUESTIONS, settings=settings)
    monkeypatch.setenv("NVIDIA_API_KEY", CANARY_NIM)
    monkeypatch.setenv("S2_API_KEY", CANARY_S2)
    return project, arxiv, s2, nim, chat


def _drafts(project: Path) -> dict[str, dict]:
    found = {}
    for folder in (project / "review", project / "site_src" / "drafts"):
        for path in folder.glob("*.json"):
            found[path.stem] = json.loads(path.read_text())
    return found


def _page(project: Path, slug: str) -> str:
    for path in (project / "review" / f"{slug}.md", project / "site_src" / "drafts" / f"{slug}.md"):
        if path.exists():
            return html.unescape(path.read_text())  # the page's text as a reader sees it
    raise AssertionError(f"no page for {slug}")


def test_live_build_names_what_ran(live) -> None:
    project, arxiv, s2, nim, chat = live
    assert main(["--root", str(project), "build", "--jobs", "2"]) == 0
    drafts = _drafts(project)
    assert set(drafts) == {q.removesuffix(".yaml") for q in QUESTIONS}
    for slug, draft in drafts.items():
        method = _page(project, slug).split("## 2 Methodology", 1)[1].split("## 3 Results")[0]
        assert "arXiv" in method and "Semantic Scholar" in method
        assert "nvidia/nv-embedqa-e5-v5" in method
        assert MODEL in method
        assert draft["plan"]["origin"] == "llm"
        assert draft["extraction"]["method"].startswith("LLM")
        assert draft["rounds"][-1]["tribunal"]["backend"].startswith("LLM tribunal")
        verification = draft["rounds"][-1]["verification"]
        assert verification["semantic_method"] and verification["stance_method"].startswith("LLM")
        checks = verification["checks"]
        assert all(c["evidence"] is None or c["evidence"]["semantic"] is not None for c in checks)
        judged = [c["evidence"] for c in checks if c["evidence"] and c["evidence"]["judge"]]
        assert all(e["judge"] == "llm" for e in judged)
        sources = {r["paper"]["source"] for r in draft["rounds"][0]["search"]["papers"]}
        assert any("arxiv" in s for s in sources) and any("semantic_scholar" in s for s in sources)
    assert arxiv.log and s2.log and nim.requests and chat.bodies
    # the tribunal's roles read each claim's state and calibrated confidence, not "verified"
    roles = [json.loads(body)["messages"] for body in chat.bodies if "You are the SKEPTIC" in body]
    assert roles
    for messages in roles:
        for claim in _data(messages, "claims"):
            assert set(claim) == {"text", "state", "confidence", "evidence"}
            assert claim["state"] in {"supported", "contradicted", "related", "no_evidence"}
    # S2 got its key in the documented header; arXiv got none
    assert all(entry.headers.get("x-api-key") == CANARY_S2 for entry in s2.log)
    assert not any("x-api-key" in e.headers or "authorization" in e.headers for e in arxiv.log)


def test_arxiv_limiter_spaces_requests_across_concurrent_questions(live) -> None:
    project, arxiv, *_ = live
    config = project / "sovereign.yml"
    config.write_text(config.read_text().replace("min_interval: 0.05", "min_interval: 0.25"))
    assert main(["--root", str(project), "build", "--jobs", "2", "--no-site"]) == 0
    starts = sorted(entry.start for entry in arxiv.log)
    assert len(starts) >= 8  # 4 queries × 2 questions, run concurrently
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # Measured at the server, where a loaded machine can delay one arrival and bunch it with
    # the next, so no single gap is asserted: the span of all requests and the typical gap
    # are, with margins. Without the limiter every gap would be milliseconds.
    span = starts[-1] - starts[0]
    assert span >= 0.7 * 0.25 * len(gaps), (span, gaps)
    assert sorted(gaps)[len(gaps) // 2] >= 0.7 * 0.25, gaps
    assert sum(g < 0.1 for g in gaps) <= len(gaps) // 4, gaps


def test_429_twice_then_success_retries_and_shows_it(live, caplog) -> None:
    project, arxiv, *_ = live
    arxiv.fail_429(times=2, retry_after="0")
    with caplog.at_level(logging.WARNING, logger="sovereign"):
        assert main(["--root", str(project), "build", "--no-site"]) == 0
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    # queries run concurrently, so the two 429s may hit one request twice or two requests once
    assert len(retries) == 2 and all(m.startswith("arxiv: HTTP 429; retry ") for m in retries)
    for draft in _drafts(project).values():
        assert not [h for r in draft["rounds"] for h in r["search"]["per_query"] if h["error"]]


def test_arxiv_down_escalates_affected_drafts_and_says_why(live) -> None:
    project, arxiv, *_ = live
    arxiv.fail_500(times=10_000)
    assert main(["--root", str(project), "build", "--no-site"]) == 0
    for slug, draft in _drafts(project).items():
        assert draft["decision"]["policy"] == "ESCALATE_TO_OWNER"
        assert "partial data" in draft["decision"]["reason"]
        assert "arxiv" in draft["decision"]["reason"]
        uncertainties = _page(project, slug).split("## 4 Uncertainties", 1)[1].split("## 5")[0]
        assert "arxiv failed" in uncertainties and "HTTP 500" in uncertainties
        assert "arxiv: arxiv" not in _page(project, slug)  # the service is named once
    # the failure was not cached: with arXiv back, the next build asks it again and publishes
    arxiv.clear_faults()
    arxiv.release()
    before = len(arxiv.log)
    assert main(["--root", str(project), "build", "--no-site"]) == 0
    assert len(arxiv.log) > before
    # nothing is partial any more; what still holds a draft back is its own evidence
    for draft in _drafts(project).values():
        assert "partial data" not in [g["name"] for g in draft["decision"]["gates"]]
        assert "arxiv" not in draft["decision"]["reason"]


def test_llm_down_falls_back_and_escalates(live) -> None:
    project, _, _, _, chat = live
    chat.down = True
    assert main(["--root", str(project), "build", "--no-site"]) == 0
    for slug, draft in _drafts(project).items():
        assert draft["decision"]["policy"] == "ESCALATE_TO_OWNER"
        assert draft["plan"]["origin"] == "keyphrases" and draft["plan"]["failures"]
        assert draft["extraction"]["failures"]
        page = _page(project, slug)
        assert "LLM query planning failed" in page and "llm: HTTP 503" in page


@pytest.fixture
def hanging(live) -> Iterator[tuple[Path, FakeChat]]:
    """The live project with its LLM on a server of its own, threaded so a hanging answer
    holds up no other service; every LLM request may take 30 s and is retried 3 times."""
    project, *_ = live
    chat = FakeChat(CANARY_NIM)
    server = HTTPServer(threaded=True)
    server.expect_request("/chat/completions", method="POST").respond_with_handler(chat.handle)
    server.start()
    config = project / "sovereign.yml"
    text = config.read_text().replace("timeout: 5", "timeout: 30")
    llm, rest = text.split("  llm:\n", 1)
    rest = re.sub(r"base_url: \S+", f"base_url: {server.url_for('/').rstrip('/')}", rest, count=1)
    config.write_text(f"{llm}  llm:\n{rest}")
    try:
        yield project, chat
    finally:
        chat.released.set()
        server.clear()
        server.stop()


def _deadline(project: Path, seconds: float) -> None:
    config = project / "sovereign.yml"
    text = config.read_text().replace("services:\n", f"services:\n  question_deadline: {seconds}\n")
    config.write_text(text)


def test_a_hanging_llm_costs_a_question_its_deadline_not_minutes(hanging, live, capsys) -> None:
    """The query planner's LLM hangs: without a deadline plan, extract and three tribunal
    roles would each wait minutes. Under a 1 s deadline each question sends one request
    (counted at the server), asks nothing more once its time is up, and fails saying why."""
    (project, chat), (_, arxiv, s2, *_) = hanging, live
    _deadline(project, 1)
    chat.hang = True
    assert main(["--root", str(project), "build", "--no-site", "--jobs", "2"]) == 1
    assert len(chat.bodies) == len(QUESTIONS) and not arxiv.log and not s2.log
    err = capsys.readouterr().err
    assert err.count("stopped: the question's time limit (1 s, services.question_deadline)") >= 2
    assert re.search(r"llm: 2 requests, 0 retries, .*2 stopped by the question deadline", err)


def test_a_hanging_tribunal_falls_back_and_escalates_the_draft(hanging, capsys) -> None:
    """Only the tribunal's LLM hangs: the search and the claims are done in time, the roles
    are stopped at the deadline and scored by the rules rubric, and each draft is escalated
    with partial data, saying what ran out."""
    project, chat = hanging
    _deadline(project, 10)
    chat.hang = "You are the SKEPTIC"
    assert main(["--root", str(project), "build", "--no-site", "--jobs", "2"]) == 0
    # the roles' threads keep the question's deadline: no role request is retried
    assert re.search(
        r"llm: \d+ requests, 0 retries, .* stopped by the question deadline",
        (capsys.readouterr().err),
    )
    for slug, draft in _drafts(project).items():
        assert draft["decision"]["policy"] == "ESCALATE_TO_OWNER"
        assert "partial data" in [g["name"] for g in draft["decision"]["gates"]]
        assert draft["plan"]["origin"] == "llm" and draft["extraction"]["method"].startswith("LLM")
        page = _page(project, slug)
        assert "SKEPTIC review by LLM failed" in page
        assert "the question's time limit (10 s, services.question_deadline) ran out" in page


def test_canary_keys_leak_nowhere(live, capfd) -> None:
    project, arxiv, *_ = live
    arxiv.fail_429(times=1, retry_after="0")
    assert main(["--root", str(project), "build"]) == 0
    out, err = capfd.readouterr()
    assert CANARY_NIM not in out + err and CANARY_S2 not in out + err
    leaked = []
    for path in project.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if CANARY_NIM.encode() in data or CANARY_S2.encode() in data:
                leaked.append(path)
    assert leaked == []
    assert (project / ".cache" / "sovereign" / "http").is_dir()  # the HTTP cache was searched too


def test_doctor_reports_each_service_without_secrets(live, capsys, monkeypatch) -> None:
    project, arxiv, *_ = live
    assert main(["--root", str(project), "doctor"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["arxiv:", "semantic_scholar:", "nim:", "llm:"]
    assert all(line.startswith("ok ") for line in lines), out
    assert "key set in $NVIDIA_API_KEY" in out and CANARY_NIM not in out
    monkeypatch.setenv("NVIDIA_API_KEY", "wrong-key-123")
    arxiv.fail_500(times=1)
    assert main(["--root", str(project), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL arxiv: HTTP 500" in out
    assert (
        "FAIL nim: HTTP 401: the API key was refused (environment variable NVIDIA_API_KEY)" in out
    )
    assert "wrong-key-123" not in out and CANARY_S2 not in out


def test_doctor_offline_has_nothing_to_check(project: Path, capsys) -> None:
    assert main(["--root", str(project), "doctor"]) == 0
    assert "No web service is configured" in capsys.readouterr().out


def test_doctor_reads_answers_as_the_build_would(live, capsys) -> None:
    """An arXiv error feed sent with HTTP 200, and 16-d embeddings where 1024 are configured,
    are answers the build cannot use: doctor says so instead of "ok"."""
    project, arxiv, _, nim, _ = live
    arxiv.error_entry(times=5, message="incorrect id format for 1234.12345", status=200)
    nim.dimensions = 16
    assert main(["--root", str(project), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL arxiv: arXiv API error: incorrect id format for 1234.12345" in out
    assert "FAIL nim: the model answers 16-d embeddings but services.nim.dimensions is 1024" in out
    assert "ok   semantic_scholar:" in out and "ok   llm:" in out
    assert len(arxiv.log) == 1  # no retry: doctor asks once, and an error feed is final


def test_a_dead_arxiv_is_asked_a_bounded_number_of_times(live, capsys, caplog) -> None:
    """Every query of every question needs arXiv, and it answers 500 to all: once eight
    attempts in a row have failed, nothing more is sent, in flight or new, and every draft
    says why it lacks arXiv."""
    project, arxiv, *_ = live
    arxiv.fail_500(times=10_000)
    with caplog.at_level(logging.WARNING, logger="sovereign"):
        assert main(["--root", str(project), "build", "--no-site"]) == 0
    attempts = 3 + 1  # the fixture's retries
    queries = 8  # 4 per question, 2 questions: 32 requests without the circuit
    # the eighth failure opens it; requests already past their check may still be sent
    assert len(arxiv.log) <= 8 + queries, len(arxiv.log)
    assert len(arxiv.log) < queries * attempts
    opened = [r for r in caplog.records if "not asked: 8 attempts in a row" in r.getMessage()]
    assert len(opened) == 1  # said once on the console, however many queries it cost
    assert "no longer asked after failing repeatedly" in capsys.readouterr().err
    for draft in _drafts(project).values():
        assert draft["decision"]["gates"][0]["name"] == "partial data"

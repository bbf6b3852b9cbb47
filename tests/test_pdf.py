"""PDF export: a real offline draft rendered by WeasyPrint, read back with pypdf."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pypdf
import pytest
from pytest_httpserver import HTTPServer

from generator.drafting.models import (
    Claim,
    ClaimCheck,
    Draft,
    Evidence,
    OwnerReview,
    Question,
    RankedPaper,
    Statement,
)
from generator.drafting.pipeline import Context, run_question
from generator.inputs.settings import Settings
from generator.machinery.cache import StageCache
from generator.publishing.render import _pdf_engine
from generator.publishing.render.charts import draft_charts
from generator.publishing.render.pdf import (
    ASSETS,
    STYLESHEET,
    PdfError,
    SafeFetcher,
    draft_html,
    render_many,
    write_pdf,
)
from generator.publishing.standing import Standing, content_hash, standing

from .conftest import REPO

QUESTION = (
    "To what extent does AnyExperts' dynamic expert allocation mitigate representational collapse?"
)
CLAIMS_HEADER = "# Claim State Conf. Evidence (best sentence) Paper TF-IDF (seeds)"
RUNNING_HEAD = "SOVEREIGN Research Kernel Autonomous draft for owner review"


def squash(text: str) -> str:
    """Text without any whitespace: lines wrap anywhere, even after a hyphen."""
    return "".join(text.split())


@dataclass
class Pdf:
    path: Path
    pages: list[str]
    uris: list[str]
    dests: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    @property
    def body(self) -> str:
        """The text without each page's running header and footer (margin boxes, which pypdf
        reads after the page's content): a paragraph across a page break reads whole."""
        kept = []
        for page in self.pages:
            lines = page.splitlines()
            while lines and (
                lines[-1] == RUNNING_HEAD or re.search(r"Page \d+ of \d+$", lines[-1])
            ):
                lines.pop()
            kept.append("\n".join(lines))
        return "\n".join(kept)


def read_pdf(path: Path) -> Pdf:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    uris, dests = [], []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A") or {}
            if "/URI" in action:
                uris.append(str(action["/URI"]))
            if "/Dest" in annot:
                dests.append(str(annot["/Dest"]))
    return Pdf(path, [p.extract_text() for p in reader.pages], uris, dests)


def render(draft: Draft, target: Path, st: Standing | None = None) -> Pdf:
    write_pdf(draft_html(draft, st or standing(draft)), target)
    return read_pdf(target)


@pytest.fixture(scope="module")
def draft() -> Draft:
    question = Question(slug="t", question=QUESTION, paper="2511.18314", path="questions/t.yaml")
    return run_question(question, Context(Settings(), StageCache(None)))


@dataclass
class Rendered:
    pdf: Pdf
    html: str
    seconds: float
    log: list[str]


@pytest.fixture(scope="module")
def rendered(draft: Draft, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    import time

    class Keep(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    keep = Keep()
    logging.getLogger("weasyprint").addHandler(keep)
    try:
        html = draft_html(draft, standing(draft))
        target = tmp_path_factory.mktemp("pdf") / "t.pdf"
        start = time.perf_counter()
        write_pdf(html, target)
        seconds = time.perf_counter() - start
    finally:
        logging.getLogger("weasyprint").removeHandler(keep)
    return Rendered(read_pdf(target), html, seconds, keep.messages)


def with_checks(draft: Draft, checks: list[ClaimCheck]) -> Draft:
    final = draft.final
    verification = final.verification.model_copy(update={"checks": tuple(checks)})
    rounds = (*draft.rounds[:-1], final.model_copy(update={"verification": verification}))
    return draft.model_copy(update={"rounds": rounds})


# --- content ----------------------------------------------------------------------------


def test_pdf_holds_the_draft(draft: Draft, rendered: Rendered) -> None:
    text = squash(rendered.pdf.body)
    final = draft.final
    assert squash(QUESTION) in text
    assert squash(f"{final.tribunal.verdict} {final.tribunal.score:.1f}/10") in text
    assert squash(f"Policy: {draft.decision.policy}") in text
    assert squash(draft.decision.reason) in text
    assert draft.final.verification.checks, "the offline draft should have claims"
    for check in final.verification.checks:
        assert squash(check.claim.text) in text, check.claim.text
        if check.evidence:
            assert squash(check.evidence.sentence) in text
    assert squash(draft.selection.primary.abstract) in text
    # The cover block: kernel, standing, the date the pipeline ran, the primary paper.
    cover = squash(rendered.pdf.pages[0])
    for part in (
        "SOVEREIGN Research Kernel",
        standing(draft).label,
        draft.ran_on.strftime("%B %-d, %Y"),
        draft.selection.primary.title,
        f"revision round {final.index}",
    ):
        assert squash(part) in cover, part
    # The site page's sections, in the same order.
    at = 0
    for heading in (
        "Answer",  # the cover's fact, then the section: right after the cover
        "Answer",
        "Abstract",
        "1 Introduction",
        "The primary paper addresses the question with probability",
        "Coverage: the best of the",
        "2 Methodology",
        "3 Results",
        "4 Uncertainties",
        "5 Extracted Claims",
        "Tribunal",
        "Round 0:",
        "Policy",
        "References",
        "Provenance",
    ):
        found = text.find(squash(heading), at)
        assert found >= 0, f"{heading!r} missing or out of order"
        at = found + 1
    # The answer: its summary on the cover and in its section, every statement quoted.
    answer = draft.answer
    assert text.count(squash(answer.summary)) >= 2
    assert squash(f"Answer {answer.summary}") in cover
    for st in answer.statements:
        assert squash(st.sentence) in text, st.sentence
    # Methodology and uncertainties are the generated text, every role and signal shown.
    from generator.publishing.render.narrative import methodology, uncertainties

    for line in [*methodology(draft), *uncertainties(draft)]:
        assert squash(line) in text
    for r in draft.rounds:
        for role in r.tribunal.roles:
            assert squash(role.rationale) in text
            assert squash(f"{role.role} {role.score:.1f} {role.judge}") in text
            for signal in role.signals:
                assert squash(f"{signal.name} {signal.detail}") in text


def four_states(draft: Draft) -> list[ClaimCheck]:
    """One claim in each state, with hostile evidence text."""
    evidence = next(c.evidence for c in draft.final.verification.checks if c.evidence)

    def judged(stance: str, judge: str, reason: str) -> Evidence:
        return evidence.model_copy(
            update={
                "sentence": "Evidence <b>bold</b> | piped",
                "stance": stance,
                "judge": judge,
                "reason": reason,
            }
        )

    def one(n: int, state: str, confidence: float, ev: Evidence | None, tfidf: float) -> ClaimCheck:
        text = f"Claim number {n} in state {state}."
        return ClaimCheck(
            claim=Claim(text=text, sentence_index=n, kind="finding"),
            state=state,  # type: ignore[arg-type]
            confidence=confidence,
            evidence=ev,
            tfidf=tfidf,
        )

    return [
        one(1, "supported", 0.874, judged("supports", "rules", "P(contradiction) 0.03"), 0.4321),
        one(2, "contradicted", 0.91, judged("contradicts", "llm", "It says the opposite."), 0.2),
        one(3, "related", 0.55, judged("supports", "", ""), 0.1496),
        one(4, "no_evidence", 0.0, None, 0.0),
    ]


def test_mismatch_flag_and_every_claim_state(draft: Draft, tmp_path: Path) -> None:
    selection = draft.selection.model_copy(
        update={"mismatch": True, "mismatch_reasons": ("the paper never names AnyExperts",)}
    )
    flagged = with_checks(draft.model_copy(update={"selection": selection}), four_states(draft))
    html = draft_html(flagged, standing(flagged))
    assert "Evidence &lt;b&gt;bold&lt;/b&gt; | piped" in html and "<b>bold" not in html
    pdf = render(flagged, tmp_path / "m.pdf")
    text = squash(pdf.text)
    assert squash("Question–paper mismatch") in text
    assert squash("the paper never names AnyExperts") in text
    assert squash("question–paper mismatch") in squash(pdf.pages[0]), "flag on the cover"
    assert squash(CLAIMS_HEADER) in text
    rows = [
        "1 Claim number 1 in state supported. ✓ supported stance judged by rules: "
        "P(contradiction) 0.03 87%",
        "2 Claim number 2 in state contradicted. ✗ contradicted stance judged by llm: "
        "It says the opposite. 91%",
        "3 Claim number 3 in state related. ~ related only 55%",
        "4 Claim number 4 in state no_evidence. – no evidence — — — 0.00",
    ]
    for row in rows:
        assert squash(row) in text, row
    for tfidf in ("0.43", "0.20", "0.14"):  # truncated, as the seeds' 0.15 threshold reads
        assert tfidf in text
    assert squash(
        "4 claims extracted: 1 supported, 1 contradicted, 1 related only, 1 without evidence"
    ) in squash(pdf.pages[0])
    verification = flagged.final.verification
    assert squash(verification.calibration) in text
    assert squash(verification.stance_method) in text


def test_render_is_quiet_and_deterministic(rendered: Rendered, draft: Draft, tmp_path) -> None:
    assert rendered.log == [], "WeasyPrint warned about our template or CSS"
    write_pdf(rendered.html, tmp_path / "again.pdf")
    assert (tmp_path / "again.pdf").read_bytes() == rendered.pdf.path.read_bytes()
    assert rendered.seconds < 5


def test_links_are_clickable(draft: Draft, rendered: Rendered) -> None:
    assert "https://arxiv.org/abs/2511.18314" in rendered.pdf.uris
    from generator.publishing.render.markdown import references

    for paper in references(draft):
        for _, url in paper.links:
            assert url in rendered.pdf.uris, url
    # The paper column links to its reference entry inside the PDF.
    refs = {p.id: n for n, p in enumerate(references(draft), 1)}
    wanted = {
        f"ref-{refs[c.evidence.paper_id]}" for c in draft.final.verification.checks if c.evidence
    }
    wanted |= {f"ref-{refs[st.paper_id]}" for st in draft.answer.statements}
    assert wanted and wanted <= set(rendered.pdf.dests)
    reader = pypdf.PdfReader(rendered.pdf.path)
    assert wanted <= set(reader.named_destinations)
    assert all(urlsplit(u).scheme in {"http", "https"} for u in rendered.pdf.uris)


# --- pagination -------------------------------------------------------------------------


def test_long_claims_table_repeats_header_and_keeps_rows_whole(
    draft: Draft, tmp_path: Path
) -> None:
    evidence = next(c.evidence for c in draft.final.verification.checks if c.evidence)
    checks = [
        ClaimCheck(
            claim=Claim(
                text=f"Synthetic claim {i:02d}: the router allocates between eight and sixty-four "
                "experts per token, keeping per-expert specialization measurable across "
                f"multimodal reasoning benchmarks while the compute budget stays fixed ({i}).",
                sentence_index=i,
                kind="finding",
            ),
            state=("supported", "contradicted", "related", "no_evidence")[i % 4],
            confidence=0.05 + i / 200,
            tfidf=i / 100,
            evidence=evidence if i % 4 else None,
        )
        for i in range(1, 41)
    ]
    big = with_checks(draft, checks)
    pdf = render(big, tmp_path / "big.pdf")
    n = len(pdf.pages)
    assert n >= 2
    with_rows = [i for i, page in enumerate(pdf.pages) if "Syntheticclaim" in squash(page)]
    assert len(with_rows) >= 2, "40 long claims should need more than one page"
    for i in with_rows:
        assert squash(CLAIMS_HEADER) in squash(pdf.pages[i]), f"no header on page {i + 1}"
    # Every row is whole on one page (no row split across a page break), once.
    for check in checks:
        pages = [i for i, page in enumerate(pdf.pages) if squash(check.claim.text) in squash(page)]
        assert len(pages) == 1, check.claim.text[:20]
    label = squash(standing(big).label)
    for i, page in enumerate(pdf.pages, 1):
        assert f"Page {i} of {n}" in page
        assert label in squash(page), f"no standing label in the footer of page {i}"
        assert squash(f"{label}·{big.slug}") in squash(page)
    assert "Page 1 of" in pdf.pages[0]


# --- untrusted input ----------------------------------------------------------------------


def test_hostile_text_stays_text(draft: Draft, httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/x").respond_with_data("GIF89a", content_type="image/gif")
    httpserver.expect_request("/s.css").respond_with_data(
        "body { color: red }", content_type="text/css"
    )
    payload = (
        f'<img src="{httpserver.url_for("/x")}"> '
        f'<link rel=stylesheet href="{httpserver.url_for("/s.css")}"> '
        '<iframe src="file:///etc/passwd"></iframe>'
    )
    primary = draft.selection.primary.model_copy(
        update={
            "abstract": f"We study routing. {payload} It works.",
            "doi": "javascript:alert(1)",
            "url": "file:///etc/passwd",
        }
    )
    evil_file = primary.model_copy(
        update={
            "id": "s2:evil-file",
            "title": "File paper",
            "url": "file:///etc/passwd",
            "doi": None,
        }
    )
    evil_js = primary.model_copy(
        update={
            "id": "s2:evil-js",
            "title": '<a href="javascript:alert(1)">click me</a>',
            "url": "javascript:alert(1)",
            "s2_url": "javascript:alert(2)",
            "doi": None,
        }
    )
    checks = list(draft.final.verification.checks)
    first = checks[0]
    assert first.evidence is not None
    checks[0] = first.model_copy(
        update={"evidence": first.evidence.model_copy(update={"sentence": payload})}
    )
    hostile = with_checks(draft, checks)
    final = hostile.final
    said = Statement(
        sentence=payload,
        paper_id=evil_js.id,
        paper_title=evil_js.title,
        stance="supports",
        strength=0.6,
        reason=f"llm: {payload}",
        text=f"Wording {payload}",
    )
    final = final.model_copy(
        update={
            "answer": final.answer.model_copy(
                update={"verdict": "yes", "statements": (said,), "hypothesis": payload}
            )
        }
    )
    search = final.search.model_copy(
        update={
            "papers": (
                *final.search.papers,
                RankedPaper(paper=evil_file, relevance=0.01),
                RankedPaper(paper=evil_js, relevance=0.01),
            )
        }
    )
    hostile = hostile.model_copy(
        update={
            "selection": hostile.selection.model_copy(update={"primary": primary}),
            "rounds": (*hostile.rounds[:-1], final.model_copy(update={"search": search})),
        }
    )
    html = draft_html(hostile, standing(hostile))
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == len(draft_charts(hostile)), "the charts are the only images"
    assert all(i.startswith('<img src="data:image/svg+xml;base64,') for i in images)
    assert "<iframe" not in html and "<link" not in html
    assert 'href="javascript' not in html and 'href="file:' not in html
    assert "&lt;img src=" in html

    pdf = render(hostile, tmp_path / "hostile.pdf")
    assert httpserver.log == [], "rendering fetched from the network"
    text = squash(pdf.text)
    assert "root:x:0:0" not in pdf.text
    assert squash(payload) in text, "the payload should show as literal text"
    # abstract, evidence, and the statement's sentence, wording, reason and hypothesis
    assert text.count(squash(payload)) >= 6
    assert squash('<a href="javascript:alert(1)">click me</a>') in text
    assert pdf.uris
    for uri in pdf.uris:
        assert urlsplit(uri).scheme in {"http", "https"}, uri
    assert "file:///etc/passwd" not in pdf.uris
    # The unsafe links are listed as text, not as links.
    assert squash("file:///etc/passwd (not linked") in text
    assert squash("javascript:alert(2) (not linked") in text


def test_markup_that_would_fetch_fails_the_render(httpserver: HTTPServer, tmp_path: Path) -> None:
    # If raw markup ever reached WeasyPrint, the fetcher refuses and the render stops.
    target = tmp_path / "out.pdf"
    html = f'<p>x</p><img src="{httpserver.url_for("/x")}">'
    with pytest.raises(PdfError, match="refusing to fetch"):
        write_pdf(html, target)
    assert httpserver.log == []
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [], "a temporary file was left behind"


def test_a_chart_image_that_would_fetch_fails_the_render(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    # Chart images arrive as SVG data URLs; whatever such an SVG asks for is refused too.
    import base64

    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="10" height="10"><image xlink:href="{httpserver.url_for("/x.png")}" '
        'width="10" height="10"/></svg>'
    )
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    with pytest.raises(PdfError, match="Failed to render SVG image"):
        write_pdf(f'<p>x</p><img src="{uri}">', tmp_path / "out.pdf")
    assert httpserver.log == []


def test_safe_fetcher_serves_only_the_assets(tmp_path: Path, monkeypatch) -> None:
    fetcher = SafeFetcher()
    response = fetcher.fetch(STYLESHEET.as_uri())
    assert response.content_type == "text/css"
    assert b"@page" in response.read()
    response.close()
    refused = [
        "http://127.0.0.1:9/x.css",
        "https://example.org/print.css",
        "ftp://example.org/print.css",
        "data:text/css,body{color:red}",
        "file:///etc/passwd",
        f"file://example.org{STYLESHEET}",
        ASSETS.as_uri() + "/../pdf.py",
        ASSETS.as_uri() + "/../../../../../../etc/passwd",
        ASSETS.as_uri() + "/%2e%2e/pdf.py",
        ASSETS.as_uri() + "/missing.css",
        ASSETS.as_uri(),
    ]
    for url in refused:
        with pytest.raises(ValueError, match="refusing"):
            fetcher.fetch(url)
    # A symlink inside the assets folder that leads outside it is refused too.
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "print.css").write_text("@page { size: A4 }")
    (tmp_path / "secret.txt").write_text("root:x:0:0")
    (assets / "leak.css").symlink_to(tmp_path / "secret.txt")
    monkeypatch.setattr(_pdf_engine, "ASSETS", assets)
    assert fetcher.fetch((assets / "print.css").as_uri()).read() == b"@page { size: A4 }"
    with pytest.raises(ValueError, match="refusing"):
        fetcher.fetch((assets / "leak.css").as_uri())


# --- owner decision -------------------------------------------------------------------------


def test_owner_approval_is_shown(draft: Draft, tmp_path: Path) -> None:
    review = OwnerReview(
        decision="approve",
        by="Ada Lovelace",
        date=date(2026, 11, 23),
        note="Checked every evidence sentence against the papers.",
        draft_hash=content_hash(draft),
    )
    decided = draft.model_copy(
        update={"question": draft.question.model_copy(update={"review": review})}
    )
    st = standing(decided, ["Ada Lovelace"])
    assert st.state == "owner_approved"
    pdf = render(decided, tmp_path / "approved.pdf", st)
    text = squash(pdf.text)
    assert "approvedbytheowner" in text
    assert squash("Approved by Ada Lovelace on 2026-11-23") in text
    assert squash("Owner review required") not in text
    assert "2026-11-23" in text
    assert squash("Checked every evidence sentence against the papers.") in text
    assert squash("Owner decision") in text
    for page in pdf.pages:
        assert squash(st.label) in squash(page)


def test_a_decision_by_someone_not_an_owner_does_not_count(draft: Draft, tmp_path: Path) -> None:
    review = OwnerReview(
        decision="approve", by="mallory", date=date(2026, 11, 23), draft_hash=content_hash(draft)
    )
    decided = draft.model_copy(
        update={"question": draft.question.model_copy(update={"review": review})}
    )
    st = standing(decided, ["ada-lovelace"])
    assert st.state == "not_owner" and not st.published
    text = squash(render(decided, tmp_path / "not-owner.pdf", st).text)
    assert squash("recorded by mallory on 2026-11-23, who is not one of the owners") in text
    assert squash("It does not count") in text
    assert "approvedbytheowner" not in text


def test_stale_decision_lists_changes(draft: Draft, tmp_path: Path) -> None:
    judged = draft.model_copy(
        update={"question": draft.question.model_copy(update={"question": "An older question?"})}
    )
    review = OwnerReview(
        decision="approve",
        by="Ada Lovelace",
        date=date(2026, 11, 23),
        note="Fine as it was.",
        draft_hash=content_hash(judged),
    )
    current = draft.model_copy(
        update={"question": draft.question.model_copy(update={"review": review})}
    )
    st = standing(current, ["Ada Lovelace"], judged)
    assert st.state == "stale" and st.changes
    pdf = render(current, tmp_path / "stale.pdf", st)
    text = squash(pdf.text)
    assert squash("earlier version") in text
    for change in st.changes:
        assert squash(change) in text
    assert squash("the question text was edited") in text
    assert squash("Fine as it was.") in text


def test_no_decision_section_without_a_decision(rendered: Rendered) -> None:
    assert "Owner decision" not in rendered.html
    assert "Owner decision" not in rendered.pdf.text


# --- writing --------------------------------------------------------------------------------


def test_zero_pages_is_an_error(monkeypatch, tmp_path: Path) -> None:
    class Empty:
        pages = ()

    class FakeHTML:
        def __init__(self, **kwargs: object) -> None:
            pass

        def render(self, **kwargs: object) -> Empty:
            return Empty()

    monkeypatch.setattr(_pdf_engine.weasyprint, "HTML", FakeHTML)
    with pytest.raises(PdfError, match="zero pages"):
        write_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_write_pdf_replaces_the_target_atomically(rendered: Rendered, tmp_path: Path) -> None:
    target = tmp_path / "t.pdf"
    target.write_bytes(b"old")
    write_pdf(rendered.html, target)
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["t.pdf"]


def test_render_many_in_processes_reports_each_failure(rendered: Rendered, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    items = [
        (rendered.html, tmp_path / "a.pdf"),
        ("<p>broken<img src='http://127.0.0.1:9/x'></p>", tmp_path / "b.pdf"),
        (rendered.html, blocker / "c.pdf"),
    ]
    errors = render_many(items, jobs=2)
    assert len(errors) == 2
    assert "b.pdf" in errors[0] and "refusing to fetch" in errors[0]
    assert "c.pdf" in errors[1]
    assert (tmp_path / "a.pdf").read_bytes() == rendered.pdf.path.read_bytes()
    assert render_many([(rendered.html, tmp_path / "d.pdf")], jobs=1) == []
    assert (tmp_path / "d.pdf").is_file()
    assert render_many([], jobs=4) == []


def test_weasyprint_is_imported_only_to_render() -> None:
    code = (
        "import sys\n"
        "from generator.publishing.render import pdf\n"
        "from generator.publishing.render.markdown import render_draft\n"
        "assert pdf.STYLESHEET.is_file()\n"
        "print('weasyprint' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"

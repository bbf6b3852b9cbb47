"""Rendering: escaping, URLs, numbers that agree with their verdicts, and claim states on the
page, in the PDF's HTML, the JSON and the index."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from generator.drafting.models import (
    Answer,
    Claim,
    ClaimCheck,
    Coverage,
    Draft,
    Evidence,
    Extraction,
    Gate,
    Paper,
    Plan,
    Provenance,
    QueryHits,
    Question,
    RankedPaper,
    Round,
    SearchResult,
    Selection,
    Statement,
    Verification,
)
from generator.drafting.stages.decide import decide
from generator.drafting.stages.review import measure, review
from generator.drafting.tribunal import Brief
from generator.drafting.tribunal.rules import RulesTribunal
from generator.inputs.settings import PolicySettings, ReviewSettings
from generator.publishing.ledger import Summary
from generator.publishing.render import escape
from generator.publishing.render.formats import claims_line
from generator.publishing.render.markdown import (
    environment,
    render_draft,
    render_index,
    render_json,
    render_review_queue,
)
from generator.publishing.render.narrative import (
    build_mode,
    methodology,
    models_used,
    uncertainties,
)
from generator.publishing.render.pdf import draft_html
from generator.publishing.standing import Standing, changes_between, standing


@pytest.mark.parametrize("text", ["a | b", "`x`", "*y*", "[l](u)", "<b>", "# h", "_u_", "\\"])
def test_md_escapes_every_markdown_and_html_control_character(text: str) -> None:
    out = re.sub(r"&#\d+;", "", escape.md(text))  # what is left besides character references
    assert not re.search(r"[|`*\[\]<>#_\\&]", out), out


def test_md_collapses_lines_and_drops_invisible_characters() -> None:
    out = escape.md("line one\n\n## two\u200b\u202e\u2066 end")
    assert "\n" not in out and "\u200b" not in out and "\u202e" not in out and "\u2066" not in out
    assert out.startswith("line one &#35;&#35; two")


def test_md_does_not_start_an_ordered_list() -> None:
    assert escape.md("1. First") == "1&#46; First"


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//x"]
)
def test_url_refuses_non_http_targets(bad: str) -> None:
    assert escape.url(bad) == ""


def test_url_keeps_http_and_quotes_link_breakers() -> None:
    assert escape.url("https://arxiv.org/abs/2303.01610") == "https://arxiv.org/abs/2303.01610"
    assert ")" not in escape.url("https://x.org/a)b c")


def test_templates_escape_every_interpolated_string() -> None:
    env = environment()
    assert env.from_string("{{ t }}").render(t="<script>") == "&#60;script&#62;"


@pytest.mark.parametrize(("value", "shown"), [(0.1496, "0.14"), (0.15, "0.15"), (0.0, "0.00")])
def test_confidence_is_truncated_so_it_agrees_with_the_threshold(value: float, shown: str) -> None:
    assert environment().from_string("{{ v|trunc }}").render(v=value) == shown


def test_invalid_slug_is_never_linked() -> None:
    with pytest.raises(ValueError):
        environment().from_string("{{ s|slug }}").render(s="../etc")


# --- claim states on the page, in the PDF's HTML, the JSON and the lists ---------------------

SUPPORT_REASON = "P(contradiction) 0.03"
HOSTILE = "Evidence <script>x</script> | with a pipe"


def _check(n: int, state: str, confidence: float, evidence: Evidence | None, tfidf: float):
    return ClaimCheck(
        claim=Claim(text=f"Claim {n} finds effect {n}.", sentence_index=n, kind="finding"),
        state=state,  # type: ignore[arg-type]
        confidence=confidence,
        evidence=evidence,
        tfidf=tfidf,
    )


def _evidence(stance: str = "supports", judge: str = "", reason: str = "") -> Evidence:
    return Evidence(
        sentence=HOSTILE,
        paper_id="2401.00002",
        paper_title="Other paper",
        score=0.7,
        semantic=0.8,
        lexical=0.4,
        stance=stance,  # type: ignore[arg-type]
        judge=judge,
        reason=reason,
    )


def four_checks() -> list[ClaimCheck]:
    return [
        _check(1, "supported", 0.874, _evidence("supports", "rules", SUPPORT_REASON), 0.4321),
        _check(2, "contradicted", 0.91, _evidence("contradicts", "llm", "Says the opposite."), 0.2),
        _check(3, "related", 0.55, _evidence(), 0.1496),
        _check(4, "no_evidence", 0.0, None, 0.0),
    ]


def statement(n: int, stance: str, paper_id: str = "2401.00002", **more: str) -> Statement:
    return Statement(
        sentence=f"Sentence {n} of the paper finds effects.",
        paper_id=paper_id,
        paper_title="Other paper",
        stance=stance,  # type: ignore[arg-type]
        strength=0.6,
        **more,  # type: ignore[arg-type]
    )


YES = Answer(
    verdict="yes",
    summary="Yes: 1 statement from 1 paper support it; none contradicts it.",
    statements=(
        statement(1, "supports", reason="rules: agrees, P(contradiction) 0.05"),
        statement(2, "related", paper_id="2401.00001"),
    ),
    hypothesis="Effects hold",
    papers=2,
    method="extractive: a test answer",
)


def not_covered_answer() -> Answer:
    return Answer(
        verdict="not_covered",
        summary="Not covered by the 2 papers searched: none addresses the question (the "
        "closest, 2401.00001, addresses it with probability 0.12; a paper counts at ≥ 0.5).",
        statements=(),
        hypothesis="Effects hold",
        papers=2,
        method="extractive: a test answer",
    )


def make_draft(
    checks: list[ClaimCheck],
    stance_method: str = "rules: a fitted logistic model over cues",
    calibration: str = "confidence = share of labelled pairs at this strength with evidence",
    *,
    answer: Answer = YES,
    covered: bool = True,
    dropped: tuple[str, ...] = (),
) -> Draft:
    """A whole draft built by hand around `checks` and `answer`, scored by the real rules
    tribunal and decided by the real gates."""
    primary = Paper(
        id="2401.00001", title="Primary paper", abstract="We find effects in every setting."
    )
    other = Paper(id="2401.00002", title="Other paper", abstract="Effects were found.")
    search = SearchResult(
        papers=(RankedPaper(paper=primary, relevance=0.5), RankedPaper(paper=other, relevance=0.4)),
        queries=("effects",),
        per_query=(QueryHits(query="effects", source="local", hits=2),),
        pool_size=2,
        keep=12,
        sources=("local",),
        relevance_model="TF-IDF word 1–2-gram cosine",
    )
    coverage = Coverage(
        covered=covered,
        probability=0.97 if covered else 0.12,
        best_paper=primary.id,
        papers=2,
        threshold=0.5,
        method="P(paper addresses the question): a test model",
    )
    selection = Selection(
        primary=primary,
        pinned=True,
        match=0.95 if covered else 0.12,
        coverage=coverage,
        relevance=0.5,
        rank_in_retrieved=1,
        mismatch=False,
    )
    extraction = Extraction(
        claims=tuple(c.claim for c in checks),
        sentences=len(checks),
        background_skipped=0,
        method="cue-phrase rules",
        dropped=dropped,
    )
    verification = Verification(
        checks=tuple(checks),
        threshold=0.15,
        method="strength = 0.6 · semantic + 0.4 · lexical",
        papers_compared=1,
        sentences_compared=1,
        semantic_method="all-MiniLM-L6-v2 (local)",
        stance_method=stance_method,
        calibration=calibration,
    )
    signals = measure(selection, extraction, search, verification, answer)
    brief = Brief(question="Do effects hold?", paper_title=primary.title, checks=tuple(checks))
    tribunal = review(0, signals, RulesTribunal(), ReviewSettings(), brief)
    round_ = Round(
        index=0, search=search, verification=verification, answer=answer, tribunal=tribunal
    )
    return Draft(
        slug="t",
        question=Question(slug="t", question="Do effects hold?", path="questions/t.yaml"),
        plan=Plan(queries=("effects",), origin="keyphrases"),
        selection=selection,
        extraction=extraction,
        rounds=(round_,),
        decision=decide(tribunal, selection, extraction, verification, answer, PolicySettings()),
        ran_on=date(2026, 1, 2),
        provenance=Provenance(
            generator_version="0",
            sources=("local corpus",),
            corpus="test corpus",
            relevance_model="TF-IDF word 1–2-gram cosine",
            extractor="rules",
            verifier="v",
            tribunal="rules",
            settings_hash="0",
            stages=(),
        ),
    )


def claims_table(page: str) -> list[list[str]]:
    """The cells of the Extracted Claims table, header first (separator row dropped)."""
    section = page.split("## 5 Extracted Claims", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    return [cells[0], *cells[2:]]


def test_page_shows_each_state_with_its_label_and_the_tfidf_column() -> None:
    draft = make_draft(four_checks())
    page = render_draft(draft, standing(draft))
    header, *rows = claims_table(page)
    assert header == [
        "#",
        "Claim",
        "State",
        "Confidence",
        "Evidence (best sentence)",
        "Paper",
        "Stance judged by",
        "TF-IDF (seeds)",
    ]
    assert all(len(row) == len(header) for row in rows), rows  # escaped pipes break no row
    column = {name: i for i, name in enumerate(header)}

    def cells(name: str) -> list[str]:
        return [html.unescape(row[column[name]]) for row in rows]

    assert cells("State") == ["✓ supported", "✗ contradicted", "~ related only", "– no evidence"]
    assert cells("Confidence") == ["87%", "91%", "55%", "—"]
    assert cells("Stance judged by") == [
        f"rules: {SUPPORT_REASON}",
        "llm: Says the opposite.",
        "—",  # related: the evidence was too weak for stance to be judged
        "—",
    ]
    assert cells("TF-IDF (seeds)") == ["0.43", "0.20", "0.14", "0.00"]  # truncated, as always
    assert cells("Evidence (best sentence)")[:3] == [f"“{HOSTILE}”"] * 3
    assert cells("Evidence (best sentence)")[3] == "—"
    assert "<script>" not in page and "&#60;script&#62;" in page
    assert "[[2]](#ref-2) [arXiv&#58;2401.00002](https://arxiv.org/abs/2401.00002)" in page
    # the line under the table explains the states, confidence and who judged stance
    note = page.split("## 5 Extracted Claims", 1)[1].split("\n## ", 1)[0].strip().splitlines()[-1]
    note = html.unescape(note)
    for label in ("✓ supported", "✗ contradicted", "~ related only", "– no evidence"):
        assert label in note
    assert draft.final.verification.calibration in note
    assert draft.final.verification.stance_method in note


def test_results_line_counts_states() -> None:
    draft = make_draft(four_checks())
    page = render_draft(draft, standing(draft))
    results = page.split("## 3 Results", 1)[1].split("\n## ", 1)[0]
    assert (
        "2 papers retrieved. 4 claims extracted: 1 supported, 1 contradicted, 1 related only, "
        "1 without evidence. Tribunal:" in results
    )
    assert "verified" not in results
    tribunal = page.split("## Tribunal", 1)[1].split("\n## ", 1)[0]
    assert "4 claims checked: 1 supported, 1 contradicted, 1 related only, 1 without evidence" in (
        tribunal
    )


@pytest.mark.parametrize(
    ("checks", "line"),
    [
        (
            four_checks()[:1],
            "1 claim extracted: 1 supported, 0 contradicted, 0 related only, 0 without evidence.",
        ),
        (
            four_checks()[3:],
            "1 claim extracted: 0 supported, 0 contradicted, 0 related only, 1 without evidence.",
        ),
        (
            four_checks()[1:3],
            "2 claims extracted: 0 supported, 1 contradicted, 1 related only, 0 without evidence.",
        ),
        ([], "0 claims extracted."),
    ],
)
def test_results_line_pluralises(checks: list[ClaimCheck], line: str) -> None:
    draft = make_draft(checks)
    page = render_draft(draft, standing(draft))
    assert line in page.split("## 3 Results", 1)[1].split("\n## ", 1)[0]
    assert line in html.unescape(draft_html(draft, standing(draft)))


def test_pdf_html_shows_each_state_judge_and_tfidf() -> None:
    draft = make_draft(four_checks())
    doc = draft_html(draft, standing(draft))
    head = doc.split('<table class="claims">', 1)[1].split("</thead>", 1)[0]
    assert '<th class="c-state">State</th>' in head and "TF-IDF<br>(seeds)" in head
    body = doc.split('<table class="claims">', 1)[1].split("</table>", 1)[0]
    states = re.findall(r'<td class="c-state"><span class="mark">(.)</span> ([a-z ]+)', body)
    assert states == [
        ("✓", "supported"),
        ("✗", "contradicted"),
        ("~", "related only"),
        ("–", "no evidence"),
    ]
    assert re.findall(r'<tr class="state-([a-z_]+)">', body) == [
        "supported",
        "contradicted",
        "related",
        "no_evidence",
    ]
    assert "stance judged by rules: P(contradiction) 0.03" in body
    assert "stance judged by llm: Says the opposite." in body
    assert re.findall(r'<td class="c-tfidf">([^<]*)</td>', body) == ["0.43", "0.20", "0.14", "0.00"]
    assert re.findall(r'<td class="c-conf">([^<]*)</td>', body) == ["87%", "91%", "55%", "—"]
    assert "&lt;script&gt;" in body and "<script>" not in body


def test_json_holds_states_not_verified() -> None:
    draft = make_draft(four_checks())
    data = json.loads(render_json(draft, "hash"))
    checks = data["rounds"][-1]["verification"]["checks"]
    assert [c["state"] for c in checks] == ["supported", "contradicted", "related", "no_evidence"]
    assert [c["tfidf"] for c in checks] == [0.4321, 0.2, 0.1496, 0.0]
    assert all("verified" not in c for c in checks)
    assert checks[1]["evidence"]["stance"] == "contradicts"


def test_methodology_describes_the_verifier_that_ran() -> None:
    draft = make_draft(four_checks())
    line = next(x for x in methodology(draft) if x.startswith("Verification:"))
    v = draft.final.verification
    for part in (v.method, v.semantic_method, v.stance_method, v.calibration):
        assert part and part in line
    other = make_draft(four_checks(), stance_method="LLM: some model, prompt v1-0000")
    other_line = next(x for x in methodology(other) if x.startswith("Verification:"))
    assert "LLM: some model, prompt v1-0000" in other_line and v.stance_method not in other_line
    assert "stance judging" in models_used(other)  # an LLM judged stance: Models says so


class _IndexRows(HTMLParser):
    """The index table's rows as {column label: cell text}, with each row's status keys."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and "data-status" in found:
            self.rows.append({"status": found["data-status"] or ""})
        elif tag == "td" and self.rows:
            self._label = found.get("data-label")
            self.rows[-1][self._label or ""] = ""
        elif tag == "a" and self._label == "Question":
            self.rows[-1]["href"] = found.get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.rows[-1][self._label] += data


def index_rows(index: str) -> list[dict[str, str]]:
    parser = _IndexRows()
    parser.feed(index)
    return parser.rows


def test_index_and_review_rows_count_states() -> None:
    draft = make_draft(four_checks())
    entry = SimpleNamespace(summary=Summary.of(draft), standing=standing(draft))
    counts = "4 claims: 1 supported, 1 contradicted, 1 related only, 1 without evidence"
    published = SimpleNamespace(summary=entry.summary, standing=Standing("auto_approved", "h"))
    (row,) = index_rows(render_index([published], [], preview=False, title="Drafts"))
    assert counts in row["Claims"] and "✓1 ✗1 ~1 –1" in row["Claims"]
    assert row["status"] == "published" and "✓ Published" in row["Status"]
    assert row["href"] == f"drafts/{draft.slug}.html"
    (queued,) = index_rows(render_index([], [entry], preview=False, title="Drafts"))
    assert queued["status"] == "awaiting" and "href" not in queued  # no page to link to
    assert "1 of 4 claims supported, 1 contradicted" in queued["Status"]  # decide's reason
    (shown,) = index_rows(render_index([], [entry], preview=True, title="Drafts"))
    assert shown["href"] == f"drafts/{draft.slug}.html"  # a preview build links every draft
    review_page = render_review_queue([entry], [])
    assert counts in review_page
    assert not entry.summary.live  # a local corpus and a local model: an offline build
    assert build_mode([entry.summary]).startswith("Built offline")


def test_index_tells_apart_drafts_of_the_same_question() -> None:
    one = make_draft(four_checks())
    other = one.model_copy(update={"slug": "same-question-again"})
    other = other.model_copy(
        update={
            "selection": other.selection.model_copy(
                update={
                    "primary": other.selection.primary.model_copy(
                        update={"id": "2402.00002", "title": "Another primary paper"}
                    )
                }
            )
        }
    )
    entries = [SimpleNamespace(summary=Summary.of(d), standing=standing(d)) for d in (one, other)]
    rows = index_rows(render_index(entries, [], preview=False, title="Drafts"))
    questions = [html.unescape(r["Question"]) for r in rows]
    assert len(set(questions)) == 2
    assert (
        "same-question-again · primary paper: Another primary paper (arXiv:2402.00002)"
        in (questions[1])
    )


def test_claims_line_pluralises() -> None:
    assert claims_line({"supported": 1}) == (
        "1 claim extracted: 1 supported, 0 contradicted, 0 related only, 0 without evidence"
    )
    assert claims_line({"related": 2, "no_evidence": 1}, "checked") == (
        "3 claims checked: 0 supported, 0 contradicted, 2 related only, 1 without evidence"
    )
    assert claims_line({}) == "0 claims extracted"
    assert claims_line({"contradicted": 1}, "") == (
        "1 claim: 0 supported, 1 contradicted, 0 related only, 0 without evidence"
    )


def test_stale_decision_names_the_change_in_supported_and_contradicted_claims() -> None:
    checks = four_checks()
    judged = make_draft([checks[0], checks[0].model_copy(update={"claim": checks[1].claim})])
    current = make_draft(checks[:2])  # the second claim is now contradicted
    assert "verification changed: 2 → 1 claims supported, 0 → 1 contradicted" in (
        changes_between(judged, current)
    )
    assert not any("verification" in c for c in changes_between(current, current))


# --- the answer, coverage, gates and who judged -------------------------------------------


def section(page: str, heading: str) -> str:
    """The body of a page's `## heading` section, up to the next `## ` heading."""
    return page.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def table_rows(text: str) -> list[list[str]]:
    """The cells of the first Markdown table in `text`, header first (separator dropped)."""
    block = []
    for line in text[text.index("\n|") + 1 :].splitlines():
        if not line.startswith("|"):
            break
        block.append(line)
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in block]
    return [cells[0], *cells[2:]]


def test_answer_section_comes_right_after_the_status_line_on_the_page() -> None:
    draft = make_draft(four_checks())
    page = render_draft(draft, standing(draft))
    after_status = page.split('<div class="sv-status', 1)[1].split("</div>", 1)[1]
    headings = [line for line in after_status.splitlines() if line.startswith("## ")]
    assert headings[:2] == ["## Answer", "## Abstract"]
    answer = html.unescape(section(page, "Answer"))
    assert "**Yes**: 1 statement from 1 paper support it; none contradicts it." in answer
    assert "Read as the claim: “Effects hold”" in answer
    header, *rows = table_rows(section(page, "Answer"))
    assert header == ["#", "Statement (quoted from the paper)", "Stance", "Judge's reason", "Paper"]
    assert [html.unescape(r[2]) for r in rows] == [
        "✓ supports",
        "~ related only (proposes or describes)",
    ]
    assert [html.unescape(r[3]) for r in rows] == ["rules: agrees, P(contradiction) 0.05", "—"]
    # each statement's paper: its numbered reference, then its arXiv link
    assert rows[0][4] == "[[2]](#ref-2) [arXiv&#58;2401.00002](https://arxiv.org/abs/2401.00002)"
    assert rows[1][4] == "[[1]](#ref-1) [arXiv&#58;2401.00001](https://arxiv.org/abs/2401.00001)"
    assert '<a id="ref-2"></a>' in page
    note = answer.strip().splitlines()[-1]
    assert "✓ supports = " in note and "~ related only (proposes or describes) = " in note
    assert "✗ contradicts" not in note  # only the stances the table shows are explained
    assert "dropped" not in answer


def test_answer_section_comes_right_after_the_cover_in_the_pdf() -> None:
    draft = make_draft(four_checks())
    doc = draft_html(draft, standing(draft))
    sections = re.findall(r'<section id="([a-z-]+)">', doc)
    assert sections[:3] == ["answer", "abstract", "introduction"]
    assert doc.index("</header>") < doc.index('<section id="answer">')
    facts = doc.split('<table class="facts">', 1)[1].split("</table>", 1)[0]
    assert re.search(
        r"<th>Answer</th><td[^>]*><strong>Yes</strong>: 1 statement from 1 paper", facts
    )
    body = doc.split('<section id="answer">', 1)[1].split("</section>", 1)[0]
    assert "<strong>Yes</strong>: 1 statement from 1 paper support it" in body
    assert "Read as the claim: “Effects hold”" in html.unescape(body)
    stances = re.findall(r'<td class="a-stance"><span class="mark">(.)</span> ([^<]+)</td>', body)
    assert stances == [("✓", "supports"), ("~", "related only (proposes or describes)")]
    assert '<a href="#ref-2">[2]</a>' in body and "https://arxiv.org/abs/2401.00002" in body


def test_open_question_answer_and_dropped_statements() -> None:
    answer = YES.model_copy(
        update={
            "verdict": "answered",
            "summary": "Answered in part: 1 statement from 1 paper bear directly on the question.",
            "statements": (statement(1, "answers", text="The model's wording."),),
            "hypothesis": None,
            "dropped": 2,
        }
    )
    draft = make_draft(four_checks(), answer=answer)
    page = html.unescape(section(render_draft(draft, standing(draft)), "Answer"))
    assert "**Answered in part**: 1 statement" in page
    assert "Read as the claim" not in page  # an open question is not read as a claim
    assert "| The model's wording.<br>quoting: “Sentence 1 of the paper finds effects.” |" in page
    assert "→ bears on the question" in page
    dropped = (
        "2 statements written by the language model were dropped: none cited a retrieved "
        "sentence that supports it."
    )
    assert dropped in page
    assert dropped in html.unescape(draft_html(draft, standing(draft)))
    assert Summary.of(draft).answer == "Answered in part (1 statement)"


def test_not_covered_shows_a_warning_and_no_statements() -> None:
    draft = make_draft(four_checks(), answer=not_covered_answer(), covered=False)
    page = render_draft(draft, standing(draft))
    answer = section(page, "Answer")
    assert answer.lstrip().startswith('!!! warning "Not covered by the papers searched"')
    assert "Not covered by the 2 papers searched&#58; none addresses the question" in answer
    assert "|" not in answer  # no table
    doc = draft_html(draft, standing(draft))
    body = doc.split('<section id="answer">', 1)[1].split("</section>", 1)[0]
    assert '<p class="warning-title">Not covered by the papers searched</p>' in body
    assert "<table" not in body
    intro = html.unescape(section(page, "1 Introduction"))
    assert (
        "Coverage: the best of the 2 papers searched addresses the question with probability "
        "0.12 — not covered." in intro
    )
    notes = " ".join(uncertainties(draft))
    assert "Not covered: none of the 2 papers searched addresses the question" in notes
    # the gate is listed under Policy, page and PDF
    assert draft.decision.gates[0].name == "not covered"
    policy = html.unescape(section(page, "Policy"))
    assert "Gates — no tribunal score overrides these:" in policy
    assert "- **not covered**: Not covered by the 2 papers searched" in policy
    pdf_policy = html.unescape(doc.split('<section id="policy">', 1)[1].split("</section>", 1)[0])
    assert "<li><strong>not covered</strong>: Not covered by the 2 papers searched" in pdf_policy


def test_introduction_states_the_calibrated_match_rank_and_coverage() -> None:
    draft = make_draft(four_checks())
    page = render_draft(draft, standing(draft))
    for text in (
        html.unescape(section(page, "1 Introduction")),
        html.unescape(draft_html(draft, standing(draft))),
    ):
        assert (
            "The primary paper addresses the question with probability 0.95 (calibrated; a paper "
            "counts at ≥ 0.5); search rank 1 of 2 retrieved." in text
        )
        assert (
            "Coverage: the best of the 2 papers searched addresses the question with probability "
            "0.97 — covered." in text
        )
        assert "best retrieved" not in text and "Question–paper match" not in text


def test_every_gate_is_listed_under_policy_on_page_and_pdf() -> None:
    draft = make_draft(four_checks())
    gates = (
        Gate(name="primary mismatch", detail="the question names X; the paper mentions none"),
        Gate(name="partial data", detail="built on partial data: arxiv failed"),
    )
    draft = draft.model_copy(
        update={"decision": draft.decision.model_copy(update={"gates": gates})}
    )
    policy = html.unescape(section(render_draft(draft, standing(draft)), "Policy"))
    lines = [line for line in policy.splitlines() if line.startswith("- ")]
    assert lines == [
        "- **primary mismatch**: the question names X; the paper mentions none",
        "- **partial data**: built on partial data: arxiv failed",
    ]
    doc = draft_html(draft, standing(draft))
    items = re.findall(
        r"<li><strong>([^<]+)</strong>: ([^<]+)</li>", doc.split('<ul class="gates">')[1]
    )
    assert items[:2] == [(g.name, g.detail) for g in gates]
    no_gates = make_draft(four_checks())
    assert not no_gates.decision.gates
    assert "Gates" not in section(render_draft(no_gates, standing(no_gates)), "Policy")


def test_dropped_claims_are_listed_under_the_claims() -> None:
    draft = make_draft(four_checks(), dropped=("Invented claim A.", "Invented claim B."))
    claims = html.unescape(section(render_draft(draft, standing(draft)), "5 Extracted Claims"))
    assert (
        "2 claims the language model wrote were dropped because the primary paper's abstract "
        "does not state them:" in claims
    )
    assert "- “Invented claim A.”" in claims and "- “Invented claim B.”" in claims
    doc = draft_html(draft, standing(draft))
    assert "<li>“Invented claim A.”</li>" in doc


def with_judges(draft: Draft, judges: list[str], backend: str) -> Draft:
    """The draft with its roles' judges and the tribunal's backend replaced."""
    t = draft.final.tribunal
    roles = tuple(r.model_copy(update={"judge": j}) for r, j in zip(t.roles, judges, strict=True))
    tribunal = t.model_copy(update={"roles": roles, "backend": backend})
    return draft.model_copy(
        update={"rounds": (draft.final.model_copy(update={"tribunal": tribunal}),)}
    )


LLM_BACKEND = (
    "LLM tribunal: m via OpenAI-compatible chat at h; prompts v1; a role whose answer fails is "
    "scored by rules-v3"
)
FELL_BACK = "rules-v3 (the LLM's answer failed)"
LLM_JUDGE = "LLM m via OpenAI-compatible chat at h"


def role_judges(page: str) -> dict[str, str]:
    """Role → its "Judged by" cell, from the first round's role table."""
    header, *rows = table_rows(section(page, "Tribunal"))
    column = header.index("Judged by")
    return {row[0]: html.unescape(row[column]) for row in rows}


def test_judged_by_says_rules_after_every_llm_answer_failed() -> None:
    draft = with_judges(make_draft(four_checks()), [FELL_BACK] * 3, LLM_BACKEND)
    page = render_draft(draft, standing(draft))
    assert role_judges(page) == {
        role: FELL_BACK for role in ("SKEPTIC", "VALIDATOR", "SYNTHESIZER")
    }
    tribunal = html.unescape(section(page, "Tribunal"))
    doc = html.unescape(draft_html(draft, standing(draft)))
    pdf_tribunal = doc.split('<section id="tribunal">', 1)[1].split("</section>", 1)[0]
    for text in (tribunal, pdf_tribunal):
        assert "language model's judgement" not in text
        assert "Role score = 10 × Σ weight × normalised signal" in text
        assert "answer failed for SKEPTIC, VALIDATOR and SYNTHESIZER" in text
    assert f'<td class="r-judge">{FELL_BACK}</td>' in doc
    notes = " ".join(uncertainties(draft))
    assert "a language model's judgement" not in notes
    assert "no language model judged this draft" in notes
    assert "tribunal" not in models_used(draft)  # no language model scored it


def test_judged_by_names_the_llm_only_for_the_roles_it_scored() -> None:
    draft = with_judges(make_draft(four_checks()), [LLM_JUDGE, LLM_JUDGE, FELL_BACK], LLM_BACKEND)
    page = render_draft(draft, standing(draft))
    assert role_judges(page) == {
        "SKEPTIC": LLM_JUDGE,
        "VALIDATOR": LLM_JUDGE,
        "SYNTHESIZER": FELL_BACK,
    }
    tribunal = html.unescape(section(page, "Tribunal"))
    assert (
        "SKEPTIC and VALIDATOR: score and rationale are the language model's judgement" in tribunal
    )
    assert (
        "SYNTHESIZER: scored by the rules rubric (the language model's answer failed)" in tribunal
    )
    notes = " ".join(uncertainties(draft))
    assert "The scores of SKEPTIC and VALIDATOR are a language model's judgement" in notes
    assert "SYNTHESIZER was scored by the rules rubric" in notes
    assert "tribunal" in models_used(draft)
    every = with_judges(make_draft(four_checks()), [LLM_JUDGE] * 3, LLM_BACKEND)
    assert "The tribunal's scores are a language model's judgement and prompt-sensitive." in (
        uncertainties(every)
    )
    rules = make_draft(four_checks())
    assert role_judges(render_draft(rules, standing(rules)))["SKEPTIC"] == "rules-v3"
    assert "language model" not in uncertainties(rules)[-1]


def test_hostile_statement_text_is_escaped_on_page_and_pdf() -> None:
    hostile = Statement(
        sentence=HOSTILE,
        paper_id="2401.09999",  # not among the references: shown by title, not linked
        paper_title="Title <img src=x onerror=alert(1)> | pipe",
        stance="unclear",
        strength=0.5,
        reason="llm: <b>reason</b> | [x](javascript:alert(1))",
        text="Wording <script>y</script> | `tick`",
    )
    answer = YES.model_copy(
        update={
            "verdict": "not_answered",
            "summary": "Not answered: 1 statement bear on the question <i>x</i>.",
            "statements": (hostile,),
            "hypothesis": "Effects <svg onload=alert(1)> hold",
        }
    )
    draft = make_draft(four_checks(), answer=answer)
    page = render_draft(draft, standing(draft))
    answer_md = section(page, "Answer")
    for raw in ("<script>", "<img", "<svg", "<b>", "<i>", "](javascript"):
        assert raw not in answer_md, raw
    assert "&#60;script&#62;" in answer_md and "&#60;img src&#61;x" in answer_md
    header, *rows = table_rows(answer_md)
    assert len(rows) == 1 and len(rows[0]) == len(header)  # escaped pipes break no cell
    assert (
        html.unescape(rows[0][4]) == "Title <img src=x onerror=alert(1)> | pipe (arXiv:2401.09999)"
    )
    assert "? unclear" in html.unescape(rows[0][2])
    doc = draft_html(draft, standing(draft))
    body = doc.split('<section id="answer">', 1)[1].split("</section>", 1)[0]
    for raw in ("<script>", "<img", "<svg", "<b>", "<i>"):
        assert raw not in body, raw
    assert "Wording &lt;script&gt;y&lt;/script&gt;" in body
    assert "javascript:" not in re.findall(r'href="([^"]*)"', body).__str__()


def test_json_has_the_answer_and_schema_2() -> None:
    draft = make_draft(four_checks())
    data = json.loads(render_json(draft, "hash"))
    assert data["schema"] == "sovereign.draft/2"
    assert data["answer"] == draft.answer.model_dump(mode="json")
    assert data["answer"]["verdict"] == "yes"
    assert list(data)[:3] == ["schema", "content_hash", "answer"]


def test_index_flags_not_covered_drafts_and_only_them() -> None:
    covered = make_draft(four_checks())
    lost = make_draft(four_checks(), answer=not_covered_answer(), covered=False)
    entries = [
        SimpleNamespace(summary=Summary.of(d), standing=standing(d))
        for d in (covered, lost.model_copy(update={"slug": "lost"}))
    ]
    for published, queue, preview in (
        (entries, [], False),
        ([], entries, False),
        ([], entries, True),
    ):
        rows = index_rows(render_index(published, queue, preview=preview, title="Drafts"))
        flagged = [r for r in rows if "not-covered" in r["status"].split()]
        assert len(flagged) == 1 and "∅ Not covered" in flagged[0]["Status"]
        assert html.unescape(flagged[0]["Answer"]).startswith("Not covered")
        (other,) = [r for r in rows if r is not flagged[0]]
        assert "Not covered" not in other["Status"]
    queue = render_review_queue(entries, [])
    header, *rows = table_rows(queue)
    column = header.index("Answer")
    assert [html.unescape(row[column]) for row in rows] == ["Yes (1 statement)", "Not covered"]


def test_methodology_names_the_primary_choice_coverage_and_answer_methods() -> None:
    draft = make_draft(four_checks())
    lines = methodology(draft)
    method = draft.selection.coverage.method
    assert "Primary paper: pinned by the question file (arXiv:2401.00001)." in lines
    coverage = next(x for x in lines if x.startswith("Coverage:"))
    assert method in coverage and "absolute scale" in coverage
    assert "Answer: extractive: a test answer." in lines
    assert lines.index(coverage) == lines.index("Answer: extractive: a test answer.") - 3
    chosen = draft.model_copy(
        update={"selection": draft.selection.model_copy(update={"pinned": False})}
    )
    lines = methodology(chosen)
    assert (
        "Primary paper: the retrieved paper with an abstract most probably addressing the "
        f"question (arXiv:2401.00001; relevance model: {method})." in lines
    )
    assert method not in next(x for x in lines if x.startswith("Coverage:"))  # said once


def test_uncertainties_say_what_the_answer_rests_on() -> None:
    notes = uncertainties(make_draft(four_checks()))
    assert any(n.startswith("The answer's statements are single sentences quoted") for n in notes)
    assert not any(n.startswith(("Not covered", "Not answered")) for n in notes)
    unanswered = YES.model_copy(
        update={
            "verdict": "not_answered",
            "summary": "Not answered by the 2 papers searched.",
            "statements": (),
        }
    )
    notes = uncertainties(make_draft(four_checks(), answer=unanswered))
    assert any(n.startswith("Not answered: no finding") for n in notes)
    assert not any("statements are single sentences" in n for n in notes)
    worded = YES.model_copy(
        update={"statements": (statement(1, "supports", text="A model's wording."),)}
    )
    notes = uncertainties(make_draft(four_checks(), answer=worded))
    assert any("wording beside each quoted statement is a language model's" in n for n in notes)

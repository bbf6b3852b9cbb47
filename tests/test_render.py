"""Rendering: escaping, URLs, numbers that agree with their verdicts, and claim states on the
page, in the PDF's HTML, the JSON and the index."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from types import SimpleNamespace

import pytest

from generator.ledger import Summary
from generator.models import (
    Claim,
    ClaimCheck,
    Draft,
    Evidence,
    Extraction,
    Paper,
    Plan,
    Provenance,
    QueryHits,
    Question,
    RankedPaper,
    Round,
    SearchResult,
    Selection,
    Verification,
)
from generator.render import escape
from generator.render.formats import claims_line
from generator.render.markdown import (
    environment,
    render_draft,
    render_index,
    render_json,
    render_review_queue,
)
from generator.render.narrative import build_mode, methodology, models_used
from generator.render.pdf import draft_html
from generator.settings import PolicySettings, ReviewSettings
from generator.stages.decide import decide
from generator.stages.review import measure, review
from generator.standing import changes_between, standing
from generator.tribunal import Brief
from generator.tribunal.rules import RulesTribunal


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


def make_draft(
    checks: list[ClaimCheck],
    stance_method: str = "rules: a fitted logistic model over cues",
    calibration: str = "confidence = share of labelled pairs at this strength with evidence",
) -> Draft:
    """A whole draft built by hand around `checks`, scored by the real rules tribunal."""
    primary = Paper(id="2401.00001", title="Primary paper", abstract="We find effects.")
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
    selection = Selection(
        primary=primary,
        pinned=True,
        relevance=0.5,
        best_relevance=0.5,
        rank_in_retrieved=1,
        mismatch=False,
    )
    extraction = Extraction(
        claims=tuple(c.claim for c in checks),
        sentences=len(checks),
        background_skipped=0,
        method="cue-phrase rules",
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
    signals = measure(selection, extraction, search, verification)
    brief = Brief(question="Do effects hold?", paper_title=primary.title, checks=tuple(checks))
    tribunal = review(0, signals, RulesTribunal(), ReviewSettings(), brief)
    return Draft(
        slug="t",
        question=Question(slug="t", question="Do effects hold?", path="questions/t.yaml"),
        plan=Plan(queries=("effects",), origin="keyphrases"),
        selection=selection,
        extraction=extraction,
        rounds=(Round(index=0, search=search, verification=verification, tribunal=tribunal),),
        decision=decide(tribunal, selection, verification, PolicySettings()),
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


def test_index_and_review_rows_count_states() -> None:
    draft = make_draft(four_checks())
    entry = SimpleNamespace(summary=Summary.of(draft), standing=standing(draft))
    counts = "4 claims: 1 supported, 1 contradicted, 1 related only, 1 without evidence"
    index = render_index([entry], [], preview=False, title="Drafts")
    assert "| Draft | Verdict | Score | Claims | Approved by | Date | Tags |" in index
    assert counts in index
    queue = render_index([], [entry], preview=False, title="Drafts")
    assert counts not in queue  # the flagged list shows the reason instead
    assert "1 of 4 claims supported, 1 contradicted" in queue  # decide's reason
    review_page = render_review_queue([entry], [])
    assert counts in review_page
    assert not entry.summary.live  # a local corpus and a local model: an offline build
    assert build_mode([entry.summary]).startswith("Built offline")


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

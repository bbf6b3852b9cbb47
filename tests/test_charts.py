"""Charts: static SVG whose text alternative states the figures, deterministic bytes, no
retrieved text inside, inline in the PDF's HTML, and charts that follow the draft's data."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from markupsafe import escape

from generator.publishing.ledger import Summary
from generator.publishing.render import charts
from generator.publishing.render.charts import (
    Chart,
    draft_chart_names,
    draft_charts,
    figure_html,
    index_charts,
)
from generator.publishing.render.pdf import draft_html
from generator.publishing.standing import standing

from .test_render import HOSTILE, _check, _evidence, four_checks, make_draft

SVG = "{http://www.w3.org/2000/svg}"


def texts(chart: Chart) -> list[str]:
    """The words drawn in the chart (its <text> elements)."""
    root = ET.fromstring(chart.svg.encode())
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


def test_draft_charts_state_their_figures_in_words_and_in_the_picture() -> None:
    claims, evidence = draft_charts(make_draft(four_checks()))
    assert (claims.name, evidence.name) == ("claims", "evidence")
    assert claims.alt == (
        "Claims by state: 4 claims — 1 supported, 1 contradicted, 1 related only, 1 no evidence."
    )
    assert {"✓ supported", "✗ contradicted", "~ related only", "– no evidence"} <= set(
        texts(claims)
    )
    # the one other paper holds the evidence of three claims, one in each state
    assert evidence.alt == (
        "Evidence by paper — [2] arXiv:2401.00002: 1 supported, 1 contradicted, 1 related only."
    )
    assert "[2] arXiv:2401.00002" in texts(evidence)
    assert "3" in texts(evidence), "the bar is labelled with its total"


def test_the_same_data_gives_the_same_bytes() -> None:
    first = [c.svg for c in draft_charts(make_draft(four_checks()))]
    assert first == [c.svg for c in draft_charts(make_draft(four_checks()))]
    assert "<dc:date>" not in first[0], "no build date inside the file"


def test_a_chart_drawn_once_is_read_back_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = make_draft(four_checks())
    drawn = draft_charts(draft, tmp_path)
    assert drawn == draft_charts(draft)  # the same charts as drawn without a store
    assert len(list(tmp_path.glob("*.svg"))) == 2

    def no_drawing(*_: object) -> str:
        raise AssertionError("drawn again")

    monkeypatch.setattr(charts, "_svg", no_drawing)
    assert draft_charts(draft, tmp_path) == drawn
    other = make_draft(four_checks()[:2])  # other figures: a chart of their own
    with pytest.raises(AssertionError, match="drawn again"):
        draft_charts(other, tmp_path)


def test_retrieved_text_never_reaches_a_chart() -> None:
    checks = four_checks()
    for chart in draft_charts(make_draft(checks)):
        assert "script" not in chart.svg and "pipe" not in chart.svg, HOSTILE
        assert "Other paper" not in chart.svg, "papers are named by reference and id only"


@pytest.mark.parametrize(
    "states",
    [
        [],
        ["no_evidence"],
        ["no_evidence", "related"],
        ["supported", "supported", "contradicted"],
    ],
)
def test_the_index_summary_knows_which_charts_a_page_has(states: list[str]) -> None:
    # The build decides from the summary alone whether a page's chart files are current.
    checks = [
        _check(n, s, 0.8, None if s == "no_evidence" else _evidence(), 0.1)
        for n, s in enumerate(states, 1)
    ]
    draft = make_draft(checks)
    assert draft_chart_names(Summary.of(draft)) == tuple(c.name for c in draft_charts(draft))


def test_many_papers_are_summed_beyond_the_twelfth() -> None:
    checks = []
    for n in range(15):
        evidence = _evidence().model_copy(update={"paper_id": f"2401.{n:05d}"})
        checks.append(_check(n, "related", 0.5, evidence, 0.1))
    (_, evidence_chart) = draft_charts(make_draft(checks))
    assert "3 other papers" in texts(evidence_chart)
    assert "3 other papers: 3 related only" in evidence_chart.alt


def test_a_page_figure_escapes_its_text_alternative() -> None:
    chart = Chart("claims", 'Title "<b>"', 'Alt "quoted" <i>', "<svg/>")
    html = str(figure_html(chart, "t.claims.svg"))
    assert 'alt="Alt &#34;quoted&#34; &lt;i&gt;"' in html
    assert "<figcaption>Title &#34;&lt;b&gt;&#34;</figcaption>" in html


def test_the_pdf_shows_the_charts_inline() -> None:
    draft = make_draft(four_checks())
    html = draft_html(draft, standing(draft))
    results = html[html.index('id="results"') : html.index('id="uncertainties"')]
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)"', results)
    assert [alt for _, alt in images] == [str(escape(c.alt)) for c in draft_charts(draft)]
    for data, _ in images:
        ET.fromstring(base64.b64decode(data))  # a whole SVG document
    assert "<figcaption>Claims by state</figcaption>" in results
    assert "<figcaption>Evidence by paper</figcaption>" in results


def _summary(slug: str, verdict: str, score: float) -> Summary:
    return Summary.of(make_draft(four_checks())).model_copy(
        update={"slug": slug, "verdict": verdict, "score": score, "ran_on": date(2026, 1, 2)}
    )


def test_index_charts_count_verdicts_and_place_scores_against_the_thresholds() -> None:
    rows = [
        (_summary("a", "APPROVE", 7.2), True),
        (_summary("b", "APPROVE", 6.9), False),
        (_summary("c", "REVISE", 5.0), False),
        (_summary("d", "REJECT", 2.5), False),
    ]
    verdicts, scores = index_charts(rows, approve_at=6.5, reject_below=4.0)
    assert verdicts.alt == (
        "Drafts by tribunal verdict — APPROVE: 2 (1 published); REVISE: 1 (0 published); "
        "REJECT: 1 (0 published)."
    )
    assert scores.alt == (
        "Tribunal scores of 4 drafts: 1 below 4 (reject), 1 in between (revise), 2 at 6.5 or "
        "above (approve); lowest 2.5, highest 7.2."
    )
    assert "approve at 6.5" in texts(scores) and "reject below 4" in texts(scores)
    assert index_charts([], 6.5, 4.0) == []

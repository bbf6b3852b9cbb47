"""Charts as static SVG (matplotlib, no browser script, no CDN), for the site and the PDFs.

Each chart comes with a text alternative that states its figures, so a screen reader (and a
reader of the Markdown in the review area) gets the same numbers. The SVG is deterministic:
the same data gives the same bytes (no date, fixed ids), so an unchanged chart is not
rewritten. Text stays text (`svg.fonttype: none`), which keeps files small; retrieved text
never reaches a chart (papers are labelled by reference number and id) and mathtext is off.
matplotlib costs ~0.5 s to import, so it is imported only when a chart is drawn, and a
draft's chart costs ~45 ms to draw, so with a `store` (a folder in the cache) each SVG is kept
under a hash of what it shows (the chart's kind, title and data, this module's code and
matplotlib's version) and read back the next time the same chart is needed: a page rendered
again because its standing or a template changed, or another draft with the same counts.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from generator.drafting.models import STATE_LABELS, Draft
from generator.machinery.outputs import write_text
from generator.publishing.render.formats import paper_ref

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from generator.publishing.ledger import Summary

# The site's colours (site_src/stylesheets/sovereign.css and the PDF's print.css).
STATE_COLOURS = {
    "supported": "#2e7d32",
    "contradicted": "#c62828",
    "related": "#f9a825",
    "no_evidence": "#9e9e9e",
}
VERDICT_COLOURS = {"APPROVE": "#2e7d32", "REVISE": "#a84300", "REJECT": "#c62828"}
PUBLISHED, WAITING = "#3f51b5", "#c5cae9"
INK, GRID = "#212121", "#e0e0e0"
MOST_PAPERS = 12  # papers shown by the evidence chart; the rest are summed in one bar

DRAFT_CHARTS = ("claims", "evidence")
INDEX_CHARTS = ("verdicts", "scores")


@dataclass(frozen=True)
class Chart:
    """One picture: its name (the file is `<page>.<name>.svg`), the figures in words, the SVG."""

    name: str
    title: str
    alt: str
    svg: str


def draft_chart_names(summary: Summary) -> tuple[str, ...]:
    """The charts a draft's page shows, known from its index summary alone: claims by state
    when it has claims, evidence by paper when any claim found evidence."""
    names = []
    if summary.checked:
        names.append("claims")
    if summary.supported + summary.contradicted + summary.related:
        names.append("evidence")
    return tuple(names)


def draft_charts(draft: Draft, store: Path | None = None) -> list[Chart]:
    """A draft's claims by state and the evidence by paper (papers named as in the page's
    reference list: "[3] arXiv:2401.01234"); SVGs drawn before are read from `store`."""
    from generator.publishing.render.markdown import references

    refs = {paper.id: n for n, paper in enumerate(references(draft), 1)}
    checks = draft.final.verification.checks
    charts = []
    if checks:
        counts: Counter[str] = Counter(c.state for c in checks)
        charts.append(_claims_chart({state: counts.get(state, 0) for state in STATE_LABELS}, store))
    found: dict[str, Counter[str]] = {}
    for c in checks:
        if c.evidence is not None and c.state != "no_evidence":
            found.setdefault(c.evidence.paper_id, Counter())[c.state] += 1
    if found:
        charts.append(_evidence_chart(found, refs, store))
    return charts


def index_charts(
    rows: Sequence[tuple[Summary, bool]], approve_at: float, reject_below: float
) -> list[Chart]:
    """The index's drafts by verdict (published or not) and the spread of tribunal scores,
    with the policy's thresholds marked. `rows`: each draft's summary and whether it is
    published. No chart without drafts."""
    if not rows:
        return []
    return [
        _verdicts_chart(rows),
        _scores_chart([s.score for s, _ in rows], approve_at, reject_below),
    ]


def figure_html(chart: Chart, src: str) -> Markup:
    """The chart as a page shows it: an image with its figures as the text alternative."""
    return Markup(
        '<figure class="sv-chart"><img src="{src}" alt="{alt}">'
        "<figcaption>{title}</figcaption></figure>"
    ).format(src=src, alt=chart.alt, title=chart.title)


def data_uri(chart: Chart) -> str:
    """The chart as a `data:` URL, for an image of an HTML document (the PDF) that must not
    fetch anything: the SVG stays a document of its own, with its own ids and styles."""
    return "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode()).decode()


# --- the charts -------------------------------------------------------------------------


def _claims_chart(counts: Mapping[str, int], store: Path | None = None) -> Chart:
    states = list(counts)
    labels = [f"{STATE_LABELS[s][0]} {STATE_LABELS[s][1]}" for s in states]
    values = [counts[s] for s in states]

    def draw() -> Figure:
        fig, ax = _figure(len(states))
        bars = ax.barh(labels, values, color=[STATE_COLOURS[s] for s in states], height=0.6)
        ax.bar_label(bars, padding=3, color=INK)
        _finish(ax, "claims", max(values))
        return fig

    total = sum(values)
    parts = ", ".join(f"{counts[s]} {STATE_LABELS[s][1]}" for s in states)
    title = "Claims by state"
    svg = _drawn(store, ("claims", title, labels, values), draw, title)
    return Chart("claims", title, f"{title}: {total} claim{_s(total)} — {parts}.", svg)


def _evidence_chart(
    found: Mapping[str, Counter[str]], refs: Mapping[str, int], store: Path | None = None
) -> Chart:
    order = sorted(found, key=lambda pid: (-sum(found[pid].values()), refs.get(pid, 0), pid))
    shown, rest = order[:MOST_PAPERS], order[MOST_PAPERS:]
    labels = [_paper_label(pid, refs) for pid in shown]
    rows = [found[pid] for pid in shown]
    if rest:
        labels.append(f"{len(rest)} other papers")
        rows.append(sum((found[pid] for pid in rest), Counter()))
    states = [s for s in ("supported", "contradicted", "related") if any(r[s] for r in rows)]
    widths = {state: [r[state] for r in rows] for state in states}
    totals = [sum(r[s] for s in states) for r in rows]

    def draw() -> Figure:
        fig, ax = _figure(len(labels), legend=True)
        left = [0] * len(rows)
        bars = None
        for state in states:
            bars = ax.barh(
                labels,
                widths[state],
                left=left,
                color=STATE_COLOURS[state],
                height=0.6,
                label=f"{STATE_LABELS[state][0]} {STATE_LABELS[state][1]}",
            )
            left = [a + b for a, b in zip(left, widths[state], strict=True)]
        assert bars is not None  # a paper is listed only with a claim in some state
        ax.bar_label(bars, labels=[str(n) for n in totals], padding=3, color=INK)
        _legend(fig, len(states))
        _finish(ax, "claims whose best evidence is in the paper", max(totals))
        return fig

    words = "; ".join(
        f"{label}: " + ", ".join(f"{r[s]} {STATE_LABELS[s][1]}" for s in states if r[s])
        for label, r in zip(labels, rows, strict=True)
    )
    title = "Evidence by paper"
    svg = _drawn(store, ("evidence", title, labels, widths), draw, title)
    return Chart("evidence", title, f"{title} — {words}.", svg)


def _verdicts_chart(rows: Sequence[tuple[Summary, bool]]) -> Chart:
    verdicts = list(VERDICT_COLOURS)
    published = Counter(s.verdict for s, shown in rows if shown)
    waiting = Counter(s.verdict for s, shown in rows if not shown)
    fig, ax = _figure(len(verdicts), legend=True)
    ax.barh(
        verdicts, [published[v] for v in verdicts], color=PUBLISHED, height=0.6, label="published"
    )
    bars = ax.barh(
        verdicts,
        [waiting[v] for v in verdicts],
        left=[published[v] for v in verdicts],
        color=WAITING,
        height=0.6,
        label="not published",
    )
    for tick, verdict in zip(ax.get_yticklabels(), verdicts, strict=True):
        tick.set_color(VERDICT_COLOURS[verdict])
        tick.set_fontweight("bold")
    ax.bar_label(
        bars,
        labels=[str(published[v] + waiting[v]) for v in verdicts],
        padding=3,
        color=INK,
    )
    _legend(fig, 2)
    _finish(ax, "drafts", max(published[v] + waiting[v] for v in verdicts))
    words = "; ".join(
        f"{v}: {published[v] + waiting[v]} ({published[v]} published)" for v in verdicts
    )
    title = "Drafts by tribunal verdict"
    return Chart("verdicts", title, f"{title} — {words}.", _svg(fig, title))


def _scores_chart(scores: Sequence[float], approve_at: float, reject_below: float) -> Chart:
    fig = _new_figure(2.4)
    ax = fig.add_subplot()
    bins = [i / 2 for i in range(21)]  # 0, 0.5, …, 10
    ax.hist(scores, bins=bins, color=PUBLISHED, edgecolor="white")
    ax.axvline(reject_below, color=VERDICT_COLOURS["REJECT"], linestyle="--", linewidth=1)
    ax.axvline(approve_at, color=VERDICT_COLOURS["APPROVE"], linestyle="--", linewidth=1)
    top = ax.get_ylim()[1]
    ax.text(reject_below, top, f" reject below {reject_below:g}", va="top", fontsize=9, color=INK)
    ax.text(approve_at, top, f" approve at {approve_at:g}", va="top", fontsize=9, color=INK)
    ax.set_xlim(0, 10)
    ax.set_xlabel("tribunal score (0–10)", color=INK)
    ax.set_ylabel("drafts", color=INK)
    ax.yaxis.set_major_locator(_integers())
    _style(ax)
    low = sum(s < reject_below for s in scores)
    high = sum(s >= approve_at for s in scores)
    middle = len(scores) - low - high
    title = "Tribunal scores"
    alt = (
        f"{title} of {len(scores)} draft{_s(len(scores))}: {low} below {reject_below:g} "
        f"(reject), {middle} in between (revise), {high} at {approve_at:g} or above "
        f"(approve); lowest {min(scores):.1f}, highest {max(scores):.1f}."
    )
    return Chart("scores", title, alt, _svg(fig, title))


# --- drawing ----------------------------------------------------------------------------


def _paper_label(paper_id: str, refs: Mapping[str, int]) -> str:
    number = refs.get(paper_id)
    return f"[{number}] {paper_ref(paper_id)}" if number else paper_ref(paper_id)


def _s(n: int) -> str:
    return "" if n == 1 else "s"


@cache
def _matplotlib() -> Any:
    import matplotlib

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text: small files, selectable, searchable
            "svg.hashsalt": "sovereign",  # fixed ids: the same chart gives the same bytes
            "text.parse_math": False,  # a "$" in a label is a dollar sign
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
            "font.size": 10,
        }
    )
    from matplotlib.figure import Figure

    return Figure


def _integers() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _new_figure(height: float) -> Figure:
    # NOTE: Figure directly, never pyplot: no global figure registry, no GUI backend.
    # NOTE: 4.8 in wide: shown at about that size beside another chart on a wide screen, and
    # scaled down little on a phone, so the labels stay readable.
    figure: Figure = _matplotlib()(figsize=(4.8, height), layout="constrained")
    return figure


def _figure(bars: int, legend: bool = False) -> tuple[Figure, Axes]:
    fig = _new_figure(0.9 + 0.32 * bars + (0.3 if legend else 0))
    return fig, fig.add_subplot()


def _legend(fig: Figure, entries: int) -> None:
    fig.legend(loc="outside upper left", ncols=entries, frameon=False, fontsize=9)


def _style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=INK)
    ax.set_axisbelow(True)


def _finish(ax: Axes, xlabel: str, top: int) -> None:
    ax.invert_yaxis()  # first bar on top, as the page lists them
    ax.set_xlabel(xlabel, color=INK)
    ax.set_xlim(0, max(top, 1) * 1.15)
    ax.xaxis.set_major_locator(_integers())
    ax.grid(axis="x", color=GRID)
    _style(ax)


def _drawn(store: Path | None, shows: Any, draw: Callable[[], Figure], title: str) -> str:
    """The SVG of the chart that `shows` describes: from `store` if it was drawn before,
    else drawn (and kept there)."""
    if store is None:
        return _svg(draw(), title)
    key = hashlib.sha256(repr((shows, _drawing_version())).encode()).hexdigest()[:32]
    kept = store / f"{key}.svg"
    try:
        return kept.read_text(encoding="utf-8")
    except OSError:
        pass
    svg = _svg(draw(), title)
    write_text(kept, svg)
    return svg


@cache
def _drawing_version() -> str:
    """What else decides a chart's bytes: this module's code and matplotlib's version."""
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"{code} matplotlib {version('matplotlib')}"


def _svg(fig: Figure, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Title": title}, facecolor="white")
    return buffer.getvalue()

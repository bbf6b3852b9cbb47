"""Drafts to PDF for the owner's review: our own HTML template and print CSS, by WeasyPrint.

`draft_html` fills `templates/draft.html.j2` (autoescaped: every retrieved string renders as
text, and links go through `escape.url`, http and https only). `write_pdf` renders it with
`pdf_assets/print.css`; every fetch WeasyPrint makes goes through `SafeFetcher`, which serves
only files inside `pdf_assets/`. WeasyPrint costs ~0.6 s to import, so it is imported only
when a PDF is actually rendered (see `_pdf_engine`).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from generator import __version__
from generator.drafting.models import STATE_LABELS, Draft, Paper, TribunalResult
from generator.machinery.workers import worker_setup
from generator.publishing.render import escape, formats
from generator.publishing.render.print_style import ASSETS, STYLESHEET, PdfError
from generator.publishing.standing import Standing

if TYPE_CHECKING:
    from generator.publishing.render._pdf_engine import SafeFetcher as SafeFetcher
    from generator.publishing.render.charts import Chart

__all__ = [
    "ASSETS",
    "STYLESHEET",
    "PdfError",
    "SafeFetcher",
    "draft_html",
    "render_many",
    "write_pdf",
]


def __getattr__(name: str) -> Any:
    # NOTE: SafeFetcher subclasses WeasyPrint's URLFetcher, so it lives in the lazily
    # imported engine module; `from generator.publishing.render.pdf import SafeFetcher` still works.
    if name == "SafeFetcher":
        from generator.publishing.render._pdf_engine import SafeFetcher

        return SafeFetcher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- HTML -------------------------------------------------------------------------------


def _finalize(value: Any) -> Any:
    # NOTE: autoescape escapes whatever this returns; here untrusted text also loses its
    # control, zero-width and bidi-override characters. Our own fragments are Markup.
    # Unlike escape.clean, a leading or trailing space survives: the template's own
    # separators (", ", " · ") pass through here too.
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        core = escape.clean(value)
        lead = " " if value[:1].isspace() else ""
        trail = " " if value[-1:].isspace() and core else ""
        return lead + core + trail
    return value


def _href(value: str) -> str:
    """The URL when it is a safe http(s) link, else '' (the template then shows no link)."""
    return escape.url(value)


def _authors(paper: Paper) -> str:
    names = list(paper.authors)
    return ", ".join(names) if len(names) <= 6 else ", ".join(names[:6]) + " et al."


@cache
def environment() -> Environment:
    # NOTE: one environment per process, so each template is compiled once, not per draft.
    env = Environment(
        loader=PackageLoader("generator.publishing", "render/templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["href"] = _href
    env.filters["main_url"] = formats.main_url
    env.filters["ref"] = formats.paper_ref
    env.filters["num"] = lambda v, digits=2: f"{float(v):.{digits}f}"
    env.filters["trunc"] = formats.truncated
    env.filters["authors"] = _authors
    env.filters["weight"] = lambda v: f"{float(v):g}"
    env.filters["pct"] = formats.percent
    env.filters["claims_line"] = formats.claims_line
    env.globals.update(formats.template_globals())
    env.globals["state_labels"] = STATE_LABELS
    env.globals["stance_labels"] = formats.STANCE_LABELS
    return env


# How the owner's decision reads: about this version (passive) or an earlier one (active).
_DECIDED = {
    "approve": "approved by the owner",
    "reject": "rejected by the owner",
    "revise": "sent back for revision by the owner",
}
_DECIDED_EARLIER = {
    "approve": "approved",
    "reject": "rejected",
    "revise": "asked for a revision of",
}


def _signal_table(tribunal: TribunalResult) -> dict[str, Any]:
    return {s.name: s for role in tribunal.roles for s in role.signals}


def draft_html(draft: Draft, standing: Standing, charts: Sequence[Chart] | None = None) -> str:
    """The draft as a complete HTML document for the PDF (same sections as its page; the
    charts as images inside it, drawn here unless given)."""
    from generator.publishing.render.charts import data_uri, draft_charts
    from generator.publishing.render.markdown import references
    from generator.publishing.render.narrative import (
        judge_of,
        methodology,
        tribunal_notes,
        uncertainties,
    )

    refs = references(draft)
    return (
        environment()
        .get_template("draft.html.j2")
        .render(
            d=draft,
            final=draft.final,
            standing=standing,
            decided=_DECIDED,
            decided_earlier=_DECIDED_EARLIER,
            references=refs,
            refs={paper.id: n for n, paper in enumerate(refs, 1)},
            signal_table=_signal_table,
            weights=lambda role: {s.name: s.weight for s in role.signals},
            methodology=methodology(draft),
            uncertainties=uncertainties(draft),
            tribunal_notes=tribunal_notes(draft),
            judge_of=judge_of,
            version=__version__,
            charts=draft_charts(draft) if charts is None else charts,
            data_uri=data_uri,
        )
    )


# --- PDF --------------------------------------------------------------------------------


def render_bytes(html: str) -> bytes:
    """The PDF for an HTML document (imports WeasyPrint on first use)."""
    from generator.publishing.render._pdf_engine import render_pdf

    return render_pdf(html)


def write_pdf(html: str, target: Path) -> None:
    """Render `html` and write it to `target` atomically (a temporary file in the target's
    folder, then a rename). Raises PdfError when WeasyPrint fails or lays out no page."""
    from generator.machinery.outputs import write_bytes

    write_bytes(Path(target), render_bytes(html))


def _render_item(html: str, target: str) -> str | None:
    """One item of `render_many`: None on success, else the error message."""
    try:
        write_pdf(html, Path(target))
    except Exception as exc:
        return f"{target}: {exc}"
    return None


def render_many(items: list[tuple[str, Path]], jobs: int) -> list[str]:
    """Render several (html, target) pairs, in `jobs` processes (in this one when jobs <= 1).

    Returns one error message per failed item, in the order of `items`; [] when all
    succeeded. A failure never stops the other items.
    """
    if jobs <= 1 or len(items) <= 1:
        results = [_render_item(html, str(target)) for html, target in items]
        return [r for r in results if r]
    errors: list[str] = []
    # NOTE: "spawn", not fork: the build runs questions in threads, and forking a threaded
    # process can copy a held lock. Each worker imports WeasyPrint once. Workers ignore
    # Ctrl-C: the parent alone stops, cancelling what has not started (no hang on SIGINT).
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(items)),
        mp_context=get_context("spawn"),
        initializer=worker_setup,
    )
    try:
        futures = [pool.submit(_render_item, html, str(target)) for html, target in items]
        for future, (_, target) in zip(futures, items, strict=True):
            try:
                result = future.result()
            except Exception as exc:  # a worker died (BrokenProcessPool) or could not start
                result = f"{target}: PDF worker failed: {type(exc).__name__}: {exc}"
            if result:
                errors.append(result)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return errors

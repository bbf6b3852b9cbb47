"""Drafts to Markdown pages (Jinja2) and JSON; every interpolated string is escaped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from generator.drafting.models import Draft, Paper
from generator.inputs.questions import SLUG_RE
from generator.publishing.render import escape, formats
from generator.publishing.standing import Standing


def _finalize(value: Any) -> Any:
    # NOTE: escaping happens here, for every {{ }} in every template, so a template cannot
    # forget it; our own trusted fragments are marked with Markup.
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, str):
        return escape.md(value)
    return value


def _slug(value: str) -> Markup:
    if not SLUG_RE.fullmatch(value):
        raise ValueError(f"refusing to link an invalid slug {value!r}")
    return Markup(value)


def _names(terms: tuple[str, ...], found: tuple[str, ...]) -> str:
    return ", ".join(f"{t} {'✓' if t in found else '×'}" for t in terms)


@cache
def environment() -> Environment:
    # NOTE: one environment per process, so each template is compiled once, not per draft.
    env = Environment(
        loader=PackageLoader("generator.publishing", "render/templates"),
        finalize=_finalize,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["href"] = lambda v: Markup(escape.url(v) or "#")
    env.filters["main_url"] = lambda paper: Markup(formats.main_url(paper) or "#")
    env.filters["ref"] = formats.paper_ref
    env.filters["num"] = lambda v, digits=2: Markup(f"{float(v):.{digits}f}")
    env.filters["trunc"] = lambda v, digits=2: Markup(formats.truncated(v, digits))
    env.filters["slug"] = _slug
    env.filters["pct"] = lambda v: Markup(formats.percent(v))
    env.filters["state"] = formats.state_label  # a str: escaped like any text ("~" is syntax)
    env.filters["stance"] = formats.stance_label
    env.filters["answer_line"] = formats.answer_line
    # Numbers and fixed words only: "3 claims extracted: 1 supported, 0 contradicted, …"
    env.filters["claims_line"] = lambda counts, verb="extracted": Markup(
        formats.claims_line(counts, verb)
    )
    env.globals.update(formats.template_globals())
    env.filters["yaml_str"] = lambda v: Markup(json.dumps(escape.clean(v), ensure_ascii=False))
    return env


def references(draft: Draft) -> list[Paper]:
    """Every paper the draft used: retrieved in any round, and the primary paper."""
    seen: dict[str, Paper] = {}
    for r in draft.rounds:
        for ranked in r.search.papers:
            seen.setdefault(ranked.paper.id, ranked.paper)
    seen.setdefault(draft.selection.primary.id, draft.selection.primary)
    return list(seen.values())


def render_draft(
    draft: Draft,
    standing: Standing,
    *,
    banner: str | None = None,
    pdf_href: str | None = None,
    charts: Sequence[Markup] = (),
    tags_page: str | None = None,
) -> str:
    """The draft's Markdown page. `banner` marks unpublished drafts in preview builds;
    `charts` are the figures of its results (`charts.figure_html`); with `tags_page` (the
    site's tags page, relative to the draft's), each tag links to its list of drafts."""
    from generator.publishing.render.narrative import (
        judge_of,
        methodology,
        tribunal_notes,
        uncertainties,
    )

    refs = references(draft)
    return (
        environment()
        .get_template("draft.md.j2")
        .render(
            d=draft,
            standing=standing,
            references=refs,
            refs={paper.id: n for n, paper in enumerate(refs, 1)},
            signal_table=lambda t: {s.name: s for role in t.roles for s in role.signals},
            names=_names,
            weights=lambda role: {s.name: Markup(f"{s.weight:g}") for s in role.signals},
            final=draft.final,
            banner=banner,
            pdf_href=pdf_href,
            charts=charts,
            tags_page=tags_page,
            methodology=methodology(draft),
            uncertainties=uncertainties(draft),
            tribunal_notes=tribunal_notes(draft),
            judge_of=judge_of,
            status="approved" if standing.published else "escalated",
        )
    )


# Top-level keys of a draft's JSON that are not fields of Draft (dropped to read it back).
JSON_EXTRAS = ("schema", "content_hash", "standing", "answer")


def render_json(draft: Draft, content_hash: str, standing: dict[str, Any] | None = None) -> str:
    """The draft's data as JSON (same content as the page); "answer" is the final round's
    answer, the one the page opens with."""
    data = {
        "schema": "sovereign.draft/2",
        "content_hash": content_hash,
        **({"standing": standing} if standing else {}),
        "answer": draft.answer.model_dump(mode="json"),
        **draft.model_dump(mode="json"),
    }
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def render_index(
    published: Sequence[Any],
    queue: Sequence[Any],
    *,
    preview: bool,
    title: str,
    failed: Sequence[Any] = (),
    mode: str = "",
    charts: Sequence[Markup] = (),
) -> str:
    """The home page: its charts, every draft in one table (published, then those awaiting
    the owner), then the questions that produced no draft. `published`/`queue` hold entries
    (.summary, .standing); `failed` items have .question and .message."""
    template = environment().get_template("index.md.j2")
    return template.render(
        published=published,
        escalated=queue,
        preview=preview,
        title=title,
        failed=failed,
        mode=mode,
        charts=charts,
    )


def render_review_queue(queue: Sequence[Any], rejected: Sequence[Any]) -> str:
    """The review area's README: the queue (entries with .summary, .standing), then the
    rejected drafts kept in the archive."""
    return environment().get_template("review.md.j2").render(queue=queue, rejected=rejected)


class Listed(Protocol):
    """What a list of drafts shows of each (the ledger's `Summary` has it)."""

    @property
    def slug(self) -> str: ...
    @property
    def question(self) -> str: ...
    @property
    def tags(self) -> tuple[str, ...]: ...


def render_tags_page(on_site: Sequence[Listed], preview: bool) -> str:
    """The tags page: for each tag (alphabetical), the drafts on the site that carry it, by
    question. Written by us rather than by the theme's tags plugin, whose listing kept every
    page in memory (Zensical: 1.8 GB more at 1000 drafts)."""
    by_tag: dict[str, list[Listed]] = {}
    for summary in sorted(on_site, key=lambda s: (s.question.casefold(), s.slug)):
        for tag in summary.tags:
            by_tag.setdefault(tag, []).append(summary)
    return (
        environment()
        .get_template("tags.md.j2")
        .render(preview=preview, by_tag=sorted(by_tag.items()))
    )


def render_pr_summary(
    drafts: Sequence[Any],
    failures: Sequence[Any],
    problems: Sequence[Any],
    refused: Sequence[Any] = (),
) -> str:
    """The pull-request job summary: changes only an owner may make, problems in question
    files, then each changed question's verdict and claims table."""
    template = environment().get_template("pr_summary.md.j2")
    return template.render(
        drafts=drafts,
        failures=failures,
        problems=[str(p) for p in problems],
        refused=[str(p) for p in refused],
    )

"""The Atom feed of published drafts (`feed.xml` beside the index), written by feedgen.

Newest publication first: an owner-approved draft is dated by the owner's decision, a
tribunal-approved one by its run. Each entry's id is derived from the draft's slug, so a
reader's feed client sees a re-run draft as the same entry, updated. Links are absolute
when `site.url` is set (what feed readers need), else relative to the feed. The same
drafts give the same bytes: no clock is read, and every text is cleaned of characters XML
cannot hold (feedgen escapes the rest).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from generator.publishing.render.escape import clean
from generator.publishing.render.formats import claims_line

_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")  # what _text() keeps and XML 1.0 cannot hold

FEED_FILE = "feed.xml"
MOST_ENTRIES = 50
# Entry and feed ids: stable URNs (uuid5) derived from the slug under this namespace.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/sovereign/drafts")


def published_on(entry: Any) -> date:
    """When a published draft went out: the owner's decision, else the draft's run."""
    decision = entry.standing.decision
    if entry.standing.state == "owner_approved" and decision is not None:
        return decision.date  # type: ignore[no-any-return]
    return entry.summary.ran_on  # type: ignore[no-any-return]


def render_feed(
    published: Sequence[Any], *, title: str, site_url: str | None, fallback: date
) -> bytes:
    """The Atom document for `published` entries (.summary, .standing; newest
    `MOST_ENTRIES`). `fallback` dates a feed that lists no draft yet."""
    from feedgen.feed import FeedGenerator

    chosen = sorted(published, key=lambda e: (published_on(e), e.summary.slug), reverse=True)
    chosen = chosen[:MOST_ENTRIES]
    base = site_url.rstrip("/") + "/" if site_url else ""
    feed = FeedGenerator()
    feed.id(f"urn:uuid:{uuid.uuid5(NAMESPACE, base or 'feed')}")
    feed.title(_text(title))
    feed.subtitle("Research drafts published after review: by the tribunal or by the owner.")
    feed.author({"name": "SOVEREIGN research pipeline"})
    feed.link(href=f"{base}{FEED_FILE}", rel="self", type="application/atom+xml")
    feed.link(href=f"{base}index.html", rel="alternate", type="text/html")
    feed.language("en")
    feed.updated(_moment(max((published_on(e) for e in chosen), default=fallback)))
    # NOTE: feedgen lists entries in reverse order of adding them; add the oldest first.
    for item in reversed(chosen):
        s = item.summary
        entry = feed.add_entry()
        entry.id(f"urn:uuid:{uuid.uuid5(NAMESPACE, s.slug)}")
        entry.title(_text(s.question))
        entry.link(href=f"{base}drafts/{s.slug}.html", rel="alternate", type="text/html")
        entry.published(_moment(published_on(item)))
        entry.updated(_moment(published_on(item)))
        entry.summary(_summary(item))
        for tag in s.tags:
            entry.category(term=_text(tag))
    return bytes(feed.atom_str(pretty=True))


def _summary(item: Any) -> str:
    s = item.summary
    return _text(
        f"{s.answer}. {s.answer_summary} — {item.standing.headline}. Tribunal {s.verdict} "
        f"{s.score:.1f}/10; {claims_line(s.counts)}. Primary paper: {s.primary_title} "
        f"({s.primary_id})."
    )


def _text(value: str) -> str:
    return clean(_NOT_XML.sub("", value))


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)

"""The Atom feed of published drafts: valid for a feed parser, newest first, stable ids,
absolute links when the site's address is known, and retrieved text kept as text."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import feedparser
import pytest

from generator.drafting.models import OwnerReview
from generator.inputs.settings import SettingsError, load_settings
from generator.publishing.ledger import Summary
from generator.publishing.render.feed import MOST_ENTRIES, render_feed
from generator.publishing.standing import Standing

from .test_render import four_checks, make_draft

SUMMARY = Summary.of(make_draft(four_checks()))


def published(slug: str, ran_on: date, owner_on: date | None = None, question: str = "Q?"):
    summary = SUMMARY.model_copy(
        update={"slug": slug, "ran_on": ran_on, "question": question, "tags": ("moe", "a&b")}
    )
    if owner_on is None:
        return SimpleNamespace(summary=summary, standing=Standing("auto_approved", "h"))
    decision = OwnerReview(decision="approve", by="ada-owner", date=owner_on)
    return SimpleNamespace(summary=summary, standing=Standing("owner_approved", "h", decision))


def parse(data: bytes):
    feed = feedparser.parse(data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_feed_lists_drafts_newest_publication_first() -> None:
    items = [
        published("old", date(2026, 1, 1)),
        published("owner", date(2026, 1, 2), owner_on=date(2026, 3, 1)),
        published("new", date(2026, 2, 1)),
    ]
    feed = parse(render_feed(items, title="Drafts", site_url=None, fallback=date(2026, 1, 1)))
    assert [e.link for e in feed.entries] == [
        "drafts/owner.html",  # dated by the owner's decision, not by its run
        "drafts/new.html",
        "drafts/old.html",
    ]
    assert feed.entries[0].updated.startswith("2026-03-01")
    assert feed.feed.updated.startswith("2026-03-01")
    assert "Approved by ada-owner on 2026-03-01" in feed.entries[0].summary
    assert [t.term for t in feed.entries[0].tags] == ["moe", "a&b"]
    assert all(e.id.startswith("urn:uuid:") for e in feed.entries)


def test_entry_ids_follow_the_draft_and_the_same_drafts_give_the_same_bytes() -> None:
    def feed(slug: str, ran_on: date) -> bytes:
        return render_feed(
            [published(slug, ran_on)], title="T", site_url=None, fallback=date(2026, 1, 1)
        )

    one, again = feed("a", date(2026, 1, 1)), feed("a", date(2026, 1, 1))
    rerun, other = feed("a", date(2026, 5, 1)), feed("b", date(2026, 1, 1))
    assert one == again
    assert parse(one).entries[0].id == parse(rerun).entries[0].id, "a re-run is an update"
    assert parse(one).entries[0].id != parse(other).entries[0].id


def test_links_are_absolute_with_the_site_address() -> None:
    items = [published("a", date(2026, 1, 1))]
    feed = parse(
        render_feed(items, title="T", site_url="https://o.github.io/r", fallback=date(2026, 1, 1))
    )
    assert feed.entries[0].link == "https://o.github.io/r/drafts/a.html"
    assert {link.href for link in feed.feed.links} == {
        "https://o.github.io/r/feed.xml",
        "https://o.github.io/r/index.html",
    }


def test_retrieved_text_stays_text_in_the_feed() -> None:
    hostile = "Does <script>alert(1)</script> & \x00\x1b\ufffe\ud800 work?"
    feed = parse(
        render_feed(
            [published("a", date(2026, 1, 1), question=hostile)],
            title="T",
            site_url=None,
            fallback=date(2026, 1, 1),
        )
    )
    assert feed.entries[0].title == "Does <script>alert(1)</script> & work?"
    assert feed.entries[0].title_detail.type == "text/plain"


def test_the_feed_keeps_the_newest_drafts_and_an_empty_one_is_valid() -> None:
    items = [published(f"d{n:03d}", date(2026, 1, 1 + n % 28)) for n in range(MOST_ENTRIES + 5)]
    feed = parse(render_feed(items, title="T", site_url=None, fallback=date(2026, 1, 1)))
    assert len(feed.entries) == MOST_ENTRIES
    empty = parse(render_feed([], title="T", site_url=None, fallback=date(2026, 4, 5)))
    assert empty.entries == [] and empty.feed.updated.startswith("2026-04-05")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "o.github.io/r", "https://a b/"])
def test_site_url_must_be_an_http_address(tmp_path, url: str) -> None:
    (tmp_path / "sovereign.yml").write_text(f"site:\n  url: {url!r}\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"sovereign.yml:2: site.url"):
        load_settings(tmp_path)

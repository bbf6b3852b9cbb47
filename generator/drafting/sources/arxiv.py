"""`arxiv`: the arXiv export API (`/api/query`, Atom 1.0), through the shared HTTP boundary.

What the arXiv API User's Manual says, and what we do with it:

- `search_query` is a Lucene query over field prefixes (`ti:`, `abs:`, `all:` …) combined with
  the Boolean operators `AND`, `OR`, `ANDNOT`; double quotes group words into a phrase;
  "`all:` searches in each of the fields simultaneously" (§5.1).
- `sortBy=relevance` is "Apache Lucene's default RELEVANCE ordering" (§3.1.1.3).
- `id_list` is the way to get one article ("The `id_list` parameter should be used rather than
  `search_query=id:xxx` to properly handle article versions", §5.1).
- Everything comes back as Atom 1.0, errors included: an error is a feed "with a single entry
  representing the error" whose id is `http://arxiv.org/api/errors#…` (§3.4).
- "incorporate a 3 second delay" between calls (§3.1.1.2): the service's shared limiter does.
"""

from __future__ import annotations

import asyncio
import io
import re
import unicodedata
from typing import Any

from generator.drafting.models import ARXIV_ID_RE, Paper
from generator.machinery.http import Refusal, Service

# Bump when the query building or parsing changes: part of the fingerprint (stage cache keys).
VERSION = "1"
MAX_TERMS = 8  # more AND-ed words almost never match anything, and the URL stays short
MAX_RESULTS = 2000  # the manual: results come "in slices of at most 2000 at a time"

# Words that carry no topic: English function words and the wording of research questions.
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during each
    either few for from further had has have having he her here hers how however i if in into
    is it its itself just may me might more most much must my neither no nor not now of off on
    once only or other our ours out over own per same shall she should so some such than that
    the their theirs them then there these they this those through thus to too under until up
    upon us very via was we were what when where whether which while who whom whose why will
    with within without would yet you your
    compare compared comparing degree does extent give gives given good improve improves
    question questions relative respect result results study studies use used uses using
    versus vs way ways well e.g i.e etc andnot""".split()
)

_TOKEN = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*")
_ENTRY_ID = re.compile(r"^https?://(?:export\.)?arxiv\.org/abs/(?P<id>.+?)(?:v\d+)?$")
_VERSION = re.compile(r"v\d+$")
# arXiv categories ("cs.LG", "hep-th", "cond-mat.str-el"), not ACM ("I.2.6") or MSC ("68T05")
# classes, which the feed lists as <category> too (§3.3.2.1).
_ARXIV_CATEGORY = re.compile(r"^[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def query_terms(text: str) -> list[str]:
    """The significant words of free text, as arXiv search terms, in order, at most MAX_TERMS.

    Lowercased (Lucene matching is case-insensitive), stop words dropped, query syntax
    (`:`, quotes, brackets, `+`, `-`, `*` …) removed. A hyphenated compound such as
    "mixture-of-experts" becomes the quoted phrase `"mixture of experts"`, which is what the
    manual offers for several words in one field.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    terms: list[str] = []
    for token in _TOKEN.findall(folded):
        if "-" in token:
            words = [w for w in token.split("-") if w]
            term = f'"{" ".join(words)}"' if len(words) > 1 else words[0]
        else:
            term = token
        if term in STOP_WORDS or (len(term) < 2 and not term.isdigit()) or term in terms:
            continue
        terms.append(term)
    return terms[:MAX_TERMS]


def build_query(terms: list[str], operator: str) -> str:
    """`all:t1 <operator> all:t2 …` (the manual's field prefix and Boolean operator syntax)."""
    return f" {operator} ".join(f"all:{term}" for term in terms)


def arxiv_id_from_url(url: str) -> str | None:
    """`2303.01610` from `http://arxiv.org/abs/2303.01610v2` (old-style ids too), else None."""
    match = _ENTRY_ID.match(url.strip())
    if not match:
        return None
    paper_id = match.group("id")
    return paper_id if ARXIV_ID_RE.fullmatch(paper_id) else None


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _entry_to_paper(entry: Any) -> Paper:
    entry_url = str(entry.get("id", ""))
    paper_id = arxiv_id_from_url(entry_url)
    if paper_id is None:
        raise ValueError(f"entry id {entry_url[:80]!r} is not an arXiv abstract URL")
    title = _text(entry.get("title"))
    if not title:
        raise ValueError(f"entry {paper_id} has no title")
    categories: list[str] = []
    primary = entry.get("arxiv_primary_category") or {}
    for term in [primary.get("term")] + [tag.get("term") for tag in entry.get("tags", [])]:
        if term and _ARXIV_CATEGORY.match(term) and term not in categories:
            categories.append(term)
    alternate = next(
        (link.get("href") for link in entry.get("links", []) if link.get("rel") == "alternate"),
        None,
    )
    published = _DATE.match(str(entry.get("published", "")))
    return Paper(
        id=paper_id,
        title=title,
        abstract=_text(entry.get("summary")),
        authors=tuple(
            name for author in entry.get("authors", []) if (name := _text(author.get("name")))
        ),
        published=published.group(0) if published else "",
        categories=tuple(categories),
        url=alternate or entry_url,
        source="arxiv",
        doi=_text(entry.get("arxiv_doi")) or None,
    )


def parse_feed(text: str) -> tuple[int | None, list[Paper]]:
    """(opensearch:totalResults, papers) of an API answer; ValueError when it is not usable.

    Not usable: not an Atom feed (an HTML page, an empty body), XML that is not well formed (a
    truncated answer would otherwise lose its last entries silently), an arXiv error entry, or a
    feed that announces results but holds none (the API is known to send such pages
    transiently). The HTTP layer retries on ValueError, but not on Refusal: an error entry is
    arXiv's answer to this request (a bad query or id), and asking again changes nothing.
    """
    import feedparser  # NOTE: lazy, so offline builds never import it

    # NOTE: a file object, never the string itself: feedparser would fetch a body that looks
    # like a URL, or open one that looks like a file name.
    feed = feedparser.parse(io.BytesIO(text.encode("utf-8")))
    if feed.get("bozo"):
        problem = feed.get("bozo_exception")
        benign = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
        if not feed.entries or not isinstance(problem, benign):
            raise ValueError(f"not a well-formed Atom feed ({str(problem)[:80]})")
    if not str(feed.get("version", "")).startswith("atom"):
        raise ValueError("not an Atom feed")
    message = _error_message(feed)
    if message is not None:
        raise Refusal(f"arXiv API error: {message}")
    total_text = str(feed.feed.get("opensearch_totalresults", "")).strip()
    try:
        total = int(total_text) if total_text else None
    except ValueError:
        raise ValueError(f"opensearch:totalResults is {total_text[:20]!r}") from None
    if not feed.entries and total:
        raise ValueError(f"the feed announces {total} results but holds none")
    return total, [_entry_to_paper(entry) for entry in feed.entries]


def _error_message(feed: Any) -> str | None:
    """The summary of the feed's documented error entry (§3.4), or None."""
    for entry in feed.entries:
        entry_id = str(entry.get("id", ""))
        if "/api/errors" in entry_id or (
            _text(entry.get("title")) == "Error" and arxiv_id_from_url(entry_id) is None
        ):
            return _text(entry.get("summary"))[:200] or "(no summary)"
    return None


def error_summary(text: str) -> str | None:
    """What an error answer (an HTTP 400 with the error feed) says, for the message."""
    import feedparser

    message = _error_message(feedparser.parse(io.BytesIO(text.encode("utf-8"))))
    return f"arXiv API error: {message}" if message else None


def _papers(text: str) -> list[Paper]:
    return parse_feed(text)[1]


class ArxivSource:
    """Live arXiv search: Lucene relevance over all fields, AND of the terms, OR as fallback.

    Query building: a free-text query becomes its significant words, each as `all:word`
    (the manual: "`all:` searches in each of the fields simultaneously"), joined with `AND`,
    sorted by `sortBy=relevance` ("Apache Lucene's default RELEVANCE ordering"). AND is
    precise: every word must occur, so the papers are on the query's topic. A long query can
    match nothing under AND; only then (the feed's `opensearch:totalResults` is 0) is the same
    query sent again with `OR`, under which Lucene's relevance ranking puts the papers that
    match the most (and the rarest) words first. The fallback costs one more request (3 s
    apart) and only for queries that AND leaves empty.
    """

    name = "arxiv"

    def __init__(self, service: Service):
        self.service = service

    def fingerprint(self) -> str:
        return f"arxiv:{self.service.settings.base_url.rstrip('/')}:v{VERSION}"

    def describe(self) -> str:
        return (
            f"arXiv export API ({self.service.settings.base_url.rstrip('/')}; "
            "Lucene relevance, all words AND-ed, OR when that finds nothing)"
        )

    def _query(self, search_query: str, limit: int) -> list[Paper]:
        params = {
            "search_query": search_query,
            "start": 0,
            "max_results": limit,
            "sortBy": "relevance",
            "sortOrder": "descending",
        }
        result: list[Paper] = self.service.request(
            "GET", "query", params=params, parse=_papers, error_detail=error_summary
        )
        return result

    def search_blocking(self, query: str, limit: int) -> list[Paper]:
        """`search` without the event loop (it blocks on the rate limiter and the network)."""
        terms = query_terms(query)
        if not terms or limit < 1:
            return []
        limit = min(limit, MAX_RESULTS)
        papers = self._query(build_query(terms, "AND"), limit)
        if not papers and len(terms) > 1:
            papers = self._query(build_query(terms, "OR"), limit)
        return papers[:limit]

    def fetch_blocking(self, paper_id: str) -> Paper | None:
        """`fetch` without the event loop."""
        paper_id = _VERSION.sub("", paper_id.strip())
        if not ARXIV_ID_RE.fullmatch(paper_id):
            return None  # not an arXiv id (e.g. "s2:…"): arXiv cannot have it
        papers: list[Paper] = self.service.request(
            "GET",
            "query",
            params={"id_list": paper_id},
            ttl_days=float("inf"),
            parse=_papers,
            error_detail=error_summary,
        )
        return next((p for p in papers if p.id == paper_id), None)

    async def search(self, query: str, limit: int) -> list[Paper]:
        return await asyncio.to_thread(self.search_blocking, query, limit)

    async def fetch(self, paper_id: str) -> Paper | None:
        return await asyncio.to_thread(self.fetch_blocking, paper_id)

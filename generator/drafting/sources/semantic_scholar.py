"""`semantic_scholar`: the Semantic Scholar Academic Graph API, through the shared HTTP boundary.

What its documentation says, and what we do with it:

- `GET /paper/search?query=…&limit=…&fields=…` is the relevance search. The query is "a
  plain-text search query string. No special query syntax is supported. Hyphenated query terms
  yield no matches (replace it with space to find matches)"; `limit` must be <= 100. The answer
  is `{"total": …, "offset": …, "next": …, "data": [paper, …]}`; with no match the service sends
  `{"total": 0, "offset": 0}`, without `data`.
- `GET /paper/{paper_id}` accepts `ARXIV:<id>` (e.g. `ARXIV:2106.15928`) besides S2's own
  `paperId`; an unknown paper is HTTP 404.
- Only `paperId` (and `title`) come back unless `fields` names them. `abstract` and
  `publicationDate` may be null; `externalIds` holds `ArXiv` and `DOI` when known.
- A key, when there is one, goes in the `x-api-key` header (the Service reads it from the
  environment variable named in the settings).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote

from generator.drafting.models import ARXIV_ID_RE, Paper
from generator.machinery.http import Service, ServiceError, parse_json

# Bump when the request or the mapping changes: part of the fingerprint (stage cache keys).
VERSION = "1"
FIELDS = "title,abstract,authors,year,publicationDate,externalIds,url,citationCount"
MAX_LIMIT = 100  # "Must be <= 100"
_VERSION = re.compile(r"v\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def plain_query(text: str) -> str:
    """Free text as S2 wants it: no hyphens (they "yield no matches"), single spaces."""
    return " ".join(text.replace("-", " ").split())


def _arxiv_id(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    candidate = _VERSION.sub("", value.strip())
    return candidate if ARXIV_ID_RE.fullmatch(candidate) else None


def _author_name(author: Any) -> str:
    return " ".join(str(author.get("name") or "").split()) if isinstance(author, dict) else ""


def paper_from_record(record: Any) -> Paper | None:
    """A Paper from one S2 paper object; None when it has no title; ValueError when malformed."""
    if not isinstance(record, dict) or not isinstance(record.get("paperId"), str):
        raise ValueError("a paper without a paperId")
    title = " ".join(str(record.get("title") or "").split())
    if not title:
        return None
    external = record.get("externalIds") or {}
    if not isinstance(external, dict):
        raise ValueError("externalIds is not an object")
    arxiv_id = _arxiv_id(external.get("ArXiv"))
    s2_url = record.get("url") or f"https://www.semanticscholar.org/paper/{record['paperId']}"
    authors = record.get("authors") or []
    if not isinstance(authors, list):
        raise ValueError("authors is not a list")
    date = record.get("publicationDate")
    year = record.get("year")
    if isinstance(date, str) and _DATE.match(date):
        published = date
    elif isinstance(year, int):
        published = str(year)
    else:
        published = ""
    citations = record.get("citationCount")
    doi = external.get("DOI")
    return Paper(
        id=arxiv_id or f"s2:{record['paperId']}",
        title=title,
        abstract=" ".join(str(record.get("abstract") or "").split()),
        authors=tuple(name for author in authors if (name := _author_name(author))),
        published=published,
        url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else str(s2_url),
        source="semantic_scholar",
        doi=doi.strip() if isinstance(doi, str) and doi.strip() else None,
        s2_url=str(s2_url),
        citations=citations if isinstance(citations, int) else None,
    )


def parse_search(text: str) -> list[Paper]:
    """Papers of a `/paper/search` answer, in its order; ValueError when it is malformed."""
    body = parse_json(text)
    if not isinstance(body, dict):
        raise ValueError("the answer is not a JSON object")
    if "data" not in body:
        if body.get("total") == 0:
            return []  # how the service says "no match"
        raise ValueError("the answer has no 'data'")
    if not isinstance(body["data"], list):
        raise ValueError("'data' is not a list")
    return [paper for record in body["data"] if (paper := paper_from_record(record))]


def parse_paper(text: str) -> Paper | None:
    """The paper of a `/paper/{id}` answer; ValueError when it is malformed."""
    return paper_from_record(parse_json(text))


class SemanticScholarSource:
    """Live Semantic Scholar relevance search; papers with an arXiv id keep it as their id."""

    name = "semantic_scholar"

    def __init__(self, service: Service):
        self.service = service

    def fingerprint(self) -> str:
        return f"semantic_scholar:{self.service.settings.base_url.rstrip('/')}:v{VERSION}"

    def describe(self) -> str:
        return (
            f"Semantic Scholar Graph API ({self.service.settings.base_url.rstrip('/')}; "
            "relevance search)"
        )

    def search_blocking(self, query: str, limit: int) -> list[Paper]:
        """`search` without the event loop (it blocks on the rate limiter and the network)."""
        text = plain_query(query)
        if not text or limit < 1:
            return []
        params = {"query": text, "limit": min(limit, MAX_LIMIT), "fields": FIELDS}
        papers: list[Paper] = self.service.request(
            "GET", "paper/search", params=params, auth="x-api-key", parse=parse_search
        )
        return papers[:limit]

    def fetch_blocking(self, paper_id: str) -> Paper | None:
        """`fetch` without the event loop; None when S2 does not know the paper (HTTP 404)."""
        paper_id = paper_id.strip()
        arxiv_id = _arxiv_id(paper_id)
        if arxiv_id:
            # NOTE: quoted, so an old-style id's "/" (hep-th/9901001) stays inside the segment.
            path = f"paper/ARXIV:{quote(arxiv_id, safe='')}"
        elif paper_id.startswith("s2:") and re.fullmatch(r"[0-9a-f]{40}", paper_id[3:]):
            path = f"paper/{paper_id[3:]}"
        else:
            return None
        try:
            paper: Paper | None = self.service.request(
                "GET",
                path,
                params={"fields": FIELDS},
                auth="x-api-key",
                ttl_days=float("inf"),
                parse=parse_paper,
            )
        except ServiceError as exc:
            if exc.status == 404:
                return None
            raise
        return paper

    async def search(self, query: str, limit: int) -> list[Paper]:
        return await asyncio.to_thread(self.search_blocking, query, limit)

    async def fetch(self, paper_id: str) -> Paper | None:
        return await asyncio.to_thread(self.fetch_blocking, paper_id)

"""A fake Semantic Scholar Academic Graph API on a local pytest-httpserver, in its format.

GET /graph/v1/paper/search?query=…&limit=…&offset=…&fields=…
    -> {"total": n, "offset": o, "next": o+limit (when more), "data": [paper, …]}
       or, with no match, {"total": 0, "offset": 0} (no "data"), as the service does.
       "No special query syntax is supported. Hyphenated query terms yield no matches": a
       query with a hyphenated word matches nothing here too. `limit` > 100 is HTTP 400.
GET /graph/v1/paper/{paper_id}?fields=…   paper_id: <sha> | ARXIV:<id> | DOI:<doi> |
    CorpusId:<n>  -> paper, or HTTP 404 {"error": "Paper with id … not found"}.

A paper carries `paperId` always and the requested fields: `externalIds` (ArXiv; DOI on some;
CorpusId), `abstract` (null on some, as S2 often has), `publicationDate` (null on some, with
`year` still set), `authors` [{authorId, name}], `url`, `citationCount`, `title`, `year`.
The records come from the same corpus as the fake arXiv, plus any `extra` raw records.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from generator.drafting.models import Paper

from .fake_faults import FaultyService, truncated

JSON = "application/json"
ROOT = "/graph/v1"
_WORD = re.compile(r"[^\W_]+")


def paper_id_of(arxiv_id: str) -> str:
    """The (fake) S2 paperId of an arXiv record: 40 hex digits, fixed per id."""
    return hashlib.sha1(f"s2:{arxiv_id}".encode()).hexdigest()


def s2_record(paper: Paper) -> dict[str, Any]:
    """The full S2 paper object for a corpus record (before `fields` selection)."""
    crc = zlib.crc32(paper.id.encode())
    external: dict[str, Any] = {"ArXiv": paper.id, "CorpusId": 200000000 + crc % 99999999}
    if crc % 3 == 0:
        external["DOI"] = f"10.1000/s2.{paper.id}"
    year = int(paper.published[:4]) if paper.published[:4].isdigit() else None
    sha = paper_id_of(paper.id)
    return {
        "paperId": sha,
        "externalIds": external,
        "url": f"https://www.semanticscholar.org/paper/{sha}",
        "title": paper.title,
        "abstract": None if crc % 5 == 2 else paper.abstract,
        "year": year,
        # S2 dates are YYYY-MM-DD or null (month-only corpus dates become null)
        "publicationDate": None if crc % 7 == 3 or len(paper.published) != 10 else paper.published,
        "authors": [
            {"authorId": str(1000 + zlib.crc32(name.encode()) % 90000), "name": name}
            for name in paper.authors
        ],
        "citationCount": crc % 500,
    }


# Paper fields the fake knows (a subset of the documented ones); others are HTTP 400.
KNOWN_FIELDS = frozenset(
    "paperId corpusId externalIds url title abstract venue year referenceCount citationCount "
    "influentialCitationCount isOpenAccess fieldsOfStudy publicationDate authors".split()
)


def _select(record: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """`paperId` and the requested fields ("title" when none): unknown values are null."""
    wanted = [f for f in (fields or "title").split(",") if f]
    unknown = [f for f in wanted if f not in KNOWN_FIELDS]
    if unknown:
        raise KeyError(unknown[0])
    return {"paperId": record["paperId"], **{f: record.get(f) for f in wanted if f != "paperId"}}


class FakeSemanticScholar(FaultyService):
    """The fake; `require_key` makes it refuse requests without that x-api-key (HTTP 403)."""

    def __init__(
        self,
        server: HTTPServer,
        corpus: Sequence[Paper],
        extra: Sequence[dict[str, Any]] = (),
        require_key: str | None = None,
    ):
        super().__init__()
        self.server = server
        self.records = [s2_record(p) for p in corpus] + [dict(r) for r in extra]
        self.require_key = require_key
        server.expect_request(re.compile(rf"^{ROOT}/paper/.+$")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        """What `SemanticScholarSettings.base_url` should be."""
        return f"http://127.0.0.1:{self.server.port}{ROOT}"

    def record_for(self, arxiv_id: str) -> dict[str, Any]:
        return next(
            r for r in self.records if (r.get("externalIds") or {}).get("ArXiv") == arxiv_id
        )

    def wrong_shape(self, times: int = 1) -> None:
        """`times` answers that are JSON, but `data` is not a list."""
        self.inject("wrong_shape", times)

    # --- the API ----------------------------------------------------------------------

    def search(self, query: str) -> list[dict[str, Any]]:
        """Records by overlap with the query's words (none when a word is hyphenated)."""
        if re.search(r"\w-\w", query):
            return []
        words = set(_WORD.findall(query.casefold()))
        scored = []
        for index, record in enumerate(self.records):
            text = f"{record.get('title') or ''} {record.get('abstract') or ''}".casefold()
            tokens = set(_WORD.findall(text))
            overlap = len(words & tokens)
            if overlap:
                scored.append((-overlap, index))
        return [self.records[index] for _, index in sorted(scored)]

    def lookup(self, paper_id: str) -> dict[str, Any] | None:
        prefix, _, value = paper_id.partition(":")
        for record in self.records:
            external = record.get("externalIds") or {}
            if not value and record["paperId"] == paper_id:
                return record
            if value and prefix.upper() == "ARXIV" and external.get("ArXiv") == value:
                return record
            if value and prefix.upper() == "DOI" and external.get("DOI") == value:
                return record
            if value and prefix == "CorpusId" and str(external.get("CorpusId")) == value:
                return record
        return None

    def handle(self, request: Request) -> Response:
        fault = self.record(request)
        if fault is not None:
            if fault.kind == "malformed":
                return Response(
                    '{"total": 3, "offset": 0, "data": [{"paperId": ', content_type=JSON
                )
            if fault.kind == "wrong_shape":
                return _json({"total": 1, "offset": 0, "data": {"paperId": "x"}})
            special = self.generic(fault)
            if special is not None:
                return special
        if self.require_key is not None and request.headers.get("x-api-key") != self.require_key:
            return _json({"message": "Forbidden"}, 403)
        path = request.path[len(ROOT) :]
        args = request.args
        try:
            if path == "/paper/search":
                body, status = self._search(args, empty=fault is not None and fault.kind == "empty")
            else:
                body, status = self._paper(path[len("/paper/") :], args)
        except KeyError as exc:
            body, status = {"error": f"Unrecognized or unsupported fields: [{exc.args[0]}]"}, 400
        if fault is not None and fault.kind == "truncate":
            return truncated(json.dumps(body).encode(), JSON)
        return _json(body, status)

    def _search(self, args: Any, empty: bool) -> tuple[dict[str, Any], int]:
        query = args.get("query")
        if not query:
            return {"error": "Missing required parameter: 'query'"}, 400
        limit = int(args.get("limit", "100"))
        offset = int(args.get("offset", "0"))
        if limit > 100:
            return {"error": "'limit' must be <= 100"}, 400
        found = [] if empty else self.search(query)
        if not found:
            return {"total": 0, "offset": 0}, 200
        page = found[offset : offset + limit]
        body: dict[str, Any] = {"total": len(found), "offset": offset}
        if offset + limit < len(found):
            body["next"] = offset + limit
        body["data"] = [_select(r, args.get("fields")) for r in page]
        return body, 200

    def _paper(self, paper_id: str, args: Any) -> tuple[dict[str, Any], int]:
        record = self.lookup(paper_id)
        if record is None:
            return {"error": f"Paper with id {paper_id} not found"}, 404
        return _select(record, args.get("fields")), 200


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type=JSON)


def install_fake_s2(
    server: HTTPServer,
    corpus: Sequence[Paper],
    extra: Sequence[dict[str, Any]] = (),
    require_key: str | None = None,
) -> FakeSemanticScholar:
    """Serve the S2 Graph API over `corpus` (+ `extra` raw records) on `server`."""
    return FakeSemanticScholar(server, corpus, extra, require_key)

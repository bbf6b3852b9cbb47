"""A fake arXiv export API on a local pytest-httpserver, answering in the documented format.

`GET /api/query` takes `search_query` (field prefixes `ti: abs: au: cat: all:` …, Boolean
`AND`/`OR`/`ANDNOT`, parentheses, quoted phrases), `id_list`, `start`, `max_results`, `sortBy`,
`sortOrder`, and answers with an Atom 1.0 feed in the three namespaces of the User's Manual
(§3.3): versioned entry ids, several authors (one with an `arxiv:affiliation`), a primary
category, arXiv and ACM categories, `arxiv:doi` on some records, abs/pdf/doi links, and
`opensearch:totalResults`. Errors are, as documented (§3.4), a feed with one error entry.

Relevance is simple term overlap: records matching more of the query's terms come first.
"""

from __future__ import annotations

import re
import textwrap
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from generator.drafting.models import Paper

from .fake_faults import FaultyService, truncated

ATOM = "application/atom+xml; charset=UTF-8"
SCHEME = "http://arxiv.org/schemas/atom"
ID_FORMAT = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'\(|\)|[a-z]+:"[^"]*"|[a-z]+:[^\s()]+|ANDNOT|AND|OR|"[^"]*"|[^\s()]+')


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def version_of(paper_id: str) -> int:
    """The (fake) latest version of a record: 1 to 3, fixed per id."""
    return 1 + zlib.crc32(paper_id.encode()) % 3


def doi_of(paper_id: str) -> str | None:
    """A DOI for about a quarter of the records."""
    return f"10.1000/sovereign.{paper_id}" if zlib.crc32(paper_id.encode()) % 4 == 0 else None


@dataclass(frozen=True)
class _Leaf:
    field: str
    words: tuple[str, ...]


def _fields(paper: Paper) -> dict[str, list[str]]:
    fields = {
        "ti": _words(paper.title),
        "abs": _words(paper.abstract),
        "au": _words(" ".join(paper.authors)),
        "cat": [c.casefold() for c in paper.categories],
        "co": [],
        "jr": [],
        "rn": [],
        "id": [paper.id.casefold()],
    }
    fields["all"] = fields["ti"] + fields["abs"] + fields["au"] + fields["cat"]
    return fields


def _contains(haystack: list[str], words: tuple[str, ...]) -> bool:
    n = len(words)
    return n > 0 and any(tuple(haystack[i : i + n]) == words for i in range(len(haystack) - n + 1))


class QueryError(ValueError):
    pass


class _Parser:
    """search_query grammar: expr := term ((AND|OR|ANDNOT) term)*; term := ( expr ) | leaf."""

    def __init__(self, text: str):
        self.tokens = _TOKEN.findall(text)
        self.pos = 0
        self.leaves: list[_Leaf] = []

    def parse(self) -> Any:
        if not self.tokens:
            raise QueryError("empty search_query")
        tree = self._expr()
        if self.pos != len(self.tokens):
            raise QueryError(f"unexpected {self.tokens[self.pos]!r}")
        return tree

    def _expr(self) -> Any:
        tree = self._term()
        while self.pos < len(self.tokens) and self.tokens[self.pos] in ("AND", "OR", "ANDNOT"):
            op = self.tokens[self.pos]
            self.pos += 1
            tree = (op, tree, self._term())
        return tree

    def _term(self) -> Any:
        if self.pos >= len(self.tokens):
            raise QueryError("search_query ends early")
        token = self.tokens[self.pos]
        self.pos += 1
        if token == "(":
            tree = self._expr()
            if self.pos >= len(self.tokens) or self.tokens[self.pos] != ")":
                raise QueryError("unbalanced parentheses")
            self.pos += 1
            return tree
        field, _, value = (
            token.partition(":") if re.match(r"^[a-z]+:", token) else ("all", "", token)
        )
        if field not in ("ti", "abs", "au", "cat", "co", "jr", "rn", "id", "all"):
            raise QueryError(f"unknown field prefix {field!r}")
        words: tuple[str, ...]
        if field == "cat":
            words = (value.strip('"').casefold(),)
        else:
            words = tuple(_words(value.strip('"')))
        leaf = _Leaf(field, words)
        self.leaves.append(leaf)
        return leaf


def _evaluate(tree: Any, fields: dict[str, list[str]]) -> bool:
    if isinstance(tree, _Leaf):
        return _contains(fields[tree.field], tree.words)
    op, left, right = tree
    if op == "AND":
        return _evaluate(left, fields) and _evaluate(right, fields)
    if op == "OR":
        return _evaluate(left, fields) or _evaluate(right, fields)
    return _evaluate(left, fields) and not _evaluate(right, fields)


class FakeArxiv(FaultyService):
    """The fake; its faults: those of FaultyService, plus `error_entry`, `phantom`, `blank`."""

    def __init__(self, server: HTTPServer, corpus: Sequence[Paper], path: str = "/api/query"):
        super().__init__()
        self.server = server
        self.papers = list(corpus)
        self._fields = [_fields(p) for p in self.papers]
        self.path = path
        server.expect_request(path).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        """What `ArxivSettings.base_url` should be (the API root, without `/query`)."""
        return f"http://127.0.0.1:{self.server.port}{self.path.rsplit('/', 1)[0]}"

    def error_entry(
        self,
        times: int = 1,
        message: str = "incorrect id format for 1234.12345",
        status: int = 200,
    ):
        """`times` answers that are the documented error feed with `message`, sent with HTTP
        `status` (the live API sends it with 400 for a bad query, and has sent it with 200)."""
        self.inject(f"error:{status}:{message}", times)

    def phantom(self, times: int = 1) -> None:
        """`times` feeds announcing results but holding no entry (a known API hiccup)."""
        self.inject("phantom", times)

    def blank(self, times: int = 1) -> None:
        """`times` answers 200 with an empty body (another known API hiccup)."""
        self.inject("blank", times)

    # --- the API ----------------------------------------------------------------------

    def search(self, search_query: str) -> list[Paper]:
        """The records matching `search_query`, best first (raises QueryError)."""
        parser = _Parser(search_query)
        tree = parser.parse()
        positive = parser.leaves
        scored = []
        for index, fields in enumerate(self._fields):
            if not _evaluate(tree, fields):
                continue
            score = sum(_contains(fields[leaf.field], leaf.words) for leaf in positive)
            # more occurrences of the terms in the title weigh as a tie-breaker
            title_hits = sum(_contains(fields["ti"], leaf.words) for leaf in positive)
            scored.append((-score, -title_hits, index))
        return [self.papers[index] for _, _, index in sorted(scored)]

    def lookup(self, ids: list[str]) -> list[Paper]:
        by_id = {p.id: p for p in self.papers}
        found = []
        for raw in ids:
            if not ID_FORMAT.match(raw):
                raise QueryError(f"incorrect id format for {raw}")
            paper = by_id.get(re.sub(r"v\d+$", "", raw))
            if paper is not None:
                found.append(paper)
        return found

    def handle(self, request: Request) -> Response:
        fault = self.record(request)
        if fault is not None:
            special = self._fault_response(fault, request)
            if special is not None:
                return special
        args = request.args
        try:
            start = int(args.get("start", "0"))
            max_results = int(args.get("max_results", "10"))
        except ValueError:
            return Response("start and max_results must be integers", status=400)
        if max_results > 30000:
            return Response("max_results must be <= 30000", status=400)
        search_query = args.get("search_query", "")
        id_list = [i for i in args.get("id_list", "").split(",") if i]
        try:
            if id_list:
                papers = self.lookup(id_list)
                if search_query:
                    matching = {p.id for p in self.search(search_query)}
                    papers = [p for p in papers if p.id in matching]
            elif search_query:
                papers = self.search(search_query)
            else:
                papers = []
        except QueryError as exc:
            return self._atom(error_feed(str(exc), args))
        if fault is not None and fault.kind == "empty":
            papers = []
        body = feed(papers[start : start + max_results], len(papers), start, args)
        if fault is not None and fault.kind == "truncate":
            return truncated(body.encode(), ATOM)
        return self._atom(body)

    def _fault_response(self, fault: Any, request: Request) -> Response | None:
        if fault.kind.startswith("error:"):
            _, status, message = fault.kind.split(":", 2)
            answer = self._atom(error_feed(message, request.args))
            answer.status_code = int(status)
            return answer
        if fault.kind == "phantom":
            return self._atom(feed([], 25, 0, request.args))
        if fault.kind == "blank":
            return Response(b"", status=200, content_type=ATOM)
        if fault.kind == "malformed":
            broken = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>'
            return Response(broken + "Broken & <unclosed>", status=200, content_type=ATOM)
        return self.generic(fault)

    @staticmethod
    def _atom(body: str) -> Response:
        return Response(body.encode("utf-8"), status=200, content_type=ATOM)


def _canonical(args: Any) -> str:
    return (
        f"search_query={args.get('search_query', '')}&id_list={args.get('id_list', '')}"
        f"&start={args.get('start', '0')}&max_results={args.get('max_results', '10')}"
    )


def _head(args: Any, total: int, start: int, per_page: int, feed_id: str) -> str:
    query = _canonical(args)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
        f"  <link href={quoteattr('http://arxiv.org/api/query?' + query)} "
        'rel="self" type="application/atom+xml"/>\n'
        f'  <title type="html">ArXiv Query: {escape(query)}</title>\n'
        f"  <id>http://arxiv.org/api/{feed_id}</id>\n"
        "  <updated>2026-11-22T00:00:00-05:00</updated>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
    )


def entry(paper: Paper) -> str:
    """One record as an Atom <entry> of the API (title and summary wrapped like arXiv's)."""
    version = version_of(paper.id)
    abs_url = f"http://arxiv.org/abs/{paper.id}v{version}"
    date = (paper.published or "2026-01-01") + ("-01" if len(paper.published) == 7 else "")
    title = (
        "\n  ".join(textwrap.wrap(paper.title, 70, break_on_hyphens=False, break_long_words=False))
        or paper.title
    )
    summary = "\n".join(
        textwrap.wrap(paper.abstract, 78, break_on_hyphens=False, break_long_words=False)
    )
    lines = [
        "  <entry>",
        f"    <id>{abs_url}</id>",
        f"    <updated>{date}T17:59:59Z</updated>",
        f"    <published>{date}T09:30:00Z</published>",
        f"    <title>{escape(title)}</title>",
        f"    <summary>  {escape(summary)}\n</summary>",
    ]
    for number, name in enumerate(paper.authors):
        affiliation = (
            "<arxiv:affiliation>Example University</arxiv:affiliation>" if number == 0 else ""
        )
        lines.append(f"    <author>\n      <name>{escape(name)}</name>{affiliation}\n    </author>")
    doi = doi_of(paper.id)
    if doi:
        lines.append(f"    <arxiv:doi>{escape(doi)}</arxiv:doi>")
        lines.append(f'    <link title="doi" href="http://dx.doi.org/{doi}" rel="related"/>')
    lines.append("    <arxiv:comment>12 pages, 4 figures</arxiv:comment>")
    lines.append(f'    <link href="{abs_url}" rel="alternate" type="text/html"/>')
    lines.append(
        f'    <link title="pdf" href="http://arxiv.org/pdf/{paper.id}v{version}" '
        'rel="related" type="application/pdf"/>'
    )
    if paper.categories:
        lines.append(
            f'    <arxiv:primary_category term="{paper.categories[0]}" scheme="{SCHEME}"/>'
        )
    for category in paper.categories:
        lines.append(f'    <category term="{category}" scheme="{SCHEME}"/>')
    if zlib.crc32(paper.id.encode()) % 5 == 0:  # an ACM class, as the manual shows
        lines.append(f'    <category term="I.2.6" scheme="{SCHEME}"/>')
    lines.append("  </entry>")
    return "\n".join(lines) + "\n"


def feed(papers: Sequence[Paper], total: int, start: int, args: Any) -> str:
    """A results feed: the page `papers` of `total` results."""
    head = _head(args, total, start, len(papers), f"fake{zlib.crc32(_canonical(args).encode())}")
    return head + "".join(entry(p) for p in papers) + "</feed>\n"


def error_feed(message: str, args: Any) -> str:
    """The documented error answer: a feed with a single error entry."""
    anchor = re.sub(r"\W+", "_", message)
    return (
        _head(args, 1, 0, 1, "errors") + "  <entry>\n"
        f"    <id>http://arxiv.org/api/errors#{escape(anchor)}</id>\n"
        "    <title>Error</title>\n"
        f"    <summary>{escape(message)}</summary>\n"
        "    <updated>2026-11-22T00:00:00-05:00</updated>\n"
        f'    <link href="http://arxiv.org/api/errors#{escape(anchor)}" rel="alternate" '
        'type="text/html"/>\n'
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n</feed>\n"
    )


def install_fake_arxiv(server: HTTPServer, corpus: Sequence[Paper]) -> FakeArxiv:
    """Serve the arXiv API over `corpus` on `server`; returns the fake (log, fault injection)."""
    return FakeArxiv(server, corpus)

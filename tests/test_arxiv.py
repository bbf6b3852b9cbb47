"""The arXiv source against a fake arXiv API on 127.0.0.1 (tests/fake_arxiv.py)."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from generator.drafting.corpus import load_corpus
from generator.drafting.models import Paper
from generator.drafting.sources.arxiv import (
    MAX_TERMS,
    ArxivSource,
    arxiv_id_from_url,
    build_query,
    parse_feed,
    query_terms,
)
from generator.inputs.settings import ArxivSettings
from generator.machinery.http import ResponseCache, Service, ServiceError

from .fake_arxiv import FakeArxiv, doi_of, entry, error_feed, feed, install_fake_arxiv, version_of
from .fake_faults import Recorder

OLD_STYLE = Paper(
    id="hep-th/9901001",
    title="Gauge experts: <i>sparse</i> gating & compactifications",
    abstract="We study   sparse gating\nof gauge experts in string compactifications.",
    authors=("A. Old", "B. Style", "C. Third"),
    published="1999-01-04",
    categories=("hep-th", "gr-qc"),
    url="https://arxiv.org/abs/hep-th/9901001",
    source="local",
)


@pytest.fixture
def corpus() -> list[Paper]:
    return [*load_corpus(), OLD_STYLE]


@pytest.fixture
def by_id(corpus: list[Paper]) -> dict[str, Paper]:
    return {p.id: p for p in corpus}


@pytest.fixture
def fake(httpserver: HTTPServer, corpus: list[Paper]) -> Iterator[FakeArxiv]:
    server = install_fake_arxiv(httpserver, corpus)
    yield server
    server.release()
    httpserver.check_handler_errors()


@pytest.fixture
def make_source(fake: FakeArxiv, tmp_path: Path) -> Iterator[Any]:
    made: list[tuple[Service, ResponseCache]] = []

    def make(**options: Any) -> ArxivSource:
        values: dict[str, Any] = {
            "base_url": fake.base_url,
            "min_interval": 0.0,
            "retries": 2,
            "backoff": 0.01,
            "max_backoff": 0.05,
            "timeout": 2.0,
        }
        values.update(options)
        cache = ResponseCache(tmp_path / f"http{len(made)}")
        service = Service("arxiv", ArxivSettings(**values), cache=cache, sleep=Recorder(fake))
        made.append((service, cache))
        return ArxivSource(service)

    yield make
    for service, cache in made:
        service.close()
        cache.close()


def search(source: ArxivSource, query: str, limit: int = 10) -> list[Paper]:
    return asyncio.run(source.search(query, limit))


def fetch(source: ArxivSource, paper_id: str) -> Paper | None:
    return asyncio.run(source.fetch(paper_id))


# --- query building -------------------------------------------------------------------


def test_query_terms_keep_the_significant_words():
    terms = query_terms("To what extent does Mixture-of-Experts upcycling beat dense training?")
    assert terms == ['"mixture of experts"', "upcycling", "beat", "dense", "training"]
    assert build_query(terms, "AND") == (
        'all:"mixture of experts" AND all:upcycling AND all:beat AND all:dense AND all:training'
    )


def test_query_syntax_in_the_text_is_neutralised():
    terms = query_terms('ti:Routing AND (load OR "balance") +experts* -dense ANDNOT x')
    assert terms == ["ti", "routing", "load", "balance", "experts", "dense"]
    query = build_query(terms, "OR")
    assert re.fullmatch(r"all:[a-z]+( OR all:[a-z]+)*", query)


def test_query_terms_are_deduplicated_and_capped():
    terms = query_terms("experts experts routing " + " ".join(f"word{i}" for i in range(20)))
    assert terms[:2] == ["experts", "routing"] and len(terms) == MAX_TERMS


def test_entry_ids_lose_their_version():
    assert arxiv_id_from_url("http://arxiv.org/abs/2303.01610v2") == "2303.01610"
    assert arxiv_id_from_url("https://arxiv.org/abs/hep-th/9901001v1") == "hep-th/9901001"
    assert arxiv_id_from_url("http://arxiv.org/abs/hep-ex/0307015") == "hep-ex/0307015"
    assert arxiv_id_from_url("http://arxiv.org/api/errors#incorrect_id_format") is None


# --- search ---------------------------------------------------------------------------


def test_search_sends_the_documented_parameters(fake, make_source):
    search(make_source(), "expert offloading", limit=5)
    assert fake.log[0].path == "/api/query"
    assert fake.log[0].args == {
        "search_query": "all:expert AND all:offloading",
        "start": "0",
        "max_results": "5",
        "sortBy": "relevance",
        "sortOrder": "descending",
    }


def test_search_parses_every_field(fake, make_source, by_id):
    papers = search(make_source(), "sparse experts", limit=40)
    expected = fake.search("all:sparse AND all:experts")[:40]
    assert [p.id for p in papers] == [p.id for p in expected] and len(papers) == 40
    for paper in papers:
        record = by_id[paper.id]
        assert paper.title == record.title  # the feed wraps titles; whitespace is collapsed
        assert paper.abstract == " ".join(record.abstract.split())
        assert paper.authors == record.authors
        month_only = len(record.published) == 7  # the fake dates those to the 1st
        assert paper.published == record.published + ("-01" if month_only else "")
        assert paper.categories == record.categories  # primary first; ACM classes dropped
        assert paper.url == f"http://arxiv.org/abs/{paper.id}v{version_of(paper.id)}"
        assert paper.doi == doi_of(paper.id)
        assert paper.source == "arxiv"
        assert paper.arxiv_id == paper.id
    assert any(p.doi for p in papers) and any(p.doi is None for p in papers)
    assert any(len(p.authors) > 3 for p in papers)


def test_search_falls_back_to_or_when_and_finds_nothing(fake, make_source):
    papers = search(make_source(), "expert offloading zyzzyvaquux", limit=5)
    assert [e.args["search_query"] for e in fake.log] == [
        "all:expert AND all:offloading AND all:zyzzyvaquux",
        "all:expert OR all:offloading OR all:zyzzyvaquux",
    ]
    assert len(papers) == 5
    best = papers[0].text.lower()
    assert "expert" in best and "offloading" in best  # most terms matched ranks first


def test_no_fallback_for_a_single_term(fake, make_source):
    assert search(make_source(), "zyzzyvaquux") == []
    assert len(fake.log) == 1


def test_a_query_of_stop_words_sends_nothing(fake, make_source):
    assert search(make_source(), "what is the extent of it?") == []
    assert fake.log == []


def test_an_empty_result_set_is_an_empty_list(fake, make_source):
    fake.empty(times=2)
    assert search(make_source(), "expert offloading") == []
    assert len(fake.log) == 2  # AND, then OR


def test_old_style_ids(fake, make_source):
    papers = search(make_source(), "gauge compactifications")
    assert [p.id for p in papers] == ["hep-th/9901001"]
    paper = papers[0]
    assert paper.title == "Gauge experts: <i>sparse</i> gating & compactifications"  # text
    assert paper.abstract == "We study sparse gating of gauge experts in string compactifications."
    assert paper.authors == ("A. Old", "B. Style", "C. Third")
    assert paper.categories == ("hep-th", "gr-qc")


def test_queries_overlap_while_the_limiter_spaces_them(fake, make_source):
    source = make_source(min_interval=0.3)
    ticks = 0

    async def ticker(stop: asyncio.Event) -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def main() -> list[list[Paper]]:
        stop = asyncio.Event()
        tick = asyncio.create_task(ticker(stop))
        found = await asyncio.gather(
            source.search("expert offloading", 3),
            source.search("sparse upcycling", 3),
            source.search("load balancing", 3),
        )
        stop.set()
        await tick
        return list(found)

    started = time.monotonic()
    results = asyncio.run(main())
    assert all(results)
    starts = sorted(e.start for e in fake.log)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # NOTE: held to half the 0.3 s interval per gap and 90% over the span: a delayed
    # arrival on a loaded machine shortens the next gap (see test_http's spacing test)
    assert len(starts) == 3 and min(gaps) >= 0.15, gaps
    assert starts[-1] - starts[0] >= 0.54, gaps
    assert ticks >= 20  # the event loop ran while the requests waited for their slot
    assert time.monotonic() - started < 3


# --- fetch ----------------------------------------------------------------------------


def test_fetch_uses_id_list_and_is_cached_for_ever(fake, make_source, by_id):
    source = make_source(cache_ttl_days=0)  # searches are not cached; fetches still are
    paper = fetch(source, "2603.11114v2")
    assert fake.log[0].args == {"id_list": "2603.11114"}
    assert paper is not None and paper.id == "2603.11114"
    assert paper.title == by_id["2603.11114"].title and paper.source == "arxiv"
    assert fetch(source, "2603.11114") == paper
    assert len(fake.log) == 1 and source.service.stats.cache_hits == 1
    search(source, "routing signatures")
    search(source, "routing signatures")
    assert len(fake.log) == 3


def test_fetch_old_style_id(fake, make_source):
    paper = fetch(make_source(), "hep-th/9901001v1")
    assert fake.log[0].args == {"id_list": "hep-th/9901001"}
    assert paper is not None and paper.id == "hep-th/9901001"


def test_fetch_of_an_unknown_paper_is_none(fake, make_source):
    assert fetch(make_source(), "2901.00001") is None
    assert len(fake.log) == 1


def test_fetch_of_a_non_arxiv_id_sends_nothing(fake, make_source):
    source = make_source()
    assert fetch(source, "s2:0123456789abcdef0123456789abcdef01234567") is None
    assert fetch(source, "1234.123") is None
    assert fake.log == []


# --- faults ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inject",
    [
        lambda f: f.fail_429(retry_after="0"),
        lambda f: f.fail_500(),
        lambda f: f.truncate(),
        lambda f: f.slow(seconds=5),
        lambda f: f.malformed(),
        lambda f: f.phantom(),
        lambda f: f.blank(),
    ],
    ids=["429", "500", "truncated", "timeout", "malformed", "phantom", "blank"],
)
def test_a_passing_fault_is_retried(fake, make_source, inject):
    source = make_source(timeout=0.3)
    inject(fake)
    papers = search(source, "expert offloading")
    assert [p.id for p in papers] == [p.id for p in fake.search("all:expert AND all:offloading")]
    assert papers and len(fake.log) == 2
    assert source.service.stats.retries == 1


@pytest.mark.parametrize(
    "inject, message",
    [
        (lambda f: f.malformed(times=3), r"malformed response \(not a well-formed Atom feed"),
        (lambda f: f.blank(times=3), r"malformed response \(not an Atom feed"),
        (lambda f: f.phantom(times=3), r"announces 25 results but holds none"),
        (lambda f: f.truncate(times=3), r"network error \(RemoteProtocolError\)"),
        (lambda f: f.fail_500(times=3), r"HTTP 500; gave up after 3 attempts"),
    ],
    ids=["malformed", "blank", "phantom", "truncated", "500"],
)
def test_a_lasting_fault_is_a_service_error(fake, make_source, inject, message):
    source = make_source()
    inject(fake)
    with pytest.raises(ServiceError, match=message):
        search(source, "expert offloading")
    assert len(fake.log) == 3


# --- parsing --------------------------------------------------------------------------


def test_parse_an_empty_feed():
    assert parse_feed(feed([], 0, 0, {})) == (0, [])


def test_parse_rejects_what_is_not_a_usable_feed(corpus):
    good = feed(corpus[:3], 3, 0, {})
    assert [p.id for p in parse_feed(good)[1]] == [p.id for p in corpus[:3]]
    cut = good[: good.index("</entry>", good.index("</entry>") + 1) + 40]
    with pytest.raises(ValueError, match="well-formed"):
        parse_feed(cut)  # two whole entries parse, but the answer was cut: never half a list
    with pytest.raises(ValueError, match="arXiv API error: incorrect id format for 9"):
        parse_feed(error_feed("incorrect id format for 9", {}))
    for junk in ["", "<html><body>Service unavailable</body></html>", '{"data": []}']:
        with pytest.raises(ValueError):
            parse_feed(junk)


def test_parse_treats_markup_in_titles_as_text():
    paper = OLD_STYLE.model_copy(update={"title": "A &amp; B <script>alert(1)</script>"})
    text = feed([], 1, 0, {}).replace("</feed>", entry(paper) + "</feed>")
    parsed = parse_feed(text)[1][0]
    assert parsed.title == "A &amp; B <script>alert(1)</script>"


def test_fingerprint_names_the_endpoint(make_source, fake):
    source = make_source()
    assert fake.base_url in source.fingerprint()
    assert source.name == "arxiv"


@pytest.mark.parametrize("status", [200, 400])
def test_an_error_feed_is_arxivs_answer_shown_once_and_not_retried(fake, make_source, status):
    """The documented error feed (§3.4) is the answer to this request, whether it comes with
    HTTP 400 or 200: its summary is the message, once, without the XML, and asking again
    would change nothing, so one request is sent."""
    source = make_source()
    fake.error_entry(times=5, message="incorrect id format for 1234.12345", status=status)
    with pytest.raises(ServiceError) as info:
        search(source, "expert offloading")
    text = str(info.value)
    assert "arXiv API error: incorrect id format for 1234.12345" in text
    assert text.count("arxiv:") == 1 and "<?xml" not in text and "<feed" not in text
    assert (status == 400) == ("HTTP 400" in text)
    assert len(fake.log) == 1
    assert source.service.stats.retries == 0

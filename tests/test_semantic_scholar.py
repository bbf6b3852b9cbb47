"""The Semantic Scholar source against a fake Graph API on 127.0.0.1 (tests/fake_s2.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from generator.drafting.corpus import load_corpus
from generator.drafting.models import Paper
from generator.drafting.sources.arxiv import ArxivSource
from generator.drafting.sources.live import make_live_source
from generator.drafting.sources.semantic_scholar import (
    FIELDS,
    SemanticScholarSource,
    parse_paper,
    parse_search,
    plain_query,
)
from generator.inputs.settings import ArxivSettings, SemanticScholarSettings, ServicesSettings
from generator.machinery.http import ResponseCache, Service, ServiceError, Services

from .fake_arxiv import install_fake_arxiv
from .fake_faults import Recorder
from .fake_s2 import FakeSemanticScholar, install_fake_s2, paper_id_of, s2_record

KEY_ENV = "S2_API_KEY"  # the default of SemanticScholarSettings.api_key_env
CANARY = "s2-canary-key-5e1d-never-shown"
JOURNAL_SHA = "0f" * 20
JOURNAL = {  # a paper S2 knows that is not on arXiv
    "paperId": JOURNAL_SHA,
    "externalIds": {"DOI": "10.1000/journal.offloading", "CorpusId": 42},
    "url": f"https://www.semanticscholar.org/paper/{JOURNAL_SHA}",
    "title": "Expert   offloading for sparse models in production",
    "abstract": None,
    "year": 2021,
    "publicationDate": None,
    "authors": [{"authorId": "1", "name": "J. Ournal"}, {"authorId": None, "name": "P. Rint"}],
    "citationCount": 7,
}
OLD_STYLE = Paper(
    id="hep-th/9901001",
    title="Gauge experts in string compactifications",
    abstract="We study gauge experts.",
    authors=("A. Old",),
    published="1999-01-04",
    categories=("hep-th",),
)


@pytest.fixture
def corpus() -> list[Paper]:
    return [*load_corpus(), OLD_STYLE]


@pytest.fixture
def fake(httpserver: HTTPServer, corpus: list[Paper]) -> Iterator[FakeSemanticScholar]:
    server = install_fake_s2(httpserver, corpus, extra=[JOURNAL])
    yield server
    server.release()
    httpserver.check_handler_errors()


@pytest.fixture
def make_source(
    fake: FakeSemanticScholar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.delenv(KEY_ENV, raising=False)
    made: list[tuple[Service, ResponseCache]] = []

    def make(**options: Any) -> SemanticScholarSource:
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
        settings = SemanticScholarSettings(**values)
        service = Service("semantic_scholar", settings, cache=cache, sleep=Recorder(fake))
        made.append((service, cache))
        return SemanticScholarSource(service)

    yield make
    for service, cache in made:
        service.close()
        cache.close()


def search(source: Any, query: str, limit: int = 10) -> list[Paper]:
    return asyncio.run(source.search(query, limit))


def fetch(source: Any, paper_id: str) -> Paper | None:
    return asyncio.run(source.fetch(paper_id))


# --- search ---------------------------------------------------------------------------


def test_search_sends_the_documented_parameters(fake, make_source):
    search(make_source(), "Mixture-of-Experts  offloading", limit=5)
    (request,) = fake.log
    assert request.path == "/graph/v1/paper/search"
    assert request.args == {
        "query": "Mixture of Experts offloading",
        "limit": "5",
        "fields": FIELDS,
    }
    wanted = "title abstract authors year publicationDate externalIds url citationCount".split()
    assert sorted(FIELDS.split(",")) == sorted(wanted)
    assert "x-api-key" not in request.headers


def test_hyphens_would_match_nothing():
    assert plain_query(" sparse  Mixture-of-Experts\nrouting ") == (
        "sparse Mixture of Experts routing"
    )


def test_search_maps_every_field(fake, make_source):
    papers = search(make_source(), "sparse experts routing", limit=100)
    assert [p.id for p in papers][:3] == [
        r["externalIds"].get("ArXiv") or f"s2:{r['paperId']}"
        for r in fake.search("sparse experts routing")[:3]
    ]
    assert len(papers) == 100
    for paper in papers:
        record = next(r for r in fake.records if r["title"] == paper.title.replace("  ", " "))
        external = record["externalIds"]
        assert paper.id == external.get("ArXiv", f"s2:{record['paperId']}")
        assert paper.abstract == " ".join((record["abstract"] or "").split())
        assert paper.authors == tuple(a["name"] for a in record["authors"])
        assert paper.published == (record["publicationDate"] or str(record["year"]))
        assert paper.doi == external.get("DOI")
        assert paper.s2_url == record["url"]
        assert paper.citations == record["citationCount"]
        assert paper.source == "semantic_scholar"
        if paper.arxiv_id:
            assert paper.url == f"https://arxiv.org/abs/{paper.id}"
    assert any(p.abstract == "" for p in papers)  # S2 has no abstract for some papers
    assert any(p.doi for p in papers) and any(p.doi is None for p in papers)
    assert any(r["publicationDate"] is None for r in fake.records if r["year"])


def test_a_paper_without_arxiv_id(fake, make_source):
    papers = search(make_source(), "production offloading", limit=3)
    journal = next(p for p in papers if p.title.startswith("Expert offloading for sparse"))
    assert journal.id == f"s2:{JOURNAL_SHA}" and journal.arxiv_id is None
    assert journal.url == journal.s2_url == JOURNAL["url"]
    assert journal.abstract == "" and journal.published == "2021"
    assert journal.authors == ("J. Ournal", "P. Rint")
    assert journal.doi == "10.1000/journal.offloading"


def test_limit_is_capped_at_100(fake, make_source):
    assert len(search(make_source(), "experts", limit=500)) == 100
    assert fake.log[0].args["limit"] == "100"


def test_no_match_is_an_empty_list(fake, make_source):
    source = make_source()
    assert search(source, "zyzzyvaquux") == []  # the answer is {"total": 0, "offset": 0}
    fake.empty()
    assert search(source, "expert offloading") == []
    assert len(fake.log) == 2
    assert search(source, "  -  ") == [] and len(fake.log) == 2  # nothing to ask


# --- fetch ----------------------------------------------------------------------------


def test_fetch_by_arxiv_id_is_cached_for_ever(fake, make_source):
    source = make_source(cache_ttl_days=0)
    paper = fetch(source, "2603.11114v3")
    (request,) = fake.log
    assert request.path == "/graph/v1/paper/ARXIV:2603.11114"
    assert request.args == {"fields": FIELDS}
    assert paper is not None and paper.id == "2603.11114"
    assert paper.s2_url == f"https://www.semanticscholar.org/paper/{paper_id_of('2603.11114')}"
    assert fetch(source, "2603.11114") == paper
    assert len(fake.log) == 1
    search(source, "routing signatures")
    search(source, "routing signatures")
    assert len(fake.log) == 3  # searches obey cache_ttl_days=0


def test_fetch_of_an_unknown_paper_is_none(fake, make_source):
    source = make_source()
    assert fetch(source, "2901.00001") is None
    assert len(fake.log) == 1  # a 404 is an answer, not a fault: no retry
    stats = source.service.stats
    assert (stats.not_found, stats.failures) == (1, 0)  # the summary says "not found"


def test_fetch_old_style_id_keeps_the_slash_in_the_segment(fake, make_source):
    paper = fetch(make_source(), "hep-th/9901001")
    assert fake.log[0].uri.startswith("/graph/v1/paper/ARXIV:hep-th%2F9901001?")
    assert paper is not None and paper.id == "hep-th/9901001"


def test_fetch_by_s2_id_and_of_other_ids(fake, make_source):
    source = make_source()
    paper = fetch(source, f"s2:{JOURNAL_SHA}")
    assert paper is not None and paper.id == f"s2:{JOURNAL_SHA}"
    assert fake.log[0].path == f"/graph/v1/paper/{JOURNAL_SHA}"
    assert fetch(source, "doi:10.1000/x") is None
    assert fetch(source, "not an id") is None
    assert len(fake.log) == 1


# --- keys -----------------------------------------------------------------------------


def test_the_key_goes_in_the_x_api_key_header(
    httpserver: HTTPServer, corpus, make_source, fake, monkeypatch
):
    fake.require_key = CANARY
    monkeypatch.setenv(KEY_ENV, CANARY)
    source = make_source()
    assert search(source, "expert offloading")
    assert fetch(source, "2603.11114") is not None
    assert [r.headers.get("x-api-key") for r in fake.log] == [CANARY, CANARY]
    assert all(CANARY not in r.uri for r in fake.log)


def test_a_missing_or_refused_key_is_reported_without_the_key(
    fake, make_source, monkeypatch, caplog
):
    fake.require_key = CANARY
    with pytest.raises(ServiceError, match=rf"HTTP 403: an API key is needed .*{KEY_ENV}"):
        search(make_source(), "expert offloading")
    monkeypatch.setenv(KEY_ENV, "wrong-" + CANARY[::-1])
    with pytest.raises(ServiceError, match=rf"HTTP 403: the API key was refused .*{KEY_ENV}") as e:
        search(make_source(), "expert offloading")
    assert CANARY[::-1] not in str(e.value) and CANARY[::-1] not in caplog.text
    assert len(fake.log) == 2  # refused keys are not retried


# --- faults ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inject",
    [
        lambda f: f.fail_429(retry_after="0"),
        lambda f: f.fail_500(),
        lambda f: f.truncate(),
        lambda f: f.slow(seconds=5),
        lambda f: f.malformed(),
        lambda f: f.wrong_shape(),
    ],
    ids=["429", "500", "truncated", "timeout", "malformed", "wrong-shape"],
)
def test_a_passing_fault_is_retried(fake, make_source, inject):
    source = make_source(timeout=0.3)
    inject(fake)
    papers = search(source, "expert offloading")
    assert papers and len(fake.log) == 2
    assert source.service.stats.retries == 1


@pytest.mark.parametrize(
    "inject, message",
    [
        (lambda f: f.malformed(times=3), r"malformed response \(invalid JSON"),
        (lambda f: f.wrong_shape(times=3), r"malformed response \('data' is not a list\)"),
        (lambda f: f.fail_429(times=3, retry_after="0"), r"HTTP 429; gave up after 3 attempts"),
        (lambda f: f.truncate(times=3), r"network error \(RemoteProtocolError\)"),
    ],
    ids=["malformed", "wrong-shape", "429", "truncated"],
)
def test_a_lasting_fault_is_a_service_error(fake, make_source, inject, message):
    inject(fake)
    with pytest.raises(ServiceError, match=message):
        search(make_source(), "expert offloading")
    assert len(fake.log) == 3


def test_a_lasting_fault_on_fetch_is_a_service_error_not_none(fake, make_source):
    fake.fail_500(times=3)
    with pytest.raises(ServiceError, match="HTTP 500"):
        fetch(make_source(), "2603.11114")


# --- parsing --------------------------------------------------------------------------


def test_parse_rejects_answers_of_the_wrong_shape():
    assert parse_search('{"total": 0, "offset": 0}') == []
    for text in [
        '{"total": 5, "offset": 0}',  # results announced, none given
        "[]",
        '{"data": [{"title": "no paperId"}]}',
        '{"data": [{"paperId": "a", "title": "t", "externalIds": ["ArXiv"]}]}',
        '{"data": [{"paperId": "a", "title": "t", "authors": "A. Author"}]}',
        "<html>busy</html>",
    ]:
        with pytest.raises(ValueError):
            parse_search(text)


def test_parse_tolerates_what_s2_leaves_out():
    papers = parse_search(
        '{"total": 3, "offset": 0, "data": ['
        '{"paperId": "a1", "title": null},'
        '{"paperId": "b2", "title": "Only a title", "externalIds": null, "authors": null},'
        '{"paperId": "c3", "title": "Versioned", "externalIds": {"ArXiv": "2401.00001v2"},'
        ' "year": 2024, "publicationDate": "2024-01"}]}'
    )
    assert [p.id for p in papers] == ["s2:b2", "2401.00001"]  # no title: skipped
    assert papers[0].published == "" and papers[0].authors == () and papers[0].abstract == ""
    assert papers[0].s2_url == "https://www.semanticscholar.org/paper/b2"
    assert papers[1].published == "2024"  # not a full date: the year
    old_style = parse_paper(json.dumps(s2_record(OLD_STYLE)))
    assert old_style is not None and old_style.id == "hep-th/9901001"


def test_fingerprint_names_the_endpoint(make_source, fake):
    source = make_source()
    assert fake.base_url in source.fingerprint() and source.name == "semantic_scholar"


# --- both live sources ----------------------------------------------------------------


def test_both_sources_give_the_same_id_for_the_same_arxiv_paper(
    httpserver: HTTPServer, corpus, fake, monkeypatch, tmp_path
):
    monkeypatch.delenv(KEY_ENV, raising=False)
    arxiv_fake = install_fake_arxiv(httpserver, corpus)
    settings = ServicesSettings(
        arxiv=ArxivSettings(base_url=arxiv_fake.base_url, min_interval=0),
        semantic_scholar=SemanticScholarSettings(base_url=fake.base_url, min_interval=0),
    )
    services = Services(settings, cache_dir=tmp_path / "http")
    try:
        arxiv = make_live_source("arxiv", services)
        s2 = make_live_source("semantic_scholar", services)
        assert isinstance(arxiv, ArxivSource) and isinstance(s2, SemanticScholarSource)
        from_arxiv = {p.id: p for p in search(arxiv, "expert offloading", 20)}
        from_s2 = {p.id: p for p in search(s2, "expert offloading", 20)}
        common = set(from_arxiv) & set(from_s2)
        assert common
        for paper_id in common:
            a, s = from_arxiv[paper_id], from_s2[paper_id]
            assert a.arxiv_id == s.arxiv_id == paper_id
            assert a.title == s.title and a.authors == s.authors
            assert (a.source, s.source) == ("arxiv", "semantic_scholar")
            assert s.s2_url and s.citations is not None and a.s2_url is None
        one = sorted(common)[0]
        assert fetch(arxiv, one).id == fetch(s2, one).id == one  # type: ignore[union-attr]
        with pytest.raises(ValueError, match="unknown live source"):
            make_live_source("local", services)
    finally:
        services.close()

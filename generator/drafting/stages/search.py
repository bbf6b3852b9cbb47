"""search: run the queries concurrently on every source, merge, de-duplicate, rank, keep."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from generator.drafting.embedders import Embedder
from generator.drafting.models import Paper, Plan, QueryHits, Question, RankedPaper, SearchResult
from generator.drafting.sources import Source
from generator.drafting.textutil import normalize_title

VERSION = "2"


def _keys(paper: Paper) -> list[str]:
    """Every identity of a paper: arXiv id, DOI, normalised title."""
    keys = [f"id:{paper.id.lower()}", f"title:{normalize_title(paper.title)}"]
    if paper.doi:
        keys.append(f"doi:{paper.doi.lower()}")
    return keys


def combine(first: Paper, other: Paper) -> Paper:
    """One record for a paper two sources returned: the arXiv id and every link are kept;
    missing fields are filled from the other record; the longer abstract wins."""
    primary, secondary = (other, first) if other.arxiv_id and not first.arxiv_id else (first, other)
    update = {
        "abstract": max(primary.abstract, secondary.abstract, key=len),
        "authors": primary.authors or secondary.authors,
        "published": primary.published or secondary.published,
        "categories": primary.categories or secondary.categories,
        "doi": primary.doi or secondary.doi,
        "s2_url": primary.s2_url or secondary.s2_url,
        "citations": primary.citations if primary.citations is not None else secondary.citations,
        "source": "+".join(
            dict.fromkeys([*primary.source.split("+"), *secondary.source.split("+")])
        ),
    }
    return primary.model_copy(update=update)


def merge(results: Sequence[tuple[int, list[Paper]]]) -> list[tuple[Paper, set[int]]]:
    """Merge per-query result lists into one entry per paper (same arXiv id, DOI or title),
    in order of first appearance, with the queries that found it."""
    entries: list[tuple[Paper, set[int]]] = []
    index: dict[str, int] = {}
    for query_index, papers in results:
        for paper in papers:
            at = next((index[k] for k in _keys(paper) if k in index), None)
            if at is None:
                entries.append((paper, {query_index}))
                at = len(entries) - 1
            else:
                merged = combine(entries[at][0], paper)
                entries[at] = (merged, entries[at][1] | {query_index})
                paper = merged
            for key in _keys(paper):
                index.setdefault(key, at)
    return entries


async def _run_query(
    source: Source, index: int, query: str, limit: int
) -> tuple[int, QueryHits, list[Paper]]:
    try:
        papers = await source.search(query, limit)
    except Exception as exc:  # a failing source is recorded, and the others go on
        # a ServiceError's text starts with the service's name, which QueryHits already holds
        reason = getattr(exc, "reason", None) or str(exc)
        return index, QueryHits(query=query, source=source.name, hits=0, error=reason[:300]), []
    return index, QueryHits(query=query, source=source.name, hits=len(papers)), papers


async def search(
    question: Question,
    plan: Plan,
    sources: Sequence[Source],
    embedder: Embedder,
    per_query: int,
    keep: int,
    fallback: Embedder | None = None,
) -> SearchResult:
    """Retrieve for every (query, source) pair at once, then keep the `keep` most relevant."""
    from generator.machinery.http import (
        ServiceError,  # NOTE: here, so a warm build never imports httpx
    )

    jobs = [
        _run_query(source, index, query, per_query)
        for index, query in enumerate(plan.queries)
        for source in sources
    ]
    answers = await asyncio.gather(*jobs)
    candidates = merge([(index, papers) for index, _, papers in answers])
    texts = [paper.text for paper, _ in candidates]
    failures: list[str] = []
    try:
        relevance = embedder.similarity(question.question, texts)
    except ServiceError as exc:
        if fallback is None:
            raise
        failures.append(f"ranking by {embedder.name} failed ({exc}); ranked by {fallback.name}")
        embedder = fallback
        relevance = embedder.similarity(question.question, texts)
    ranked = sorted(
        (
            RankedPaper(paper=paper, relevance=score, matched_queries=tuple(sorted(hits)))
            for (paper, hits), score in zip(candidates, relevance, strict=True)
        ),
        key=lambda r: (-r.relevance, -len(r.matched_queries), r.paper.id),
    )
    return SearchResult(
        papers=tuple(ranked[:keep]),
        queries=plan.queries,
        per_query=tuple(hits for _, hits, _ in answers),
        pool_size=len(candidates),
        keep=keep,
        sources=tuple(s.name for s in sources),
        relevance_model=embedder.describe(),
        failures=tuple(failures),
    )

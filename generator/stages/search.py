"""search: run the queries concurrently on every source, merge, de-duplicate, rank, keep."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ..embedders import Embedder
from ..models import Paper, Plan, QueryHits, Question, RankedPaper, SearchResult
from ..sources import Source
from ..textutil import normalize_title

VERSION = "1"


def _identity(paper: Paper) -> tuple[str, str]:
    return paper.id.lower(), normalize_title(paper.title)


def merge(results: Sequence[tuple[int, list[Paper]]]) -> dict[str, tuple[Paper, set[int]]]:
    """Merge per-query result lists; one entry per paper (same arXiv id or same title)."""
    merged: dict[str, tuple[Paper, set[int]]] = {}
    by_title: dict[str, str] = {}
    for query_index, papers in results:
        for paper in papers:
            pid, title = _identity(paper)
            key = pid if pid in merged else by_title.get(title, pid)
            if key in merged:
                merged[key][1].add(query_index)
            else:
                merged[key] = (paper, {query_index})
                by_title[title] = key
    return merged


async def _run_query(
    source: Source, index: int, query: str, limit: int
) -> tuple[int, QueryHits, list[Paper]]:
    try:
        papers = await source.search(query, limit)
    except Exception as exc:  # a failing source is recorded, and the others go on
        return index, QueryHits(query=query, source=source.name, hits=0, error=str(exc)[:300]), []
    return index, QueryHits(query=query, source=source.name, hits=len(papers)), papers


async def search(
    question: Question,
    plan: Plan,
    sources: Sequence[Source],
    embedder: Embedder,
    per_query: int,
    keep: int,
) -> SearchResult:
    """Retrieve for every (query, source) pair at once, then keep the `keep` most relevant."""
    jobs = [
        _run_query(source, index, query, per_query)
        for index, query in enumerate(plan.queries)
        for source in sources
    ]
    answers = await asyncio.gather(*jobs)
    merged = merge([(index, papers) for index, _, papers in answers])
    candidates = list(merged.values())
    relevance = embedder.similarity(question.question, [paper.text for paper, _ in candidates])
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
        relevance_model=embedder.name,
    )

"""`local`: searches the bundled corpus offline over title + abstract: BM25 fused with
all-MiniLM-L6-v2 cosine (hybrid, the default), BM25 alone or TF-IDF."""

from __future__ import annotations

import asyncio
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from generator.drafting.corpus import corpus_fingerprint, load_corpus
from generator.drafting.models import Paper

if TYPE_CHECKING:
    from generator.drafting.ranking import Ranker


class LocalSource:
    """The offline default source."""

    name = "local"

    def __init__(
        self,
        ranker: Literal["hybrid", "bm25", "tfidf"] = "hybrid",
        path: Path | None = None,
        index_dir: Path | None = None,
    ):
        self.ranker_name = ranker
        self.path = path
        self.index_dir = index_dir  # where the built index is kept (None: in memory only)

    @cached_property
    def papers(self) -> tuple[Paper, ...]:
        return load_corpus(self.path)

    @cached_property
    def ranker(self) -> Ranker:
        from generator.drafting.ranking import (
            make_ranker,  # NOTE: lazy, so warm builds never import numpy
        )

        texts = [p.text for p in self.papers]
        return make_ranker(self.ranker_name, texts, corpus_fingerprint(self.path), self.index_dir)

    def fingerprint(self) -> str:
        return f"local:{self.ranker_name}:{corpus_fingerprint(self.path)}"

    def describe(self) -> str:
        names = {"hybrid": "BM25 + all-MiniLM-L6-v2, RRF"}
        ranker = names.get(self.ranker_name, self.ranker_name.upper())
        return f"local corpus ({len(self.papers)} records, {ranker})"

    async def search(self, query: str, limit: int) -> list[Paper]:
        ranker = self.ranker  # built once, before the first query leaves for a thread
        top = await asyncio.to_thread(ranker.top, query, limit)
        return [self.papers[i] for i, _ in top]

    async def fetch(self, paper_id: str) -> Paper | None:
        return next((p for p in self.papers if p.id == paper_id), None)

    def rank_of(self, query: str, paper_id: str) -> tuple[int, int] | None:
        """1-based rank of a paper in the whole corpus for `query`, and the corpus size."""
        ids = [p.id for p in self.papers]
        if paper_id not in ids:
            return None
        order = [i for i, _ in self.ranker.top(query, len(ids))]
        return order.index(ids.index(paper_id)) + 1, len(ids)

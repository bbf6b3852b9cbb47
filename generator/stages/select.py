"""select: the primary paper (pinned, else best-ranked) and how well it matches the question.

Two measured checks flag a mismatch, each with its numbers on the page:
- rank: the pinned paper ranks below what our own search keeps for this question;
- names: the question names specific methods or datasets (terms rare in the corpus) and the
  paper mentions none of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..embedders import Embedder
from ..models import Paper, Question, SearchResult, Selection
from ..settings import SelectSettings

VERSION = "2"

_NAME = re.compile(r"\b(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]*[A-Z0-9][\w-]*\b")
_SIZE = re.compile(r"\d+(?:\.\d+)?[KMBT]")  # model sizes such as 7B are not names
_SUFFIXES = ("-based", "-style", "-like", "-type")


class SelectError(Exception):
    """No primary paper can be chosen (pinned paper unknown, or nothing retrieved)."""


def _normalize(term: str) -> str:
    term = term.lower()
    for suffix in _SUFFIXES:
        term = term.removesuffix(suffix)
    return term


def _mentions(term: str, text: str) -> bool:
    stem = term[:-1] if term.endswith("s") and len(term) > 3 else term
    return re.search(rf"(?<![\w-]){re.escape(stem)}s?(?![\w-])", text) is not None


def named_terms(question: str, corpus: Sequence[Paper], max_df: float) -> list[str]:
    """Specific names in the question: capitalised inside the word or mixing letters and digits,
    and mentioned by at most `max_df` of the corpus (so "MoE" is not one, "AnyExperts" is)."""
    texts = [p.text.lower() for p in corpus]
    found: list[str] = []
    for raw in _NAME.findall(question):
        if raw[1:].islower() or raw.isdigit() or _SIZE.fullmatch(raw):
            continue
        term = _normalize(raw)
        if term in (_normalize(t) for t in found) or len(term) < 2:
            continue
        share = sum(_mentions(term, t) for t in texts) / max(len(texts), 1)
        if share <= max_df:
            found.append(raw)
    return found


def select(
    question: Question,
    search: SearchResult,
    pinned: Paper | None,
    corpus: Sequence[Paper],
    corpus_rank: tuple[int, int] | None,
    embedder: Embedder,
    settings: SelectSettings,
) -> Selection:
    """Choose the primary paper and measure its match with the question."""
    retrieved = [r.paper.id for r in search.papers]
    if question.paper and pinned is None:
        raise SelectError(f"pinned paper {question.paper} was not found in any source")
    if pinned is None and not search.papers:
        raise SelectError("no paper was retrieved for this question")
    primary = pinned or search.papers[0].paper
    rank = retrieved.index(primary.id) + 1 if primary.id in retrieved else None
    if rank is not None:
        relevance = search.papers[rank - 1].relevance
    else:
        relevance = embedder.similarity(question.question, [primary.text])[0]
    best = max([relevance, *(r.relevance for r in search.papers)])

    reasons: list[str] = []
    if question.paper and corpus_rank and corpus_rank[0] > search.keep:
        reasons.append(
            f"the pinned paper ranks {corpus_rank[0]} of {corpus_rank[1]} in the corpus for this "
            f"question; the search keeps the top {search.keep}"
        )
    elif question.paper and not corpus_rank and rank is None:
        reasons.append(f"the pinned paper is not among the {len(retrieved)} papers retrieved")
    names = named_terms(question.question, corpus, settings.named_term_max_df)
    text = primary.text.lower()
    present = [n for n in names if _mentions(_normalize(n), text)]
    if names and not present:
        reasons.append(f"the question names {', '.join(names)}; the paper mentions none of them")
    return Selection(
        primary=primary,
        pinned=pinned is not None,
        relevance=relevance,
        best_relevance=best,
        rank_in_retrieved=rank,
        corpus_rank=corpus_rank[0] if corpus_rank else None,
        corpus_size=corpus_rank[1] if corpus_rank else None,
        named_terms=tuple(names),
        named_terms_found=tuple(present),
        mismatch=bool(reasons),
        mismatch_reasons=tuple(reasons),
    )

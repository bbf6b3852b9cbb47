"""select: the primary paper and whether the papers searched cover the question at all.

Every kept paper gets a calibrated P(it addresses the question) from the relevance model
(verifier/relevance.py). The primary is the pinned paper, else the most probable kept paper
that has an abstract (never one without: there would be nothing to extract claims from).
Coverage is the best paper's probability against the model's threshold: below it, the draft
says the question is not covered.

Three measured checks flag a mismatch of a pinned paper, each with its numbers on the page:
- match: the paper addresses the question with a probability below the threshold;
- rank: it ranks below what our own search keeps for this question;
- names: the question names specific methods or datasets (terms rare in the corpus) and the
  paper mentions none of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from generator.drafting.embedders import Embedder
from generator.drafting.models import Coverage, Paper, Question, SearchResult, Selection
from generator.drafting.textutil import split_sentences
from generator.inputs.settings import SelectSettings

if TYPE_CHECKING:
    from generator.drafting.verifier.relevance import Relevance

VERSION = "3"  # 3: calibrated match and coverage; primary = most probable with abstract

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


def has_abstract(paper: Paper) -> bool:
    """Whether the paper has an abstract with at least one real sentence to take claims from."""
    return any(len(sentence.split()) >= 5 for sentence in split_sentences(paper.abstract))


def select(
    question: Question,
    search: SearchResult,
    pinned: Paper | None,
    corpus: Sequence[Paper],
    corpus_rank: tuple[int, int] | None,
    embedder: Embedder,
    relevance: Relevance,
    settings: SelectSettings,
) -> Selection:
    """Choose the primary paper, judge coverage and measure the pairing.

    Long by design: the pinned and the searched case share the relevance scores and the
    coverage verdict, computed once here."""
    retrieved = [r.paper.id for r in search.papers]
    if question.paper and pinned is None:
        raise SelectError(f"pinned paper {question.paper} was not found in any source")
    if pinned is None and not search.papers:
        raise SelectError("no paper was retrieved for this question")
    kept = [r.paper for r in search.papers]
    found = relevance.matches(question.question, [p.text for p in kept])
    probability = {p.id: m.probability for p, m in zip(kept, found, strict=True)}
    if pinned is None:
        usable = [i for i, p in enumerate(kept) if has_abstract(p)]
        if not usable:
            raise SelectError(
                f"none of the {len(kept)} papers retrieved has an abstract to take claims from"
            )
        primary = kept[max(usable, key=lambda i: (found[i].probability, -i))]
    else:
        primary = pinned
        if primary.id not in probability:
            probability[primary.id] = relevance.matches(question.question, [primary.text])[
                0
            ].probability
    threshold = relevance.model.threshold
    best_id = max(probability, key=probability.__getitem__) if probability else None
    best = probability[best_id] if best_id else 0.0
    coverage = Coverage(
        covered=best >= threshold,
        probability=best,
        best_paper=best_id,
        papers=len(kept),
        threshold=threshold,
        method=relevance.model.describe(),
    )
    match = probability[primary.id]
    rank = retrieved.index(primary.id) + 1 if primary.id in retrieved else None
    if rank is not None:
        ranker_score = search.papers[rank - 1].relevance
    else:
        ranker_score = embedder.similarity(question.question, [primary.text])[0]
    reasons: list[str] = []
    if pinned is not None and coverage.covered and match < threshold:
        reasons.append(
            f"the pinned paper addresses the question with probability {match:.2f} (a paper "
            f"counts as addressing it at ≥ {threshold:g}); the best paper searched has "
            f"{best:.2f}"
        )
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
        match=match,
        coverage=coverage,
        relevance=ranker_score,
        rank_in_retrieved=rank,
        corpus_rank=corpus_rank[0] if corpus_rank else None,
        corpus_size=corpus_rank[1] if corpus_rank else None,
        named_terms=tuple(names),
        named_terms_found=tuple(present),
        mismatch=bool(reasons),
        mismatch_reasons=tuple(reasons),
    )

"""Does a paper address a question? An absolute, calibrated probability, never a ratio to the
best paper retrieved.

Each (question, paper) pair is measured by up to three similarities: semantic (all-MiniLM-L6-v2
cosine of the question and the paper's title and abstract; the `minilm` backend only), lexical
(TF-IDF 1–2-gram cosine) and terms (the idf-weighted share of the question's terms the paper
states, coverage.py). A logistic model per verify backend turns them into P(the paper addresses
the question); it is fitted on labelled questions (`sovereign eval coverage --fit`) and kept
with its measured figures in `relevance.json` beside this module.

The same probability decides three things: which retrieved paper is the primary (the most
probable), whether the sources cover the question at all (the best paper's probability), and
whether a pinned paper matches its question.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from generator.drafting.verifier.coverage import TermWeights, terms
from generator.drafting.verifier.scoring import Encoder, lexical_matrix
from generator.drafting.verifier.weights import Linear

FEATURES = ("semantic", "lexical", "terms", "sentence")


@dataclass(frozen=True)
class Match:
    """How well one paper addresses the question."""

    probability: float
    semantic: float | None
    lexical: float | None
    terms: float
    sentence: float


@dataclass(frozen=True)
class RelevanceModel:
    """The fitted model of one verify backend, and the probability that counts as covered."""

    model: Linear
    threshold: float
    fitted_on: str

    def describe(self) -> str:
        parts = " + ".join(self.model.features)
        return (
            f"P(paper addresses the question): logistic model over {parts}, fitted on "
            f"{self.fitted_on}; covered at ≥ {self.threshold:g}"
        )


def relevance_path() -> Path:
    return Path(str(resources.files("generator.drafting.verifier") / "relevance.json"))


@lru_cache(maxsize=1)
def relevance_digest() -> str:
    """Content hash of the shipped relevance model: part of the select stage's cache key."""
    return hashlib.sha256(relevance_path().read_bytes()).hexdigest()[:12]


def parse(data: dict[str, Any], backend: str) -> RelevanceModel:
    try:
        entry = data["backends"][backend]
    except KeyError:
        raise ValueError(f"no fitted relevance model for backend {backend!r}") from None
    features = tuple(entry["model"]["features"])
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"relevance model names unknown features {unknown}")
    return RelevanceModel(
        model=Linear.from_json(entry["model"], features),
        threshold=float(entry["threshold"]),
        fitted_on=str(data["fitted_on"]),
    )


@lru_cache(maxsize=4)
def load_relevance(backend: str, path: Path | None = None) -> RelevanceModel:
    """The fitted relevance model of a verify backend (default: shipped with the package)."""
    return parse(json.loads((path or relevance_path()).read_text("utf-8")), backend)


def measure(
    question: str,
    texts: Sequence[str],
    encoder: Encoder | None,
    background: TermWeights,
    lexical: bool = True,
) -> np.ndarray:
    """Rows of (semantic, lexical, terms, sentence) for the question against each text;
    semantic is NaN without an encoder, lexical NaN when not asked for. sentence is the
    strength of the text's best sentence against the question (SENTENCE_MIX of its semantic
    similarity and term coverage)."""
    if not texts:
        return np.zeros((0, len(FEATURES)))
    semantic = np.full(len(texts), np.nan)
    if encoder is not None:
        vectors = encoder.encode([question, *texts])
        semantic = np.clip(vectors[1:] @ vectors[0], 0.0, 1.0)
    tfidf = (
        lexical_matrix([question], list(texts), 2)[0] if lexical else np.full(len(texts), np.nan)
    )
    wanted = terms(question)
    covered = np.array([background.coverage(wanted, terms(t)) for t in texts])
    best = _best_sentences(question, texts, encoder, background)
    return np.column_stack([semantic, tfidf, covered, best])


SENTENCE_MIX = {"semantic": 0.5, "lexical": 0.0, "coverage": 0.5}


def _best_sentences(
    question: str, texts: Sequence[str], encoder: Encoder | None, background: TermWeights
) -> np.ndarray:
    """Each text's strongest sentence against the question."""
    from generator.drafting.textutil import split_sentences
    from generator.drafting.verifier.scoring import Similarities, similarities

    split = [split_sentences(t) or [t] for t in texts]
    flat = [s for sentences in split for s in sentences]
    semantic, lexical, coverage = similarities([question], flat, encoder, background, lexical=False)
    strength = Similarities.of_row(semantic, lexical, coverage).mixed(SENTENCE_MIX)
    out, start = [], 0
    for sentences in split:
        out.append(float(strength[start : start + len(sentences)].max()))
        start += len(sentences)
    return np.asarray(out)


def matches(
    question: str,
    texts: Sequence[str],
    model: RelevanceModel,
    encoder: Encoder | None,
    background: TermWeights,
) -> list[Match]:
    """P(each text addresses the question), with the similarities behind it."""
    rows = measure(question, texts, encoder, background, "lexical" in model.model.features)
    if not len(rows):
        return []
    columns = [FEATURES.index(f) for f in model.model.features]
    probability = model.model.probability(rows[:, columns])
    return [
        Match(
            probability=round(float(p), 4),
            semantic=None if np.isnan(row[0]) else round(float(row[0]), 4),
            lexical=None if np.isnan(row[1]) else round(float(row[1]), 4),
            terms=round(float(row[2]), 4),
            sentence=round(float(row[3]), 4),
        )
        for p, row in zip(probability, rows, strict=True)
    ]


@dataclass(frozen=True)
class Relevance:
    """A relevance model with what it reads: the semantic encoder and the corpus term weights.
    Matches are remembered by (question, text): select and every round's answer ask about
    the same papers."""

    model: RelevanceModel
    encoder: Encoder | None
    background: TermWeights
    _memo: dict[tuple[str, str], Match] = field(default_factory=dict, compare=False, repr=False)

    def matches(self, question: str, texts: Sequence[str]) -> list[Match]:
        missing = list(dict.fromkeys(t for t in texts if (question, t) not in self._memo))
        found = matches(question, missing, self.model, self.encoder, self.background)
        self._memo.update({(question, t): m for t, m in zip(missing, found, strict=True)})
        return [self._memo[question, t] for t in texts]

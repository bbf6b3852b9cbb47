"""Score claims against papers' sentences: which sentence of each paper is the evidence, and
how strong it is.

Every sentence gets three similarities to the claim: semantic (all-MiniLM-L6-v2 cosine; none
for the TF-IDF backend), lexical (the seeds' TF-IDF word 1–2-gram cosine) and coverage (the
share of the claim's specific terms the sentence states, coverage.py). A paper's evidence
strength is the fitted mix of the three for its evidence sentence; that sentence is the
fitted selector's choice (similarities, place in the abstract, wording) among the sentences
whose strength is within NEAR_BEST of the paper's best, so what is shown is always a sentence
that matches the claim about as well as any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from generator.drafting.verifier.coverage import TermWeights, terms
from generator.drafting.verifier.features import selector_features
from generator.drafting.verifier.weights import BackendWeights

NEAR_BEST = 0.1


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Similarities:
    """One claim against one paper's sentences."""

    semantic: np.ndarray | None
    lexical: np.ndarray
    coverage: np.ndarray

    @classmethod
    def of_row(
        cls, semantic: np.ndarray | None, lexical: np.ndarray, coverage: np.ndarray, row: int = 0
    ) -> Similarities:
        """One claim's row of the matrices `similarities` returns."""
        return cls(None if semantic is None else semantic[row], lexical[row], coverage[row])

    def mixed(self, mix: dict[str, float]) -> np.ndarray:
        total = mix["lexical"] * self.lexical + mix["coverage"] * self.coverage
        if self.semantic is not None:
            total = total + mix["semantic"] * self.semantic
        return total


@dataclass(frozen=True)
class Finding:
    """The evidence sentence chosen in one paper for one claim."""

    paper: int
    sentence: int
    semantic: float | None
    lexical: float
    coverage: float
    strength: float


@dataclass(frozen=True)
class Scored:
    """One claim against every paper: each paper's finding, strongest first, and the seeds'
    best TF-IDF cosine over all sentences."""

    findings: tuple[Finding, ...]
    tfidf_max: float

    @property
    def best(self) -> Finding | None:
        return self.findings[0] if self.findings else None


def choose(sentences: Sequence[str], sims: Similarities, weights: BackendWeights) -> int:
    """Index of the evidence sentence among one paper's `sentences`."""
    strength = sims.mixed(weights.mix)
    features = selector_features(sentences, sims.semantic, sims.lexical, sims.coverage)
    eligible = strength >= strength.max() - NEAR_BEST
    return int(np.argmax(np.where(eligible, weights.selector.logit(features), -np.inf)))


def lexical_matrix(claims: Sequence[str], sentences: Sequence[str], ngram_max: int) -> np.ndarray:
    """The seeds' method: TF-IDF word 1–n-gram cosine (sublinear tf, English stop words),
    fitted on the claims and the sentences together."""
    if not claims or not sentences:
        return np.zeros((len(claims), len(sentences)))
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        ngram_range=(1, ngram_max), sublinear_tf=True, stop_words="english"
    )
    try:
        matrix = vectorizer.fit_transform([*claims, *sentences])
    except ValueError:  # nothing but stop words
        return np.zeros((len(claims), len(sentences)))
    return (matrix[: len(claims)] @ matrix[len(claims) :].T).toarray()


def similarities(
    claims: Sequence[str],
    sentences: Sequence[str],
    encoder: Encoder | None,
    background: TermWeights,
    ngram_max: int = 2,
    lexical: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """(semantic, lexical, coverage) matrices, claims × sentences; lexical is zeros when not
    asked for (fitting TF-IDF is the costly part when nothing reads it)."""
    tfidf = (
        lexical_matrix(claims, sentences, ngram_max)
        if lexical
        else np.zeros((len(claims), len(sentences)))
    )
    semantic = None
    if encoder is not None and claims and sentences:
        vectors = encoder.encode([*claims, *sentences])
        semantic = np.clip(vectors[: len(claims)] @ vectors[len(claims) :].T, 0.0, 1.0)
    sentence_terms = [terms(s) for s in sentences]
    coverage = np.array(
        [[background.coverage(terms(c), found) for found in sentence_terms] for c in claims]
    ).reshape(len(claims), len(sentences))
    return semantic, tfidf, coverage


def score(
    claims: Sequence[str],
    papers: Sequence[Sequence[str]],
    weights: BackendWeights,
    encoder: Encoder | None,
    background: TermWeights | None = None,
    ngram_max: int = 2,
) -> list[Scored]:
    """Each claim against each paper (a paper is its abstract's sentences, in order).
    `background` weighs terms for coverage (default: the claims and papers themselves)."""
    flat = [s for sentences in papers for s in sentences]
    if background is None:
        background = TermWeights([*claims, *(" ".join(p) for p in papers)])
    semantic, lexical, coverage = similarities(claims, flat, encoder, background, ngram_max)
    results = []
    for row in range(len(claims)):
        findings = []
        start = 0
        for index, sentences in enumerate(papers):
            span = slice(start, start + len(sentences))
            start += len(sentences)
            if not sentences:
                continue
            sims = Similarities(
                semantic[row, span] if semantic is not None else None,
                lexical[row, span],
                coverage[row, span],
            )
            chosen = choose(sentences, sims, weights)
            findings.append(
                Finding(
                    paper=index,
                    sentence=chosen,
                    semantic=round(float(sims.semantic[chosen]), 4)
                    if sims.semantic is not None
                    else None,
                    lexical=round(float(sims.lexical[chosen]), 4),
                    coverage=round(float(sims.coverage[chosen]), 4),
                    strength=round(float(sims.mixed(weights.mix)[chosen]), 4),
                )
            )
        findings.sort(key=lambda f: (-f.strength, f.paper))
        best_lexical = float(lexical[row].max()) if flat else 0.0
        results.append(Scored(findings=tuple(findings), tfidf_max=round(best_lexical, 4)))
    return results

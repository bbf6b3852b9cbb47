"""verify: each claim against the sentences of the *other* retrieved papers.

The seeds' method, kept as the baseline: TF-IDF cosine over word 1–2-grams (sublinear tf,
English stop words), fitted on the claims and the evidence sentences; a claim is verified
when its best cosine reaches the threshold, and that best cosine is its confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..models import Claim, ClaimCheck, Evidence, Paper, Verification
from ..settings import VerifySettings
from ..textutil import split_sentences

if TYPE_CHECKING:
    from ..embedders import Embedder

VERSION = "1"


def evidence_sentences(papers: Sequence[Paper], primary: Paper) -> list[tuple[str, Paper]]:
    """Every sentence of every retrieved paper except the primary one."""
    pool = []
    for paper in papers:
        if paper.id == primary.id:
            continue
        for sentence in [paper.title, *split_sentences(paper.abstract)]:
            if len(sentence.split()) >= 4:
                pool.append((sentence, paper))
    return pool


def verify(
    claims: Sequence[Claim],
    papers: Sequence[Paper],
    primary: Paper,
    settings: VerifySettings,
    embedder: Embedder | None = None,
) -> Verification:
    """Best evidence sentence and cosine for each claim; with a semantic `embedder`, also each
    claim's best semantic similarity to any evidence sentence (shown, not used to verify)."""
    result = _lexical(claims, papers, primary, settings)
    if embedder is None or not result.checks or not result.sentences_compared:
        return result
    from ..http import ServiceError

    sentences = [s for s, _ in evidence_sentences(papers, primary)]
    try:
        matrix = embedder.similarity_matrix([c.text for c in claims], sentences)
    except ServiceError as exc:
        failure = f"semantic evidence scores are missing: {exc}"
        return result.model_copy(update={"failures": (failure,)})
    checks = tuple(
        check.model_copy(update={"semantic": max(row) if row else None})
        for check, row in zip(result.checks, matrix, strict=True)
    )
    return result.model_copy(update={"checks": checks, "semantic_method": embedder.describe()})


def _lexical(
    claims: Sequence[Claim], papers: Sequence[Paper], primary: Paper, settings: VerifySettings
) -> Verification:
    """The seeds' method: best TF-IDF cosine sentence per claim."""
    pool = evidence_sentences(papers, primary)
    method = f"TF-IDF cosine, word 1–{settings.ngram_max}-grams, verified ≥ {settings.threshold:g}"
    others = len({paper.id for _, paper in pool})
    if not claims or not pool:
        checks = tuple(ClaimCheck(claim=c, verified=False, confidence=0.0) for c in claims)
        return Verification(
            checks=checks,
            threshold=settings.threshold,
            method=method,
            papers_compared=others,
            sentences_compared=len(pool),
        )
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        ngram_range=(1, settings.ngram_max), sublinear_tf=True, stop_words="english"
    )
    sentences = [s for s, _ in pool]
    matrix = vectorizer.fit_transform([c.text for c in claims] + sentences)
    claim_vectors, sentence_vectors = matrix[: len(claims)], matrix[len(claims) :]
    similarity = (claim_vectors @ sentence_vectors.T).toarray()
    results: list[ClaimCheck] = []
    for claim, row in zip(claims, similarity, strict=True):
        best = int(row.argmax())
        score = round(float(row[best]), 4)
        sentence, paper = pool[best]
        evidence = (
            Evidence(sentence=sentence, paper_id=paper.id, paper_title=paper.title, score=score)
            if score > 0
            else None
        )
        results.append(
            ClaimCheck(
                claim=claim,
                verified=score >= settings.threshold,
                confidence=score,
                evidence=evidence,
            )
        )
    return Verification(
        checks=tuple(results),
        threshold=settings.threshold,
        method=method,
        papers_compared=others,
        sentences_compared=len(pool),
    )

"""Offline relevance: TF-IDF cosine, with document frequencies learnt once from the corpus.

Words are hashed (word 1–2-grams into 2^20 features), so any text can be compared, also text
from live sources with words the corpus never saw: such words get the highest idf. The idf is
fitted once per corpus and process, not per comparison.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ..corpus import corpus_fingerprint, load_corpus

FEATURES = 2**20


@lru_cache(maxsize=4)
def _model(background: Path | None, fingerprint: str) -> tuple[Any, Any]:
    """(hashing vectoriser, idf transformer) fitted on the corpus; `fingerprint` keys it."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    hasher = HashingVectorizer(
        ngram_range=(1, 2),
        stop_words="english",
        alternate_sign=False,
        norm=None,
        n_features=FEATURES,
    )
    idf = TfidfTransformer(sublinear_tf=True)
    idf.fit(hasher.transform([p.text for p in load_corpus(background)]))
    return hasher, idf


class TfidfEmbedder:
    """Cosine over TF-IDF word 1–2-grams, idf from the corpus."""

    name = "tfidf"

    def __init__(self, background: Path | None = None):
        self.background = background

    def describe(self) -> str:
        return "TF-IDF word 1–2-gram cosine (idf from the local corpus)"

    def similarity(self, query: str, texts: list[str]) -> list[float]:
        return self.similarity_matrix([query], texts)[0]

    def similarity_matrix(self, queries: list[str], texts: list[str]) -> list[list[float]]:
        if not texts:
            return [[] for _ in queries]
        hasher, idf = _model(self.background, corpus_fingerprint(self.background))
        docs = idf.transform(hasher.transform(texts))
        asked = idf.transform(hasher.transform(queries))
        scores = (asked @ docs.T).toarray()
        return [[round(float(s), 4) for s in row] for row in scores]

"""Offline relevance: TF-IDF cosine with document frequencies from the bundled corpus."""

from __future__ import annotations

from pathlib import Path

from ..corpus import load_corpus


class TfidfEmbedder:
    """Cosine over TF-IDF word 1–2-grams; idf learnt on the corpus plus the texts compared."""

    name = "tfidf"

    def __init__(self, background: Path | None = None):
        self.background = background

    def describe(self) -> str:
        return "TF-IDF word 1–2-gram cosine (idf from the bundled corpus and the retrieved papers)"

    def similarity(self, query: str, texts: list[str]) -> list[float]:
        return self.similarity_matrix([query], texts)[0]

    def similarity_matrix(self, queries: list[str], texts: list[str]) -> list[list[float]]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not texts:
            return [[] for _ in queries]
        background = [p.text for p in load_corpus(self.background)]
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
        vectorizer.fit(background + texts)
        scores = (vectorizer.transform(queries) @ vectorizer.transform(texts).T).toarray()
        return [[round(float(s), 4) for s in row] for row in scores]

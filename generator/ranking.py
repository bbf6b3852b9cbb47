"""Lexical rankers over a fixed document list: BM25 (bm25s) and TF-IDF cosine (scikit-learn)."""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np


class Ranker(Protocol):
    def scores(self, query: str) -> np.ndarray: ...

    def top(self, query: str, k: int) -> list[tuple[int, float]]: ...


class _Base:
    def scores(self, query: str) -> np.ndarray:
        raise NotImplementedError

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """Indices and scores of the best `k` documents; ties keep corpus order."""
        scores = self.scores(query)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in order]


class BM25Ranker(_Base):
    """Okapi BM25 (k1=1.2, b=0.75) with English stop words removed."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75):
        import bm25s

        self._bm25s = bm25s
        self.index = bm25s.BM25(k1=k1, b=b)
        self.index.index(
            bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False
        )

    def scores(self, query: str) -> np.ndarray:
        tokens = self._bm25s.tokenize(query, stopwords="en", return_ids=False, show_progress=False)[
            0
        ]
        return np.asarray(self.index.get_scores(tokens), dtype=float)


class TfidfRanker(_Base):
    """Cosine over TF-IDF word 1–2-grams (sublinear tf, English stop words)."""

    def __init__(self, texts: list[str]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, stop_words="english"
        )
        self.matrix = self.vectorizer.fit_transform(texts)

    def scores(self, query: str) -> np.ndarray:
        return (self.matrix @ self.vectorizer.transform([query]).T).toarray().ravel()


def make_ranker(name: Literal["bm25", "tfidf"], texts: list[str]) -> Ranker:
    """A ranker by its settings name."""
    return BM25Ranker(texts) if name == "bm25" else TfidfRanker(texts)

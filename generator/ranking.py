"""Lexical rankers over a fixed document list: BM25 (bm25s) and TF-IDF cosine (scikit-learn).

With an index folder, a ranker's fitted index is saved there once per corpus and loaded by
every later process (generator/index_store.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, Self

import numpy as np

from .index_store import index_key, load_or_build


class Ranker(Protocol):
    def scores(self, query: str) -> np.ndarray: ...

    def top(self, query: str, k: int) -> list[tuple[int, float]]: ...


class _Base:
    kind: ClassVar[str]
    params: ClassVar[dict[str, Any]]

    @classmethod
    def build(cls, texts: list[str]) -> Self:
        """Fit the index on `texts`."""
        raise NotImplementedError

    def save(self, folder: Path) -> None:
        """Write the fitted index into the empty `folder`."""
        raise NotImplementedError

    @classmethod
    def load(cls, folder: Path, documents: int) -> Self:
        """Read an index that `save` wrote; raises unless it covers `documents` documents."""
        raise NotImplementedError

    def scores(self, query: str) -> np.ndarray:
        raise NotImplementedError

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """Indices and scores of the best `k` documents; ties keep corpus order."""
        scores = self.scores(query)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in order]


def _check(documents: int, found: int) -> None:
    if found != documents:
        raise ValueError(f"the index covers {found} documents, not {documents}")


class BM25Ranker(_Base):
    """Okapi BM25 (k1=1.2, b=0.75) with English stop words removed."""

    kind = "bm25"
    params: ClassVar[dict[str, Any]] = {"k1": 1.2, "b": 0.75, "stopwords": "en"}

    def __init__(self, index: Any):
        import bm25s

        self._bm25s = bm25s
        self.index = index

    @classmethod
    def build(cls, texts: list[str]) -> Self:
        import bm25s

        index = bm25s.BM25(k1=cls.params["k1"], b=cls.params["b"])
        tokens = bm25s.tokenize(texts, stopwords=cls.params["stopwords"], show_progress=False)
        index.index(tokens, show_progress=False)
        return cls(index)

    def save(self, folder: Path) -> None:
        self.index.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, documents: int) -> Self:
        import bm25s

        index = bm25s.BM25.load(str(folder), show_progress=False)
        _check(documents, int(index.scores["num_docs"]))
        return cls(index)

    def scores(self, query: str) -> np.ndarray:
        tokens = self._bm25s.tokenize(
            query, stopwords=self.params["stopwords"], return_ids=False, show_progress=False
        )[0]
        return np.asarray(self.index.get_scores(tokens), dtype=float)


class TfidfRanker(_Base):
    """Cosine over TF-IDF word 1–2-grams (sublinear tf, English stop words)."""

    kind = "tfidf-ranker"
    params: ClassVar[dict[str, Any]] = {
        "ngram_range": (1, 2),
        "sublinear_tf": True,
        "stop_words": "english",
    }

    def __init__(self, vectorizer: Any, matrix: Any):
        self.vectorizer = vectorizer
        self.matrix = matrix

    @classmethod
    def build(cls, texts: list[str]) -> Self:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(**cls.params)
        return cls(vectorizer, vectorizer.fit_transform(texts))

    def save(self, folder: Path) -> None:
        from scipy import sparse

        # The fitted vectoriser is its vocabulary (terms in column order) and its idf vector.
        terms = self.vectorizer.get_feature_names_out().tolist()
        (folder / "terms.json").write_text(json.dumps(terms, ensure_ascii=False), "utf-8")
        np.save(folder / "idf.npy", self.vectorizer.idf_, allow_pickle=False)
        sparse.save_npz(folder / "matrix.npz", self.matrix, compressed=False)

    @classmethod
    def load(cls, folder: Path, documents: int) -> Self:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        terms = json.loads((folder / "terms.json").read_text("utf-8"))
        vectorizer = TfidfVectorizer(**cls.params, vocabulary={t: i for i, t in enumerate(terms)})
        vectorizer.idf_ = np.load(folder / "idf.npy", allow_pickle=False)  # checks the length
        matrix = sparse.load_npz(folder / "matrix.npz")
        _check(documents, matrix.shape[0])
        if matrix.shape[1] != len(terms):
            raise ValueError(f"the matrix has {matrix.shape[1]} columns for {len(terms)} terms")
        return cls(vectorizer, matrix)

    def scores(self, query: str) -> np.ndarray:
        return (self.matrix @ self.vectorizer.transform([query]).T).toarray().ravel()


RANKERS: dict[str, type[_Base]] = {"bm25": BM25Ranker, "tfidf": TfidfRanker}


def make_ranker(
    name: Literal["bm25", "tfidf"],
    texts: list[str],
    corpus: str | None = None,
    index_dir: Path | None = None,
) -> Ranker:
    """A ranker by its settings name. With `index_dir` and `corpus` (the fingerprint of the
    corpus `texts` come from), its index is loaded from there, or built and saved there."""
    cls = RANKERS[name]
    if index_dir is None or corpus is None:
        return cls.build(texts)
    return load_or_build(
        index_dir,
        index_key(cls.kind, corpus, cls.params),
        build=lambda: cls.build(texts),
        save=lambda ranker, folder: ranker.save(folder),
        load=lambda folder: cls.load(folder, len(texts)),
    )

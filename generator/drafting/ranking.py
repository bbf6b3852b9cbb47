"""Rankers over a fixed document list: BM25 (bm25s), TF-IDF cosine (scikit-learn), and hybrid:
BM25 and all-MiniLM-L6-v2 cosine fused by reciprocal rank (RRF, k = 60).

With an index folder, a ranker's fitted index is saved there once per corpus and loaded by
every later process (generator/machinery/index_store.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, Self

import numpy as np

from generator.machinery.index_store import index_key, load_or_build

log = logging.getLogger("sovereign.ranking")


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
        return _top(self.scores(query), k)


def _top(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Indices and scores of the best `k` documents; ties keep corpus order."""
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(i), float(scores[i])) for i in order]


def _check(documents: int, found: int) -> None:
    if found != documents:
        raise ValueError(f"the index covers {found} documents, not {documents}")


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


class BM25Ranker(_Base):
    """Okapi BM25 (k1=1.2, b=0.75) over Snowball-stemmed words, English stop words removed."""

    kind = "bm25"
    params: ClassVar[dict[str, Any]] = {"k1": 1.2, "b": 0.75, "stopwords": "en", "stem": "english"}

    def __init__(self, index: Any):
        import bm25s

        self._bm25s = bm25s
        self._stemmer = _stemmer()
        self.index = index

    @classmethod
    def build(cls, texts: list[str]) -> Self:
        import bm25s

        index = bm25s.BM25(k1=cls.params["k1"], b=cls.params["b"])
        tokens = bm25s.tokenize(
            texts, stopwords=cls.params["stopwords"], stemmer=_stemmer(), show_progress=False
        )
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
            query,
            stopwords=self.params["stopwords"],
            stemmer=self._stemmer,
            return_ids=False,
            show_progress=False,
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


class DenseIndex(_Base):
    """all-MiniLM-L6-v2 unit vectors of every document (title and abstract, first 128 tokens)."""

    kind = "minilm-matrix"
    params: ClassVar[dict[str, Any]] = {"model": "all-MiniLM-L6-v2-int8", "max_tokens": 128}

    def __init__(self, matrix: np.ndarray):
        self.matrix = matrix

    @classmethod
    def build(cls, texts: list[str]) -> Self:
        from generator.drafting.embedders.minilm import encode_uncached

        log.info("encoding %d documents with all-MiniLM-L6-v2 (once per corpus)", len(texts))
        return cls(encode_uncached(texts).astype(np.float32))

    def save(self, folder: Path) -> None:
        np.save(folder / "vectors.npy", self.matrix, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, documents: int) -> Self:
        matrix = np.load(folder / "vectors.npy", allow_pickle=False)
        _check(documents, matrix.shape[0])
        return cls(matrix)

    def scores(self, query: str) -> np.ndarray:
        from generator.drafting.embedders.minilm import encode_uncached

        return self.matrix @ encode_uncached([query])[0]


RRF_K = 60


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every document (ties keep corpus order)."""
    ranks = np.empty(len(scores), dtype=float)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return ranks


class HybridRanker:
    """BM25 and dense cosine fused by reciprocal rank: Σ 1 / (60 + rank)."""

    def __init__(self, lexical: Ranker, dense: Ranker):
        self.lexical = lexical
        self.dense = dense

    def scores(self, query: str) -> np.ndarray:
        lexical, dense = self.lexical.scores(query), self.dense.scores(query)
        return 1.0 / (RRF_K + _ranks(lexical)) + 1.0 / (RRF_K + _ranks(dense))

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        return _top(self.scores(query), k)


RANKERS: dict[str, type[_Base]] = {"bm25": BM25Ranker, "tfidf": TfidfRanker, "dense": DenseIndex}


def make_ranker(
    name: Literal["hybrid", "bm25", "tfidf", "dense"],
    texts: list[str],
    corpus: str | None = None,
    index_dir: Path | None = None,
) -> Ranker:
    """A ranker by its settings name. With `index_dir` and `corpus` (the fingerprint of the
    corpus `texts` come from), its index is loaded from there, or built and saved there."""
    if name == "hybrid":
        return HybridRanker(
            make_ranker("bm25", texts, corpus, index_dir),
            make_ranker("dense", texts, corpus, index_dir),
        )
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

"""Offline relevance: TF-IDF cosine, with document frequencies learnt once from the corpus.

Words are hashed (word 1–2-grams into 2^20 features), so any text can be compared, also text
from live sources with words the corpus never saw: such words get the highest idf. The idf is
fitted once per corpus and process, not per comparison; with an index folder, once per corpus,
then loaded (generator/machinery/index_store.py).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.drafting.corpus import corpus_fingerprint, load_corpus
from generator.machinery.index_store import index_key, load_or_build

FEATURES = 2**20
KIND = "tfidf-idf"
PARAMS: dict[str, Any] = {
    "n_features": FEATURES,
    "ngram_range": (1, 2),
    "stop_words": "english",
    "alternate_sign": False,
    "norm": None,
    "sublinear_tf": True,
}


def _hasher() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        ngram_range=PARAMS["ngram_range"],
        stop_words=PARAMS["stop_words"],
        alternate_sign=PARAMS["alternate_sign"],
        norm=PARAMS["norm"],
        n_features=FEATURES,
    )


def _fit_idf(hasher: Any, background: Path | None) -> Any:
    """An idf transformer fitted on the corpus' hashed texts."""
    from sklearn.feature_extraction.text import TfidfTransformer

    idf = TfidfTransformer(sublinear_tf=PARAMS["sublinear_tf"])
    idf.fit(hasher.transform([p.text for p in load_corpus(background)]))
    return idf


def _save_idf(idf: Any, folder: Path) -> None:
    import numpy as np

    np.save(folder / "idf.npy", idf.idf_, allow_pickle=False)


def _load_idf(folder: Path) -> Any:
    """The fitted transformer is its idf vector (the hasher has no state)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfTransformer

    values = np.load(folder / "idf.npy", allow_pickle=False)
    if values.shape != (FEATURES,):
        raise ValueError(f"idf has shape {values.shape}, not ({FEATURES},)")
    idf = TfidfTransformer(sublinear_tf=PARAMS["sublinear_tf"])
    idf.idf_ = values
    idf.n_features_in_ = FEATURES
    return idf


@lru_cache(maxsize=4)
def _model(
    background: Path | None, fingerprint: str, index_dir: Path | None = None
) -> tuple[Any, Any]:
    """(hashing vectoriser, idf transformer) fitted on the corpus; `fingerprint` keys it."""
    hasher = _hasher()
    idf = load_or_build(
        index_dir,
        index_key(KIND, fingerprint, PARAMS),
        build=lambda: _fit_idf(hasher, background),
        save=_save_idf,
        load=_load_idf,
    )
    return hasher, idf


class TfidfEmbedder:
    """Cosine over TF-IDF word 1–2-grams, idf from the corpus."""

    name = "tfidf"

    def __init__(self, background: Path | None = None, index_dir: Path | None = None):
        self.background = background
        self.index_dir = index_dir

    def describe(self) -> str:
        return "TF-IDF word 1–2-gram cosine (idf from the local corpus)"

    def similarity(self, query: str, texts: list[str]) -> list[float]:
        return self.similarity_matrix([query], texts)[0]

    def similarity_matrix(self, queries: list[str], texts: list[str]) -> list[list[float]]:
        if not texts:
            return [[] for _ in queries]
        fingerprint = corpus_fingerprint(self.background)
        hasher, idf = _model(self.background, fingerprint, self.index_dir)
        docs = idf.transform(hasher.transform(texts))
        asked = idf.transform(hasher.transform(queries))
        scores = (asked @ docs.T).toarray()
        return [[round(float(s), 4) for s in row] for row in scores]

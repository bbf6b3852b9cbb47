"""The local all-MiniLM-L6-v2 embedder, its on-disk vector store, and the hybrid ranker."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from generator.drafting.embedders import minilm
from generator.drafting.embedders.minilm import (
    DIMENSIONS,
    MiniLmEmbedder,
    VectorStore,
    encode_uncached,
)
from generator.drafting.ranking import BM25Ranker, DenseIndex, HybridRanker, make_ranker

CLAIM = "Aspirin reduces the risk of heart attack."
PARAPHRASE = "Taking aspirin lowers the chance of a myocardial infarction."
UNRELATED = "The orchestra rehearsed the symphony late into the evening."

CORPUS = [
    "Sparse mixture-of-experts layers route each token to a few expert networks.",
    "Sourdough bread rises slowly because wild yeast ferments the dough.",
    "Glacier retreat in the Alps accelerated sharply during the last two decades.",
    "Statins lower LDL cholesterol and reduce cardiovascular events in older adults.",
    "Honeybees communicate the location of flowers with a waggle dance.",
]


def _forbid_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any further call into the ONNX model fail the test."""

    def fail(texts: list[str]) -> np.ndarray:
        raise AssertionError(f"the model was asked to encode {texts!r}")

    monkeypatch.setattr(minilm, "_encode_batch", fail)


# --- embeddings -------------------------------------------------------------------------------


def test_vectors_are_unit_norm_and_384_dimensional() -> None:
    vectors = encode_uncached([CLAIM, PARAPHRASE, UNRELATED, "x"])
    assert vectors.shape == (4, DIMENSIONS) == (4, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence() -> None:
    claim, paraphrase, unrelated = encode_uncached([CLAIM, PARAPHRASE, UNRELATED])
    assert claim @ paraphrase > claim @ unrelated + 0.3
    embedder = MiniLmEmbedder(None)
    near, far = embedder.similarity(CLAIM, [PARAPHRASE, UNRELATED])
    assert 0.0 <= far < near <= 1.0


def test_order_and_batching_do_not_change_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts are sorted by length into batches; each result lands back in its own row."""
    texts = [CLAIM, "short", PARAPHRASE, UNRELATED, "a somewhat longer sentence than short"]
    one_by_one = np.stack([encode_uncached([t])[0] for t in texts])
    monkeypatch.setattr(minilm, "BATCH", 2)
    ticks: list[int] = []
    real = minilm._encode_batch

    def counted(batch: list[str]) -> np.ndarray:
        ticks.append(len(batch))
        return real(batch)

    monkeypatch.setattr(minilm, "_encode_batch", counted)
    batched = encode_uncached(texts)
    assert np.allclose(batched, one_by_one, atol=1e-4)
    assert ticks == [2, 2, 1]


def test_empty_input() -> None:
    assert encode_uncached([]).shape == (0, DIMENSIONS)
    assert VectorStore(None).encode([]).shape == (0, DIMENSIONS)
    embedder = MiniLmEmbedder(None)
    assert embedder.similarity(CLAIM, []) == []
    assert embedder.similarity_matrix([CLAIM, UNRELATED], []) == [[], []]


# --- vector store -----------------------------------------------------------------------------


def test_vector_store_keeps_vectors_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [CLAIM, PARAPHRASE, CLAIM]
    first = VectorStore(tmp_path).encode(texts)
    assert (tmp_path / "minilm-vectors").is_dir()
    assert first.shape == (3, DIMENSIONS)
    assert np.array_equal(first[0], first[2])  # a repeated text is one vector

    _forbid_model(monkeypatch)
    again = VectorStore(tmp_path).encode(texts)  # a fresh store: nothing in memory
    # Stored as float32: a warm run scores exactly as the cold one did.
    assert again.dtype == np.float32
    assert np.array_equal(again, first)


def test_vector_store_encodes_only_new_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = VectorStore(tmp_path)
    store.encode([CLAIM])
    asked: list[list[str]] = []
    real = minilm._encode_batch

    def spy(texts: list[str]) -> np.ndarray:
        asked.append(list(texts))
        return real(texts)

    monkeypatch.setattr(minilm, "_encode_batch", spy)
    vectors = VectorStore(tmp_path).encode([CLAIM, UNRELATED])
    assert asked == [[UNRELATED]]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)


def test_vector_store_without_a_folder_keeps_vectors_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = VectorStore(None)
    first = store.encode([UNRELATED])
    _forbid_model(monkeypatch)
    assert np.array_equal(store.encode([UNRELATED]), first)


# --- ranking ----------------------------------------------------------------------------------


def test_hybrid_ranker_puts_the_document_with_the_query_wording_first() -> None:
    ranker = make_ranker("hybrid", CORPUS)
    assert isinstance(ranker, HybridRanker)
    top = ranker.top("do statins reduce LDL cholesterol in older adults", 3)
    assert top[0][0] == 3
    assert [score for _, score in top] == sorted((s for _, s in top), reverse=True)
    assert ranker.top("waggle dance of honeybees", 1)[0][0] == 4


def test_dense_index_finds_a_paraphrase_without_shared_words() -> None:
    dense = make_ranker("dense", CORPUS)
    assert dense.top("ice sheets in the mountains are melting faster", 1)[0][0] == 2


def test_ranker_index_is_saved_and_loaded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = "routing tokens to experts"
    built = make_ranker("hybrid", CORPUS, "corpus-fingerprint", tmp_path)
    entries = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert [e.split("-")[0] for e in entries] == ["bm25", "minilm"]
    assert all((tmp_path / e / "manifest.json").is_file() for e in entries)

    def no_build(texts: list[str]) -> None:
        raise AssertionError("the index was built again instead of loaded")

    monkeypatch.setattr(BM25Ranker, "build", no_build)
    monkeypatch.setattr(DenseIndex, "build", no_build)
    loaded = make_ranker("hybrid", CORPUS, "corpus-fingerprint", tmp_path)
    assert loaded.top(query, len(CORPUS)) == built.top(query, len(CORPUS))
    assert loaded.top(query, 1)[0][0] == 0


def test_threads_share_one_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Search runs its queries in threads: they must load one session (~270 MB), not one each."""
    loads: list[int] = []
    real = minilm._model_file

    def slow_model_file() -> Path:
        loads.append(1)
        time.sleep(0.2)  # widen the window in which another thread could start a second load
        return real()

    minilm._load.cache_clear()
    monkeypatch.setattr(minilm, "_model_file", slow_model_file)
    try:
        found: list[object] = []
        threads = [
            threading.Thread(target=lambda: found.append(minilm._runtime())) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(loads) == 1
        assert len(found) == 4 and all(f is found[0] for f in found)
    finally:
        minilm._load.cache_clear()  # the next test loads the real, unpatched one

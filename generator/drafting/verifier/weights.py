"""The verifier's fitted parameters, as read from `weights.json` beside this module.

`sovereign eval scifact --fit` writes the file from a labelled split; everything in it is
plain numbers with names, so a reader can see what the verifier learnt. One set per semantic
backend (`minilm`, `tfidf`), since their similarities live on different scales.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Linear:
    """A standardised logistic model: sigmoid(((x - mean) / scale) · coef + intercept)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logit(self, rows: np.ndarray) -> np.ndarray:
        return ((rows - self.mean) / self.scale) @ self.coef + self.intercept

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(rows)))

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...]) -> Linear:
        if tuple(data["features"]) != expected:
            raise ValueError(f"weights name features {data['features']}, expected {expected}")
        return cls(
            features=expected,
            mean=np.asarray(data["mean"], dtype=float),
            scale=np.asarray(data["scale"], dtype=float),
            coef=np.asarray(data["coef"], dtype=float),
            intercept=float(data["intercept"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(self.intercept, 6),
        }


@dataclass(frozen=True)
class Calibration:
    """Evidence strength → share of labelled pairs at that strength that had real evidence
    (isotonic, so never decreasing), read by linear interpolation."""

    strength: np.ndarray
    probability: np.ndarray

    def __call__(self, values: np.ndarray | float) -> np.ndarray:
        return np.interp(values, self.strength, self.probability)

    def strength_for(self, probability: float) -> float:
        """The lowest strength calibrated at or above `probability`."""
        above = np.nonzero(self.probability >= probability)[0]
        return float(self.strength[above[0]]) if len(above) else float("inf")


@dataclass(frozen=True)
class Thresholds:
    related: float  # evidence strength below which a claim has no evidence
    supported: float  # strength at or above which evidence can support or contradict
    contradiction: float  # P(contradiction) at or above which the evidence contradicts
    support_below: float  # P(contradiction) under which it supports; in between: unclear


SIMILARITIES = ("semantic", "lexical", "coverage")


@dataclass(frozen=True)
class BackendWeights:
    mix: dict[str, float]  # strength = Σ mix[name] · similarity[name], over SIMILARITIES
    selector: Linear
    stance: Linear
    calibration: Calibration
    thresholds: Thresholds


@dataclass(frozen=True)
class Weights:
    fitted_on: str
    backends: dict[str, BackendWeights]
    measured: dict[str, Any]

    def for_backend(self, name: str) -> BackendWeights:
        try:
            return self.backends[name]
        except KeyError:
            raise ValueError(f"no fitted verifier weights for backend {name!r}") from None


def parse(data: dict[str, Any]) -> Weights:
    from generator.drafting.verifier.features import SELECTOR_FEATURES, STANCE_FEATURES

    backends = {}
    for name, entry in data["backends"].items():
        backends[name] = BackendWeights(
            mix={name: float(entry["mix"][name]) for name in SIMILARITIES},
            selector=Linear.from_json(entry["selector"], SELECTOR_FEATURES),
            stance=Linear.from_json(entry["stance"], STANCE_FEATURES),
            calibration=Calibration(
                np.asarray(entry["calibration"]["strength"], dtype=float),
                np.asarray(entry["calibration"]["probability"], dtype=float),
            ),
            thresholds=Thresholds(**entry["thresholds"]),
        )
    return Weights(
        fitted_on=str(data["fitted_on"]), backends=backends, measured=data.get("measured", {})
    )


@lru_cache(maxsize=4)
def read_weights(path: Path) -> Weights:
    """The fitted weights in the file at `path`."""
    return parse(json.loads(path.read_text("utf-8")))


def dump(weights: Weights) -> dict[str, Any]:
    return {
        "fitted_on": weights.fitted_on,
        "measured": weights.measured,
        "backends": {
            name: {
                "mix": {name: round(b.mix[name], 4) for name in SIMILARITIES},
                "selector": b.selector.to_json(),
                "stance": b.stance.to_json(),
                "calibration": {
                    "strength": [round(float(v), 5) for v in b.calibration.strength],
                    "probability": [round(float(v), 4) for v in b.calibration.probability],
                },
                "thresholds": {
                    "related": round(b.thresholds.related, 5),
                    "supported": round(b.thresholds.supported, 5),
                    "contradiction": round(b.thresholds.contradiction, 4),
                    "support_below": round(b.thresholds.support_below, 4),
                },
            }
            for name, b in weights.backends.items()
        },
    }

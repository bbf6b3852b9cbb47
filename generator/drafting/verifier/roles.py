"""What does an abstract sentence do: report a finding, state a contribution, or set the scene?

A multinomial logistic model over a few readable features of the sentence: how many cue
phrases of each kind it has (verifier/cues.py: "we propose", "outperforms", "have shown
promise" …), where it sits in the abstract, whether it has numbers, speaks as "we" or names
"this paper", and its length. Fitted on labelled abstract sentences
(bench/claim_sentences.yaml, `bench/claims.py --fit`) and kept in `roles.json` beside this
module, so a reader can see what it learnt.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from generator.drafting.verifier.cues import BACKGROUND, CONTRIBUTION, FINDING, NEVER, hits

ROLES = ("finding", "contribution", "background")
ROLE_FEATURES = (
    "contribution_cues",
    "finding_cues",
    "background_cues",
    "position",
    "first",
    "last",
    "has_number",
    "has_ratio",
    "opens_with_we",
    "says_we",
    "length",
    "code_or_question",
    "names_this_paper",
)
_DIGIT = re.compile(r"\d")
_RATIO = re.compile(r"%|×|\d(?:x|X)\b")
_OPENS_WE = re.compile(r"^(?:we|our)\b", re.IGNORECASE)
_WE = re.compile(r"\bwe\b", re.IGNORECASE)
_THIS_PAPER = re.compile(r"\b(?:this|our) (?:paper|work|study)\b", re.IGNORECASE)


def features(sentence: str, index: int, count: int) -> list[float]:
    """The features of the sentence at `index` of an abstract of `count` sentences."""
    return [
        len(hits(CONTRIBUTION, sentence)),
        len(hits(FINDING, sentence)),
        len(hits(BACKGROUND, sentence)),
        index / max(count - 1, 1),
        float(index == 0),
        float(index == count - 1),
        float(bool(_DIGIT.search(sentence))),
        float(bool(_RATIO.search(sentence))),
        float(bool(_OPENS_WE.match(sentence))),
        float(bool(_WE.search(sentence))),
        len(sentence.split()) / 40,
        float(bool(NEVER.search(sentence))),
        float(bool(_THIS_PAPER.search(sentence))),
    ]


@dataclass(frozen=True)
class RoleModel:
    """Standardised multinomial logistic model: softmax(((x - mean) / scale) · coefᵀ + b)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # roles × features
    intercept: np.ndarray
    fitted_on: str

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """P(finding), P(contribution), P(background) for each row, in ROLES order."""
        logits = ((rows - self.mean) / self.scale) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def to_json(self) -> dict[str, Any]:
        return {
            "fitted_on": self.fitted_on,
            "roles": list(ROLES),
            "features": list(ROLE_FEATURES),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [[round(float(v), 6) for v in row] for row in self.coef],
            "intercept": [round(float(v), 6) for v in self.intercept],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoleModel:
        if tuple(data["roles"]) != ROLES or tuple(data["features"]) != ROLE_FEATURES:
            raise ValueError("roles.json names other roles or features than this code reads")
        return cls(
            mean=np.asarray(data["mean"], dtype=float),
            scale=np.asarray(data["scale"], dtype=float),
            coef=np.asarray(data["coef"], dtype=float),
            intercept=np.asarray(data["intercept"], dtype=float),
            fitted_on=str(data["fitted_on"]),
        )


def fit(rows: np.ndarray, labels: Sequence[str], fitted_on: str, c: float = 0.1) -> RoleModel:
    """Fit the model on feature rows and their gold roles."""
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((rows - mean) / scale, list(labels))
    order = [list(model.classes_).index(role) for role in ROLES]
    return RoleModel(mean, scale, model.coef_[order], model.intercept_[order], fitted_on=fitted_on)


def roles_path() -> Path:
    return Path(str(resources.files("generator.drafting.verifier") / "roles.json"))


@lru_cache(maxsize=1)
def roles_digest() -> str:
    return hashlib.sha256(roles_path().read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=2)
def load_roles(path: Path | None = None) -> RoleModel:
    """The fitted sentence-role model (default: shipped with the package)."""
    return RoleModel.from_json(json.loads((path or roles_path()).read_text("utf-8")))

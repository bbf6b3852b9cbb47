"""Stance: does an evidence sentence support its claim or contradict it? And the claim state
that follows from evidence strength and stance.

The offline judge (`rules`) is a logistic model over lexical cues (negation, direction of
change, null findings) and one semantic probe: is the evidence closer to the *negated* claim
than to the claim? Its weights are fitted on labelled pairs (weights.json). An LLM judge
(generator/drafting/llm/stance.py) answers the same question when one is configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from generator.drafting.models import ClaimState
from generator.drafting.verifier.features import STANCE_FEATURES, stance_features
from generator.drafting.verifier.lexicon import negate
from generator.drafting.verifier.scoring import Encoder
from generator.drafting.verifier.weights import BackendWeights, Thresholds


@dataclass(frozen=True)
class StanceVerdict:
    stance: Literal["supports", "contradicts", "unclear"]
    probability: float | None  # of contradiction, when the judge gives one
    judge: str
    reason: str = ""


class StanceJudge(Protocol):
    name: str

    def describe(self) -> str:
        """Who judges stance, for the page (and the verify stage's cache key)."""
        ...

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[StanceVerdict]:
        """A verdict for each (claim, evidence sentence)."""
        ...


_CUE_NAMES = {
    "negation_mismatch": "negation on one side only",
    "claim_up_evidence_down": "the claim says up, the evidence down",
    "claim_down_evidence_up": "the claim says down, the evidence up",
    "null_finding_mismatch": "a null finding on one side only",
    "negated_claim_closer": "the evidence reads closer to the negated claim",
}


class RulesStanceJudge:
    """Fitted logistic model over lexical cues and the negation probe."""

    name = "rules"

    def __init__(self, weights: BackendWeights, encoder: Encoder | None):
        self.weights = weights
        self.model = weights.stance
        self.thresholds = weights.thresholds
        self.encoder = encoder

    def features(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        probes = np.zeros(len(pairs))
        if self.encoder is not None and pairs:
            texts = [t for claim, evidence in pairs for t in (claim, negate(claim), evidence)]
            vectors = self.encoder.encode(texts).reshape(len(pairs), 3, -1)
            claim, negated, evidence = vectors[:, 0], vectors[:, 1], vectors[:, 2]
            probes = (negated * evidence).sum(axis=1) - (claim * evidence).sum(axis=1)
        rows = [stance_features(c, e, float(p)) for (c, e), p in zip(pairs, probes, strict=True)]
        return np.asarray(rows, dtype=float).reshape(len(pairs), len(STANCE_FEATURES))

    def describe(self) -> str:
        return (
            "rules: a logistic model over negation, direction-of-change and null-finding cues "
            "and a negated-claim probe, fitted on SciFact dev"
        )

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[StanceVerdict]:
        """Contradicts at P(contradiction) ≥ the contradiction threshold, supports below
        `support_below`, unclear in between; the reason names the cues that pushed towards
        contradiction."""
        if not pairs:
            return []
        rows = self.features(pairs)
        probabilities = self.model.probability(rows)
        verdicts = []
        for row, p in zip(rows, probabilities, strict=True):
            stance: Literal["supports", "contradicts", "unclear"]
            if p >= self.thresholds.contradiction:
                stance, reason = "contradicts", f"P(contradiction) {p:.2f}"
            elif p >= self.thresholds.support_below:
                stance, reason = "unclear", f"unsure, P(contradiction) {p:.2f}"
            else:
                stance, reason = "supports", f"agrees, P(contradiction) {p:.2f}"
            cues = self._cues(row) if stance != "supports" else []
            verdicts.append(
                StanceVerdict(
                    stance=stance,
                    probability=round(float(p), 4),
                    judge=self.name,
                    reason=reason + (f": {'; '.join(cues)}" if cues else ""),
                )
            )
        return verdicts

    def _cues(self, row: np.ndarray) -> list[str]:
        """The (at most two) cues that pushed most towards contradiction."""
        pushes = ((row - self.model.mean) / self.model.scale) * self.model.coef
        ranked = sorted(zip(pushes, STANCE_FEATURES, row, strict=True), reverse=True)
        return [
            _CUE_NAMES[name]
            for push, name, value in ranked
            if push > 0.25 and value and name in _CUE_NAMES
        ][:2]


def state_of(strength: float, verdict: StanceVerdict | None, thresholds: Thresholds) -> ClaimState:
    """supported / contradicted need strong evidence and a clear stance; weaker evidence, or
    strong evidence whose stance is unclear, is only related."""
    if strength < thresholds.related:
        return "no_evidence"
    if strength < thresholds.supported or verdict is None or verdict.stance == "unclear":
        return "related"
    return "contradicted" if verdict.stance == "contradicts" else "supported"

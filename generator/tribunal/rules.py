"""`rules`: a deterministic tribunal. Each role is a weighted sum of normalised signals × 10.

The weights are published on every page, so a reader can recompute any score.
"""

from __future__ import annotations

from ..models import Role, RoleReview, Signal
from . import Brief, Votes

VERSION = "rules-v2"  # v2: supported (not merely similar) claims; contradicted claims cost

# role -> (focus, {signal: weight}); each role's weights sum to 1.
WEIGHTS: dict[Role, tuple[str, dict[str, float]]] = {
    "SKEPTIC": (
        "what could be wrong: unsupported or contradicted claims, weak support, a paper that "
        "misses the question",
        {
            "supported_fraction": 0.30,
            "strong_support": 0.20,
            "contradicted": 0.20,
            "pairing": 0.20,
            "evidence_diversity": 0.10,
        },
    ),
    "VALIDATOR": (
        "whether the evidence holds: how many claims are supported, how confidently, by how "
        "many papers",
        {"supported_fraction": 0.45, "mean_confidence": 0.35, "evidence_diversity": 0.20},
    ),
    "SYNTHESIZER": (
        "whether the draft answers the question: paper relevance, retrieval depth, claim yield",
        {"question_match": 0.35, "pairing": 0.15, "retrieval_depth": 0.20, "claim_yield": 0.30},
    ),
}


class RulesTribunal:
    name = "rules"

    def describe(self) -> str:
        parts = []
        for role, (_, weights) in WEIGHTS.items():
            terms = " + ".join(f"{w:g}·{name}" for name, w in weights.items())
            parts.append(f"{role} = 10 × ({terms})")
        return f"{VERSION}: " + "; ".join(parts)

    def review(self, signals: dict[str, Signal], brief: Brief | None = None) -> Votes:
        return Votes(roles=self.score(signals))

    def score(self, signals: dict[str, Signal]) -> tuple[RoleReview, ...]:
        """Each role's weighted score with a rationale naming its weakest and strongest signal."""
        reviews = []
        for role, (focus, weights) in WEIGHTS.items():
            used = tuple(
                signals[name].model_copy(update={"weight": w}) for name, w in weights.items()
            )
            score = round(10 * sum(s.normalized * s.weight for s in used), 1)
            weakest = min(used, key=lambda s: (s.normalized, -s.weight))
            strongest = max(used, key=lambda s: (s.normalized, s.weight))
            rationale = (
                f"Looks at {focus}. Weakest signal: {weakest.name.replace('_', ' ')} "
                f"({weakest.detail}). Strongest: {strongest.name.replace('_', ' ')} "
                f"({strongest.detail})."
            )
            reviews.append(RoleReview(role=role, score=score, signals=used, rationale=rationale))
        return tuple(reviews)

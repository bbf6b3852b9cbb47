"""`rules`: a deterministic tribunal. Each role is a weighted sum of normalised signals × 10.

The weights are published on every page, so a reader can recompute any score.
"""

from __future__ import annotations

from generator.drafting.models import Role, RoleReview, Signal
from generator.drafting.tribunal.base import Brief, Votes

VERSION = "rules-v3"  # v3: absolute question match, coverage and answer; distinct weakest/strongest

# role -> (focus, {signal: weight}); each role's weights sum to 1.
WEIGHTS: dict[Role, tuple[str, dict[str, float]]] = {
    "SKEPTIC": (
        "what could be wrong: unsupported or contradicted claims, weak support, a paper that "
        "misses the question, sources that do not cover it",
        {
            "supported_fraction": 0.25,
            "strong_support": 0.15,
            "contradicted": 0.20,
            "pairing": 0.15,
            "coverage": 0.15,
            "evidence_diversity": 0.10,
        },
    ),
    "VALIDATOR": (
        "whether the evidence holds: how many claims are supported, how confidently, by how "
        "many papers",
        {"supported_fraction": 0.45, "mean_confidence": 0.35, "evidence_diversity": 0.20},
    ),
    "SYNTHESIZER": (
        "whether the draft answers the question: the primary paper's match, the answer found, "
        "coverage, claim yield, retrieval depth",
        {
            "question_match": 0.30,
            "answer": 0.30,
            "coverage": 0.15,
            "claim_yield": 0.15,
            "retrieval_depth": 0.10,
        },
    ),
}


def rationale(focus: str, used: tuple[Signal, ...]) -> str:
    """What the role looked at, and its weakest and strongest signals (never the same one)."""
    ordered = sorted(used, key=lambda s: (s.normalized, -s.weight))
    weakest, strongest = ordered[0], max(ordered[1:], key=lambda s: (s.normalized, s.weight))
    if weakest.normalized == strongest.normalized:
        return (
            f"Looks at {focus}. All its signals stand at {weakest.normalized:.2f}, e.g. "
            f"{_name(weakest)} ({weakest.detail})."
        )
    return (
        f"Looks at {focus}. Weakest signal: {_name(weakest)} ({weakest.detail}). "
        f"Strongest: {_name(strongest)} ({strongest.detail})."
    )


def _name(signal: Signal) -> str:
    return signal.name.replace("_", " ")


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
            text = rationale(focus, used)
            reviews.append(
                RoleReview(role=role, score=score, signals=used, rationale=text, judge=VERSION)
            )
        return tuple(reviews)

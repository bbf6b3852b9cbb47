"""review: measure the draft's signals and let the tribunal score them (one round)."""

from __future__ import annotations

from ..models import (
    Extraction,
    SearchResult,
    Selection,
    Signal,
    TribunalResult,
    Verdict,
    Verification,
)
from ..settings import ReviewSettings
from ..tribunal import Brief, Tribunal

VERSION = "1"


def _share(items: list, total: int) -> float:
    return len(items) / total if total else 0.0


def _signal(name: str, value: float, detail: str, scale: float = 1.0) -> Signal:
    """A signal normalised as value / scale, clipped to [0, 1]; weights are set by the role."""
    normalized = max(0.0, min(1.0, value / scale)) if scale else 0.0
    return Signal(name=name, value=value, normalized=normalized, weight=0, detail=detail)


def measure(
    selection: Selection, extraction: Extraction, search: SearchResult, verification: Verification
) -> dict[str, Signal]:
    """The named, measured signals every tribunal backend scores from (weights set later)."""
    checks = verification.checks
    n = len(checks)
    verified = [c for c in checks if c.verified]
    threshold = verification.threshold
    mean_conf = sum(c.confidence for c in checks) / n if n else 0.0
    strong = [c for c in checks if c.confidence >= 2 * threshold]
    papers = {c.evidence.paper_id for c in verified if c.evidence}
    ratio = selection.relevance / selection.best_relevance if selection.best_relevance else 0.0
    paper_s = "paper" if len(papers) == 1 else "papers"
    signals = [
        _signal(
            "verified_fraction", _share(verified, n), f"{len(verified)} of {n} claims verified"
        ),
        _signal(
            "mean_confidence",
            round(mean_conf, 4),
            f"mean best cosine {mean_conf:.2f}; full marks at {2 * threshold:.2f}",
            scale=2 * threshold,
        ),
        _signal(
            "strong_support",
            _share(strong, n),
            f"{len(strong)} of {n} claims at cosine ≥ {2 * threshold:.2f}",
        ),
        _signal(
            "evidence_diversity",
            len(papers),
            f"verified claims rest on {len(papers)} distinct {paper_s}; full marks at 3",
            scale=3,
        ),
        _signal(
            "question_match",
            round(ratio, 4),
            f"paper relevance {selection.relevance:.2f} vs best retrieved "
            f"{selection.best_relevance:.2f}",
        ),
        _signal(
            "pairing",
            0.0 if selection.mismatch else 1.0,
            "question–paper mismatch flagged" if selection.mismatch else "no mismatch flagged",
        ),
        _signal(
            "retrieval_depth",
            len(search.papers),
            f"{len(search.papers)} of {search.keep} papers retrieved",
            scale=search.keep,
        ),
        _signal(
            "claim_yield",
            len(extraction.claims),
            f"{len(extraction.claims)} claims extracted; full marks at 3",
            scale=3,
        ),
    ]
    return {s.name: s for s in signals}


def review(
    round_index: int,
    signals: dict[str, Signal],
    tribunal: Tribunal,
    settings: ReviewSettings,
    brief: Brief,
) -> TribunalResult:
    """Score one round: the mean of the three roles, then the verdict by the thresholds."""
    votes = tribunal.review(signals, brief)
    roles = votes.roles
    score = round(sum(r.score for r in roles) / len(roles), 1)
    verdict: Verdict
    if score >= settings.approve_at:
        verdict = "APPROVE"
    elif score < settings.reject_below:
        verdict = "REJECT"
    else:
        verdict = "REVISE"
    return TribunalResult(
        round=round_index,
        roles=roles,
        score=score,
        verdict=verdict,
        backend=tribunal.describe(),
        failures=votes.failures,
        approve_at=settings.approve_at,
        reject_below=settings.reject_below,
    )

"""review: measure the draft's signals and let the tribunal score them (one round)."""

from __future__ import annotations

from ..models import Extraction, SearchResult, Selection, Signal, TribunalResult, Verification
from ..settings import ReviewSettings
from ..tribunal import Tribunal

VERSION = "1"


def _clip(value: float) -> float:
    return max(0.0, min(1.0, value))


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
    signals = [
        Signal(
            name="verified_fraction",
            value=len(verified) / n if n else 0.0,
            normalized=len(verified) / n if n else 0.0,
            weight=0,
            detail=f"{len(verified)} of {n} claims verified",
        ),
        Signal(
            name="mean_confidence",
            value=round(mean_conf, 4),
            normalized=_clip(mean_conf / (2 * threshold)),
            weight=0,
            detail=f"mean best cosine {mean_conf:.2f}; full marks at {2 * threshold:.2f}",
        ),
        Signal(
            name="strong_support",
            value=len(strong) / n if n else 0.0,
            normalized=len(strong) / n if n else 0.0,
            weight=0,
            detail=f"{len(strong)} of {n} claims at cosine ≥ {2 * threshold:.2f}",
        ),
        Signal(
            name="evidence_diversity",
            value=len(papers),
            normalized=_clip(len(papers) / 3),
            weight=0,
            detail=f"verified claims rest on {len(papers)} distinct "
            f"paper{'' if len(papers) == 1 else 's'}; full marks at 3",
        ),
        Signal(
            name="question_match",
            value=round(ratio, 4),
            normalized=_clip(ratio),
            weight=0,
            detail=f"paper relevance {selection.relevance:.2f} vs best retrieved "
            f"{selection.best_relevance:.2f}",
        ),
        Signal(
            name="pairing",
            value=0.0 if selection.mismatch else 1.0,
            normalized=0.0 if selection.mismatch else 1.0,
            weight=0,
            detail="question–paper mismatch flagged"
            if selection.mismatch
            else "no mismatch flagged",
        ),
        Signal(
            name="retrieval_depth",
            value=len(search.papers),
            normalized=_clip(len(search.papers) / search.keep),
            weight=0,
            detail=f"{len(search.papers)} of {search.keep} papers retrieved",
        ),
        Signal(
            name="claim_yield",
            value=len(extraction.claims),
            normalized=_clip(len(extraction.claims) / 3),
            weight=0,
            detail=f"{len(extraction.claims)} claims extracted; full marks at 3",
        ),
    ]
    return {s.name: s for s in signals}


def review(
    round_index: int,
    signals: dict[str, Signal],
    tribunal: Tribunal,
    settings: ReviewSettings,
) -> TribunalResult:
    """Score one round: the mean of the three roles, then the verdict by the thresholds."""
    roles = tribunal.review(signals)
    score = round(sum(r.score for r in roles) / len(roles), 1)
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
        verdict=verdict,  # type: ignore[arg-type]
        backend=tribunal.describe(),
        approve_at=settings.approve_at,
        reject_below=settings.reject_below,
    )

"""review: measure the draft's signals and let the tribunal score them (one round)."""

from __future__ import annotations

from generator.drafting.models import (
    Answer,
    Extraction,
    SearchResult,
    Selection,
    Signal,
    TribunalResult,
    Verdict,
    Verification,
)
from generator.drafting.tribunal import Brief, Tribunal
from generator.inputs.settings import ReviewSettings

VERSION = "3"  # 3: absolute question match, coverage and answer signals


def _share(items: list, total: int) -> float:
    return len(items) / total if total else 0.0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _signal(name: str, value: float, detail: str, scale: float = 1.0) -> Signal:
    """A signal normalised as value / scale, clipped to [0, 1]; weights are set by the role."""
    normalized = max(0.0, min(1.0, value / scale)) if scale else 0.0
    return Signal(name=name, value=value, normalized=normalized, weight=0, detail=detail)


STRONG = 0.8  # calibrated confidence at which a supported claim counts as strongly supported


def measure(
    selection: Selection,
    extraction: Extraction,
    search: SearchResult,
    verification: Verification,
    answer: Answer,
) -> dict[str, Signal]:
    """The named, measured signals every tribunal backend scores from (weights set later).

    Only **supported** claims count in the draft's favour: a claim whose evidence is merely
    related, or contradicts it, earns nothing, and contradicted claims cost the SKEPTIC.

    Long by design: one block per signal, its formula beside its description, in the order
    the page's signal table lists them."""
    checks = verification.checks
    n = len(checks)
    supported = [c for c in checks if c.state == "supported"]
    contradicted = [c for c in checks if c.state == "contradicted"]
    mean_conf = sum(c.confidence for c in supported) / len(supported) if supported else 0.0
    strong = [c for c in supported if c.confidence >= STRONG]
    papers = {c.evidence.paper_id for c in supported if c.evidence}
    coverage = selection.coverage
    strong_statements = [st for st in answer.statements if st.stance != "related"]
    paper_s = "paper" if len(papers) == 1 else "papers"
    uncontradicted = 1 - len(contradicted) / n if n else 0.0
    signals = [
        _signal(
            "supported_fraction",
            _share(supported, n),
            f"{len(supported)} of {n} claims supported by another paper's evidence",
        ),
        _signal(
            "mean_confidence",
            round(mean_conf, 4),
            f"mean calibrated confidence {mean_conf:.2f} over the evidence of "
            f"{_count(len(supported), 'supported claim')}; full marks at 1.00"
            if supported
            else "no claim supported, so no confidence to average",
        ),
        _signal(
            "strong_support",
            _share(strong, n),
            f"{len(strong)} of {n} claims supported with calibrated confidence ≥ {STRONG:.2f}",
        ),
        _signal(
            "contradicted",
            round(uncontradicted, 4),
            f"{len(contradicted)} of {n} claims contradicted by another paper's evidence; "
            f"scored 1 − {len(contradicted)}/{n}"
            if n
            else "no claims to check",
        ),
        _signal(
            "evidence_diversity",
            len(papers),
            f"supported claims rest on {len(papers)} distinct {paper_s}; full marks at 3",
            scale=3,
        ),
        _signal(
            "question_match",
            selection.match,
            f"the primary paper addresses the question with calibrated probability "
            f"{selection.match:.2f} (a paper counts at ≥ {coverage.threshold:g})",
        ),
        _signal(
            "coverage",
            coverage.probability,
            f"the best of the {coverage.papers} papers searched addresses the question with "
            f"probability {coverage.probability:.2f}"
            + ("" if coverage.covered else ": not covered"),
        ),
        _signal(
            "answer",
            len(strong_statements),
            f"answer {answer.label.lower()}: {_count(len(strong_statements), 'statement')} "
            "bearing strongly on the question; full marks at 2",
            scale=2,
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
            f"{_count(len(extraction.claims), 'claim')} extracted; full marks at 3",
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

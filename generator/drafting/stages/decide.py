"""decide: the publication policy — AUTO_APPROVE or ESCALATE_TO_OWNER, with the reason.

Gates come first and no tribunal score overrides them: a draft built on partial data, a
question the sources do not cover, a flagged question–paper mismatch, a primary paper without
an abstract, claims the paper does not state, or no supported claim always goes to the owner,
and the reason names every gate tripped, the first with its detail.
"""

from __future__ import annotations

from generator.drafting.models import (
    Answer,
    Decision,
    Extraction,
    Gate,
    Selection,
    TribunalResult,
    Verification,
)
from generator.drafting.stages.select import has_abstract
from generator.inputs.settings import PolicySettings

VERSION = "4"  # 4: gates no score overrides


def gates(
    selection: Selection,
    extraction: Extraction,
    verification: Verification,
    answer: Answer,
    settings: PolicySettings,
    failures: list[str] | None = None,
) -> list[Gate]:
    """Every gate this draft trips, in the order a reader should hear them."""
    found = []
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        found.append(
            Gate(name="partial data", detail=f"built on partial data: {failures[0]}{more}")
        )
    coverage = selection.coverage
    if not coverage.covered:
        found.append(Gate(name="not covered", detail=answer.summary.removesuffix(".")))
    if selection.mismatch and settings.escalate_on_mismatch:
        found.append(Gate(name="primary mismatch", detail=selection.mismatch_reasons[0]))
    if not has_abstract(selection.primary):
        found.append(
            Gate(name="no abstract", detail="the primary paper has no abstract to take claims from")
        )
    if extraction.dropped:
        n = len(extraction.dropped)
        found.append(
            Gate(
                name="claims not in the paper",
                detail=f"{n} of {n + len(extraction.claims)} claims the language model wrote "
                "are not stated by the primary paper's abstract",
            )
        )
    if not verification.count("supported"):
        found.append(
            Gate(
                name="no supported claim",
                detail=f"none of the {len(verification.checks)} claims is supported by another "
                "paper's evidence",
            )
        )
    return found


def decide(
    tribunal: TribunalResult,
    selection: Selection,
    extraction: Extraction,
    verification: Verification,
    answer: Answer,
    settings: PolicySettings,
    failures: list[str] | None = None,
) -> Decision:
    """APPROVE publishes only when no gate is tripped; anything else goes to the owner."""
    supported = supported_line(verification)
    score = f"tribunal {tribunal.verdict} {tribunal.score:.1f}/10"
    tripped = tuple(gates(selection, extraction, verification, answer, settings, failures))
    if tripped:
        first, *rest = tripped
        also = f"; also {', '.join(f'“{g.name}”' for g in rest)}" if rest else ""
        return Decision(
            policy="ESCALATE_TO_OWNER",
            reason=f"gate “{first.name}”: {first.detail}{also}; {score}, {supported}",
            gates=tripped,
        )
    if tribunal.verdict != "APPROVE":
        rounds = f" after revision round {tribunal.round}" if tribunal.round else ""
        return Decision(policy="ESCALATE_TO_OWNER", reason=f"{score}{rounds}: {supported}")
    return Decision(policy="AUTO_APPROVE", reason=f"{score}: {supported}")


def supported_line(verification: Verification) -> str:
    """ "2 of 3 claims supported", with the contradicted ones when there are any."""
    line = f"{verification.count('supported')} of {len(verification.checks)} claims supported"
    contradicted = verification.count("contradicted")
    return line + (f", {contradicted} contradicted" if contradicted else "")

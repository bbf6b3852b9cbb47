"""decide: the publication policy — AUTO_APPROVE or ESCALATE_TO_OWNER, with the reason."""

from __future__ import annotations

from ..models import Decision, Selection, TribunalResult, Verification
from ..settings import PolicySettings

VERSION = "1"


def decide(
    tribunal: TribunalResult,
    selection: Selection,
    verification: Verification,
    settings: PolicySettings,
) -> Decision:
    """APPROVE publishes; anything else, or a flagged pairing, goes to the owner."""
    verified = f"{verification.verified_count} of {len(verification.checks)} claims verified"
    score = f"tribunal {tribunal.verdict} {tribunal.score:.1f}/10"
    if tribunal.verdict != "APPROVE":
        rounds = f" after revision round {tribunal.round}" if tribunal.round else ""
        return Decision(policy="ESCALATE_TO_OWNER", reason=f"{score}{rounds}: {verified}")
    if selection.mismatch and settings.escalate_on_mismatch:
        return Decision(
            policy="ESCALATE_TO_OWNER",
            reason=f"{score}, but the question–paper pairing is flagged: "
            f"{selection.mismatch_reasons[0]}",
        )
    return Decision(policy="AUTO_APPROVE", reason=f"{score}: {verified}")

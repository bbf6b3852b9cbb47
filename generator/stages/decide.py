"""decide: the publication policy — AUTO_APPROVE or ESCALATE_TO_OWNER, with the reason."""

from __future__ import annotations

from ..models import Decision, Selection, TribunalResult, Verification
from ..settings import PolicySettings

VERSION = "3"  # 3: reasons count supported and contradicted claims


def decide(
    tribunal: TribunalResult,
    selection: Selection,
    verification: Verification,
    settings: PolicySettings,
    failures: list[str] | None = None,
) -> Decision:
    """APPROVE publishes; anything else — a flagged pairing, or a draft built on partial data
    because a live backend failed — goes to the owner."""
    supported = supported_line(verification)
    score = f"tribunal {tribunal.verdict} {tribunal.score:.1f}/10"
    partial = ""
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        partial = f"built on partial data: {failures[0]}{more}"
    if tribunal.verdict != "APPROVE":
        rounds = f" after revision round {tribunal.round}" if tribunal.round else ""
        tail = f"; {partial}" if partial else ""
        return Decision(policy="ESCALATE_TO_OWNER", reason=f"{score}{rounds}: {supported}{tail}")
    if partial:
        return Decision(policy="ESCALATE_TO_OWNER", reason=f"{score}, but {partial}")
    if selection.mismatch and settings.escalate_on_mismatch:
        return Decision(
            policy="ESCALATE_TO_OWNER",
            reason=f"{score}, but the question–paper pairing is flagged: "
            f"{selection.mismatch_reasons[0]}",
        )
    return Decision(policy="AUTO_APPROVE", reason=f"{score}: {supported}")


def supported_line(verification: Verification) -> str:
    """ "2 of 3 claims supported", with the contradicted ones when there are any."""
    line = f"{verification.count('supported')} of {len(verification.checks)} claims supported"
    contradicted = verification.count("contradicted")
    return line + (f", {contradicted} contradicted" if contradicted else "")

"""Where a draft stands: the tribunal's policy combined with the owner's recorded decision.

The owner judges one version of a draft, named by its content hash. A decision applies only
while the hash matches; once the draft changes (an edited question, a new threshold, a new
paper) the decision is stale and the draft goes back to the review queue, with a note saying
what changed since the version the owner judged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from generator.drafting.models import Draft, OwnerReview
from generator.publishing.owners import is_owner

State = Literal[
    "auto_approved",
    "owner_approved",
    "rejected",
    "revise_requested",
    "awaiting_review",
    "stale",
    "not_owner",
]

LABELS: dict[State, str] = {
    "auto_approved": "Published — approved by the tribunal (AUTO_APPROVE)",
    "owner_approved": "Published — approved by the owner",
    "rejected": "Rejected by the owner — not published",
    "revise_requested": "Owner asked for a revision — not published",
    "awaiting_review": "Awaiting owner review — not published",
    "stale": "Awaiting owner review — the owner's decision was about an earlier version",
    "not_owner": "Awaiting owner review — the recorded decision is not by an owner",
}


def content_hash(draft: Draft) -> str:
    """Hash of what a draft says — question, plan, paper, claims, evidence, tribunal — and
    not of when or how fast it ran, nor of the owner's decision about it."""
    data = draft.model_dump(
        mode="json",
        include={"slug", "question", "plan", "selection", "extraction", "rounds"},
        exclude={"question": {"review", "tags", "owner", "path", "created"}},
    )
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Standing:
    """A draft's publication state, for the index, its page and its PDF."""

    state: State
    content_hash: str
    decision: OwnerReview | None = None
    changes: tuple[str, ...] = ()

    @property
    def published(self) -> bool:
        return self.state in ("auto_approved", "owner_approved")

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def headline(self) -> str:
        """What the page's first line says of who let it out: the owner, the tribunal, or
        nobody yet."""
        d = self.decision
        if self.state == "owner_approved" and d:
            return f"Approved by {d.by} on {d.date.isoformat()}"
        if self.state == "auto_approved":
            return "Approved by the review tribunal (AUTO_APPROVE)"
        if self.state == "rejected" and d:
            return f"Rejected by {d.by} on {d.date.isoformat()}"
        return "Owner review required before publication"

    @property
    def decided_by(self) -> str:
        """ "alice on 2026-11-23" for the decision shown, or ''."""
        d = self.decision
        return f"{d.by} on {d.date.isoformat()}" if d else ""


def changes_between(judged: Draft | None, current: Draft) -> tuple[str, ...]:
    """What differs between the version the owner judged and the current draft, in words."""
    if judged is None:
        return (
            "the judged version is no longer in the review archive, so the differences "
            "cannot be listed",
        )
    found = []
    if judged.question.question != current.question.question:
        found.append("the question text was edited")
    if judged.selection.primary.id != current.selection.primary.id:
        found.append(
            f"the primary paper changed from {judged.selection.primary.id} to "
            f"{current.selection.primary.id}"
        )
    old_claims = [c.text for c in judged.extraction.claims]
    new_claims = [c.text for c in current.extraction.claims]
    if old_claims != new_claims:
        added = len(set(new_claims) - set(old_claims))
        removed = len(set(old_claims) - set(new_claims))
        found.append(f"the claims changed ({added} new, {removed} removed)")
    old_papers = {r.paper.id for r in judged.final.search.papers}
    new_papers = {r.paper.id for r in current.final.search.papers}
    if old_papers != new_papers:
        found.append(
            f"the retrieved papers changed ({len(new_papers - old_papers)} new, "
            f"{len(old_papers - new_papers)} gone)"
        )
    old_v, new_v = judged.final.verification, current.final.verification
    old_counts = (old_v.count("supported"), old_v.count("contradicted"))
    new_counts = (new_v.count("supported"), new_v.count("contradicted"))
    if old_counts != new_counts or old_v.method != new_v.method:
        change = f"{old_counts[0]} → {new_counts[0]} claims supported"
        if old_counts[1] or new_counts[1]:
            change += f", {old_counts[1]} → {new_counts[1]} contradicted"
        if old_v.method != new_v.method:
            change += " (the verifier changed)"
        found.append(f"verification changed: {change}")
    old_t, new_t = judged.final.tribunal, current.final.tribunal
    if (old_t.score, old_t.verdict) != (new_t.score, new_t.verdict):
        found.append(
            f"the tribunal changed: {old_t.verdict} {old_t.score:.1f} → "
            f"{new_t.verdict} {new_t.score:.1f}"
        )
    return tuple(found) or ("details of the draft changed (evidence or wording)",)


def standing(draft: Draft, owners: Iterable[str] = (), judged: Draft | None = None) -> Standing:
    """The draft's standing. A decision counts only when its `by:` is one of `owners`.
    `judged` is the archived version the owner's decision names (looked up by its hash),
    used to say what changed when the decision is stale."""
    digest = content_hash(draft)
    decision = draft.question.review
    if decision is not None and not is_owner(decision.by, owners):
        if draft.decision.policy == "AUTO_APPROVE":
            return Standing("auto_approved", digest)
        return Standing("not_owner", digest, decision)
    if decision is None:
        state: State = (
            "auto_approved" if draft.decision.policy == "AUTO_APPROVE" else ("awaiting_review")
        )
        return Standing(state, digest)
    if decision.draft_hash != digest:
        if draft.decision.policy == "AUTO_APPROVE":
            return Standing("auto_approved", digest, decision, changes_between(judged, draft))
        return Standing("stale", digest, decision, changes_between(judged, draft))
    state = {
        "approve": "owner_approved",
        "reject": "rejected",
        "revise": "revise_requested",
    }[decision.decision]  # type: ignore[assignment]
    return Standing(state, digest, decision)

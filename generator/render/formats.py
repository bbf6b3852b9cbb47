"""How numbers, paper references and links read, the same on the site page and in the PDF."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..models import STATE_LABELS, Paper, Verification
from . import escape

# What each state means, for the line under the claims table (page and PDF).
STATE_MEANINGS = {
    "supported": "strong evidence that agrees",
    "contradicted": "strong evidence that disagrees",
    "related": "on the claim's subject, but not evidence for or against it",
    "no_evidence": "nothing close enough to the claim was found",
}

# How each state is counted in a sentence ("1 related only", "2 without evidence").
STATE_COUNTED = {
    "supported": "supported",
    "contradicted": "contradicted",
    "related": "related only",
    "no_evidence": "without evidence",
}


def truncated(value: float, digits: int = 2) -> str:
    """`value` cut, not rounded, to `digits` decimals: 0.1496 reads 0.14 next to its ×
    under a 0.15 threshold instead of a confusing 0.15."""
    return f"{math.floor(float(value) * 10**digits) / 10**digits:.{digits}f}"


def percent(value: float) -> str:
    """A probability as a whole percentage: 0.874 reads 87%."""
    return f"{float(value):.0%}"


def state_label(state: str) -> str:
    """A claim state as the page shows it, mark and words: "✓ supported", "~ related only"."""
    mark, label = STATE_LABELS[state]
    return f"{mark} {label}"


def state_counts(verification: Verification) -> dict[str, int]:
    """How many claims are in each state, in the order of strength."""
    return {state: verification.count(state) for state in STATE_LABELS}  # type: ignore[arg-type]


def claims_line(counts: Mapping[str, int], verb: str = "extracted") -> str:
    """ "3 claims extracted: 1 supported, 0 contradicted, 1 related only, 1 without evidence";
    "1 claim extracted: …"; "0 claims extracted" when there is nothing to count."""
    total = sum(counts.get(state, 0) for state in STATE_COUNTED)
    head = f"{total} claim{'' if total == 1 else 's'}" + (f" {verb}" if verb else "")
    if not total:
        return head
    parts = [f"{counts.get(state, 0)} {words}" for state, words in STATE_COUNTED.items()]
    return f"{head}: {', '.join(parts)}"


def paper_ref(paper_id: str) -> str:
    """ "arXiv:2401.01234" for an arXiv id; other ids ("s2:…", "doi:…") as they are."""
    return paper_id if ":" in paper_id else f"arXiv:{paper_id}"


def main_url(paper: Paper) -> str:
    """The paper's first safe http(s) link (arXiv when it has one), or ''."""
    return next((u for u in (escape.url(url) for _, url in paper.links) if u), "")

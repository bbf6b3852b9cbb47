"""How numbers, paper references and links read, the same on the site page and in the PDF."""

from __future__ import annotations

import math

from ..models import Paper
from . import escape


def truncated(value: float, digits: int = 2) -> str:
    """`value` cut, not rounded, to `digits` decimals: 0.1496 reads 0.14 next to its ×
    under a 0.15 threshold instead of a confusing 0.15."""
    return f"{math.floor(float(value) * 10**digits) / 10**digits:.{digits}f}"


def paper_ref(paper_id: str) -> str:
    """ "arXiv:2401.01234" for an arXiv id; other ids ("s2:…", "doi:…") as they are."""
    return paper_id if ":" in paper_id else f"arXiv:{paper_id}"


def main_url(paper: Paper) -> str:
    """The paper's first safe http(s) link (arXiv when it has one), or ''."""
    return next((u for u in (escape.url(url) for _, url in paper.links) if u), "")

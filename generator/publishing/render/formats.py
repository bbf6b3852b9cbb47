"""How numbers, paper references and links read, the same on the site page and in the PDF."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.drafting.models import STATE_LABELS, Answer, Coverage, Paper, Selection, Verification
from generator.publishing.render import escape

# How each stance of an answer's statement reads on a page, with its mark (beside the claim
# states above), and what it means, for the line under the answer's table.
STANCE_LABELS: dict[str, tuple[str, str]] = {
    "supports": ("✓", "supports"),
    "contradicts": ("✗", "contradicts"),
    "unclear": ("?", "unclear"),
    "answers": ("→", "bears on the question"),
    "related": ("~", "related only (proposes or describes)"),
}
STANCE_MEANINGS = {
    "supports": "a finding that agrees with the question's claim",
    "contradicts": "a finding that disagrees with the question's claim",
    "unclear": "a finding on the claim whose direction the stance judge could not tell",
    "answers": "a finding that bears directly on the question",
    "related": "on the question's subject, but it proposes or describes rather than reports a "
    "finding, or is too weak to judge",
}

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


def stance_label(stance: str) -> str:
    """A statement's stance as the page shows it: "✓ supports", "→ bears on the question"."""
    mark, label = STANCE_LABELS[stance]
    return f"{mark} {label}"


def stances_in(answer: Answer) -> list[str]:
    """The stances an answer's statements take, in the order of STANCE_LABELS (for the line
    that says what they mean)."""
    found = {st.stance for st in answer.statements}
    return [stance for stance in STANCE_LABELS if stance in found]


def dropped_line(dropped: int) -> str:
    """What the quote gate refused, in words: "2 statements written by the language model were
    dropped: none cited a retrieved sentence that supports it"."""
    if dropped == 1:
        return (
            "1 statement written by the language model was dropped: it cited no retrieved "
            "sentence that supports it"
        )
    return (
        f"{dropped} statements written by the language model were dropped: none cited a "
        "retrieved sentence that supports it"
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def answer_line(answer: Answer) -> str:
    """The answer in a few words, for the index and the review queue: "Yes (1 statement)",
    "Mixed (2 for, 1 against)", "Answered in part (3 statements)", "Not covered"."""
    count = {s: sum(st.stance == s for st in answer.statements) for s in STANCE_LABELS}
    if answer.verdict == "yes":
        return f"{answer.label} ({_n(count['supports'], 'statement')})"
    if answer.verdict == "no":
        return f"{answer.label} ({_n(count['contradicts'], 'statement')})"
    if answer.verdict == "mixed":
        return f"{answer.label} ({count['supports']} for, {count['contradicts']} against)"
    if answer.verdict == "answered":
        return f"{answer.label} ({_n(count['answers'], 'statement')})"
    return answer.label


def answer_lead(answer: Answer) -> tuple[str, str]:
    """The summary split for the page: the label (shown in bold) and the rest. The summary
    starts with its label ("Yes: 1 statement …", "Not covered by …"), so the page shows the
    summary once with its first words bold; otherwise the whole summary follows the label."""
    label, summary = answer.label, answer.summary
    if summary.startswith(label):
        return label, summary[len(label) :]
    return label, f" — {summary}"


def match_line(selection: Selection, retrieved: int) -> str:
    """ "The primary paper addresses the question with probability 0.95 (calibrated; a paper
    counts at ≥ 0.5); search rank 1 of 12 retrieved." Numbers and fixed words only."""
    coverage = selection.coverage
    if selection.rank_in_retrieved:
        rank = f"search rank {selection.rank_in_retrieved} of {retrieved} retrieved"
    else:
        rank = f"not among the {retrieved} papers retrieved"
    if selection.corpus_rank:
        rank += f"; rank {selection.corpus_rank} of {selection.corpus_size} in the corpus"
    return (
        f"The primary paper addresses the question with probability {selection.match:.2f} "
        f"(calibrated; a paper counts at ≥ {coverage.threshold:g}); {rank}."
    )


def coverage_line(coverage: Coverage) -> str:
    """ "Coverage: the best of the 12 papers searched addresses the question with probability
    0.99 — covered" (or "— not covered")."""
    verdict = "covered" if coverage.covered else "not covered"
    return (
        f"Coverage: the best of the {_n(coverage.papers, 'paper')} searched addresses the "
        f"question with probability {coverage.probability:.2f} — {verdict}."
    )


def why_waiting(entry: Any) -> str:
    """Why a draft is not published, in one line (an entry has .summary and .standing)."""
    s, d = entry.standing, entry.summary
    if s.state == "stale":
        return f"the owner's decision ({s.decided_by}) was about an earlier version: " + (
            "; ".join(s.changes)
        )
    if s.state == "not_owner":
        return f"the decision recorded by {s.decided_by} does not count: not an owner"
    if s.state == "revise_requested":
        note = f": {s.decision.note}" if s.decision and s.decision.note else ""
        return f"the owner asked for a revision ({s.decided_by}){note}"
    return str(d.reason)


@dataclass(frozen=True)
class RowStatus:
    """How the index marks a draft: its filter keys, and the chips a reader sees."""

    keys: tuple[str, ...]  # published | awaiting, and not-covered, stale
    chips: tuple[tuple[str, str], ...]  # (css class, text)
    note: str

    @property
    def sort_key(self) -> str:
        return " ".join(text for _, text in self.chips)


def row_status(entry: Any) -> RowStatus:
    """Published, awaiting review, not covered, stale decision: told apart at a glance."""
    s, d = entry.standing, entry.summary
    keys: list[str] = []
    chips: list[tuple[str, str]] = []
    if s.published:
        keys.append("published")
        by = (
            f"approved by {s.decided_by}"
            if s.state == "owner_approved"
            else "approved by the tribunal"
        )
        chips.append(("published", "✓ Published"))
        note = by
    else:
        keys.append("awaiting")
        chips.append(("awaiting", "⚑ Awaiting review"))
        note = why_waiting(entry)
    if s.state == "stale":
        keys.append("stale")
        chips.append(("stale", "↻ Stale decision"))
    if not d.covered:
        keys.append("not-covered")
        chips.append(("not-covered", "∅ Not covered"))
    return RowStatus(tuple(keys), tuple(chips), note)


def template_globals() -> dict[str, object]:
    """The helpers and labels the page and the PDF templates share, by the names they use."""
    return {
        "counts": state_counts,
        "state_meanings": STATE_MEANINGS,
        "stance_meanings": STANCE_MEANINGS,
        "answer_lead": answer_lead,
        "match_line": match_line,
        "coverage_line": coverage_line,
        "stances_in": stances_in,
        "dropped_line": dropped_line,
        "why_waiting": why_waiting,
        "row_status": row_status,
    }

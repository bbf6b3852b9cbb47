"""Methodology and Uncertainties, written from what actually ran (never fixed text)."""

from __future__ import annotations

from ..models import Draft


def _quoted(items: tuple[str, ...]) -> str:
    return "; ".join(f"“{q}”" for q in items)


def methodology(d: Draft) -> list[str]:
    """One paragraph per stage, with the numbers of this run."""
    first = d.rounds[0]
    search = first.search
    origin = (
        "given in the question file"
        if d.plan.origin == "question-file"
        else ("derived from the question by keyphrase extraction")
    )
    per_source = sum(h.hits for h in search.per_query)
    lines = [
        f"Search: {len(d.plan.queries)} queries {origin} — {_quoted(d.plan.queries)} — run "
        f"concurrently against {', '.join(d.provenance.sources)}; {per_source} hits merged and "
        f"de-duplicated into {search.pool_size} distinct papers, of which the {len(search.papers)} "
        f"most relevant to the question were kept (relevance: {d.provenance.relevance_model}).",
        (
            f"Primary paper: pinned by the question file (arXiv:{d.selection.primary.id})."
            if d.selection.pinned
            else f"Primary paper: the best-ranked retrieved paper (arXiv:{d.selection.primary.id})."
        ),
        f"Claims: {d.extraction.method}; {len(d.extraction.claims)} of {d.extraction.sentences} "
        f"abstract sentences kept as findings or contributions, {d.extraction.background_skipped} "
        "set aside as background, motivation or questions.",
        f"Verification: {first.verification.method}, each claim against "
        f"{first.verification.sentences_compared} sentences of the "
        f"{first.verification.papers_compared} other retrieved papers; a claim's confidence is its "
        "best cosine, and that sentence is shown as its evidence.",
        f"Tribunal: {d.final.tribunal.backend}. The tribunal score = mean of the three roles; "
        f"APPROVE at ≥ {d.final.tribunal.approve_at:g}, REJECT below "
        f"{d.final.tribunal.reject_below:g}, otherwise REVISE with a revision round.",
        "Embeddings: none (offline); language model: none (offline rules).",
    ]
    for r in d.rounds[1:]:
        lines.append(r.note)
    return lines


def uncertainties(d: Draft) -> list[str]:
    """What a reader should doubt about this draft, from the run's own signals."""
    final = d.final
    checks = final.verification.checks
    unverified = [c for c in checks if not c.verified]
    notes = []
    if d.selection.mismatch:
        notes.append("Question–paper mismatch: " + "; ".join(d.selection.mismatch_reasons) + ".")
    failures = [h for r in d.rounds for h in r.search.per_query if h.error]
    for h in failures:
        notes.append(f"Source {h.source} failed for query “{h.query}”: {h.error}.")
    empty = [h for h in d.rounds[0].search.per_query if not h.error and h.hits == 0]
    if empty:
        notes.append(
            f"{len(empty)} of {len(d.rounds[0].search.per_query)} queries returned nothing."
        )
    if "local" in " ".join(d.provenance.sources):
        notes.append(
            f"Only the bundled offline corpus was searched ({d.provenance.sources[0]}); "
            "relevant papers outside it were not considered."
        )
    notes.append(
        "Only abstracts were read: claims and evidence come from abstracts, not full texts."
    )
    if not checks:
        notes.append("No findings or contributions were found in the primary paper's abstract.")
    elif unverified:
        notes.append(
            f"{len(unverified)} of {len(checks)} claims found no sentence at cosine ≥ "
            f"{final.verification.threshold:g} in the other papers; that is absence of overlapping "
            "wording, not evidence against the claim."
        )
    if any(c.verified for c in checks):
        notes.append(
            "TF-IDF cosine measures shared wording, not entailment: a verified claim's evidence "
            "may still qualify or contradict it. Read the evidence column."
        )
    weakest = min(
        (s for role in final.tribunal.roles for s in role.signals), key=lambda s: s.normalized
    )
    notes.append(f"Weakest tribunal signal: {weakest.name.replace('_', ' ')} ({weakest.detail}).")
    if len(d.rounds) > 1:
        scores = " → ".join(f"{r.tribunal.score:.1f}" for r in d.rounds)
        notes.append(f"The revision round changed the tribunal score {scores}.")
    notes.append(
        "Claims are whole abstract sentences selected by cue phrases; no language model checked "
        "or rephrased them."
    )
    return notes

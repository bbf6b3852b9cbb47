"""Methodology and Uncertainties, written from what actually ran (never fixed text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..models import Draft

if TYPE_CHECKING:
    from ..ledger import Summary


def _quoted(items: tuple[str, ...]) -> str:
    return "; ".join(f"“{q}”" for q in items)


def _ref(paper_id: str) -> str:
    return f"arXiv:{paper_id}" if ":" not in paper_id else paper_id


def models_used(d: Draft) -> str:
    """The embedding and language models that actually ran, or 'none (offline)'."""
    semantic = d.rounds[0].verification.semantic_method
    embedding = semantic or (
        d.provenance.relevance_model if "TF-IDF" not in d.provenance.relevance_model else None
    )
    llm = [
        stage
        for stage, used in (
            ("query planning", d.plan.origin == "llm"),
            ("claim extraction", d.extraction.method.startswith("LLM")),
            ("tribunal", d.final.tribunal.backend.startswith("LLM")),
        )
        if used
    ]
    model = d.plan.model or next(
        (m for m in (d.extraction.method, d.final.tribunal.backend) if m.startswith("LLM")), None
    )
    parts = [f"embeddings: {embedding}" if embedding else "embeddings: none (offline TF-IDF)"]
    if llm:
        parts.append(f"language model for {', '.join(llm)}: {model}")
    else:
        parts.append("language model: none (offline rules)")
    return "; ".join(parts)


def methodology(d: Draft) -> list[str]:
    """One paragraph per stage, with the numbers of this run."""
    first = d.rounds[0]
    search = first.search
    origin = {
        "question-file": "given in the question file",
        "keyphrases": "derived from the question by keyphrase extraction",
        "llm": f"written by the language model {d.plan.model}",
    }[d.plan.origin]
    per_source = sum(h.hits for h in search.per_query)
    lines = [
        f"Search: {len(d.plan.queries)} queries {origin} — {_quoted(d.plan.queries)} — run "
        f"concurrently against {', '.join(d.provenance.sources)}; {per_source} hits merged and "
        f"de-duplicated into {search.pool_size} distinct papers, of which the {len(search.papers)} "
        f"most relevant to the question were kept (relevance: {d.provenance.relevance_model}).",
        (
            f"Primary paper: pinned by the question file ({_ref(d.selection.primary.id)})."
            if d.selection.pinned
            else f"Primary paper: the best-ranked retrieved paper ({_ref(d.selection.primary.id)})."
        ),
        f"Claims: {d.extraction.method}; {len(d.extraction.claims)} of {d.extraction.sentences} "
        f"abstract sentences kept as findings or contributions, {d.extraction.background_skipped} "
        "set aside as background, motivation or questions.",
        f"Verification: {first.verification.method}, each claim against "
        f"{first.verification.sentences_compared} sentences of the "
        f"{first.verification.papers_compared} other retrieved papers; a claim's confidence is its "
        "best cosine, and that sentence is shown as its evidence."
        + (
            f" Semantic evidence scores (shown, not used to verify): "
            f"{first.verification.semantic_method}, each claim's best cosine to any evidence "
            "sentence."
            if first.verification.semantic_method
            else ""
        ),
        f"Tribunal: {d.final.tribunal.backend}. The tribunal score = mean of the three roles; "
        f"APPROVE at ≥ {d.final.tribunal.approve_at:g}, REJECT below "
        f"{d.final.tribunal.reject_below:g}, otherwise REVISE with a revision round.",
        f"Models: {models_used(d)}.",
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
    for failure in d.failures:
        notes.append(f"Failed: {failure}. This draft was built on partial data.")
    empty = [h for h in d.rounds[0].search.per_query if not h.error and h.hits == 0]
    if empty:
        notes.append(
            f"{len(empty)} of {len(d.rounds[0].search.per_query)} queries returned nothing."
        )
    if d.rounds[0].search.sources == ("local",):
        notes.append(
            f"Only the offline corpus was searched ({d.provenance.sources[0]}); "
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
    if d.extraction.method.startswith("LLM"):
        notes.append(
            "Claims were written by a language model from the abstract; each may paraphrase or "
            "compress the paper's wording."
        )
    else:
        notes.append(
            "Claims are whole abstract sentences selected by cue phrases; no language model "
            "checked or rephrased them."
        )
    if d.final.tribunal.backend.startswith("LLM"):
        notes.append("The tribunal's scores are a language model's judgement and prompt-sensitive.")
    return notes


def build_mode(summaries: Sequence[Summary]) -> str:
    """One sentence for the index: did this build run live or offline, and with what."""
    if not summaries:
        return ""
    sources = list(dict.fromkeys(s for d in summaries for s in d.sources))
    models = list(dict.fromkeys(d.models for d in summaries))
    live = any(d.live for d in summaries) or any(m.count("none (offline") < 2 for m in models)
    kind = "Built live" if live else "Built offline (no API key, no network)"
    return f"{kind}: sources {'; '.join(sources)}; {' | '.join(models)}."

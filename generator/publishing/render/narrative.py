"""Methodology and Uncertainties, written from what actually ran (never fixed text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from generator.drafting.models import Draft, RoleReview, TribunalResult, Verification


class Made(Protocol):
    """How one draft was made, as the index needs it (the ledger's `Summary` has it)."""

    @property
    def sources(self) -> tuple[str, ...]: ...
    @property
    def models(self) -> str: ...
    @property
    def live(self) -> bool: ...


def _quoted(items: tuple[str, ...]) -> str:
    return "; ".join(f"“{q}”" for q in items)


def _ref(paper_id: str) -> str:
    return f"arXiv:{paper_id}" if ":" not in paper_id else paper_id


def _remote(model: str) -> bool:
    """Whether an embedding model's description names a web service (not TF-IDF, not local)."""
    return "TF-IDF" not in model and "local" not in model


def _llm_stages(d: Draft, *, attempted: bool = False) -> list[tuple[str, str]]:
    """(stage, what ran) for every stage a language model did, in pipeline order. With
    `attempted`, also a tribunal configured with a language model whose every answer failed
    (it still used the network)."""
    stance = next(
        (r.verification.stance_method for r in d.rounds if _is_llm(r.verification.stance_method)),
        None,
    )
    answer = next((r.answer.method for r in d.rounds if _is_llm(r.answer.method)), None)
    tribunal = next(
        (
            judge_of(role, r.tribunal)
            for r in d.rounds
            for role in r.tribunal.roles
            if _is_llm(judge_of(role, r.tribunal))
        ),
        None,
    )
    if attempted and not tribunal and _is_llm(d.final.tribunal.backend):
        tribunal = d.final.tribunal.backend
    found = [
        ("query planning", (d.plan.model or "LLM") if d.plan.origin == "llm" else None),
        ("claim extraction", d.extraction.method if _is_llm(d.extraction.method) else None),
        ("stance judging", stance),
        ("answer", answer),
        ("tribunal", tribunal),
    ]
    return [(stage, str(ran)) for stage, ran in found if ran]


def judge_of(role: RoleReview, tribunal: TribunalResult) -> str:
    """Who scored a role: its own record, or (drafts made before roles kept one) the
    tribunal's backend."""
    return role.judge or tribunal.backend


def _names(roles: Sequence[str]) -> str:
    return roles[0] if len(roles) == 1 else f"{', '.join(roles[:-1])} and {roles[-1]}"


RULES_FORMULA = "role score = 10 × Σ weight × normalised signal"
MEAN = "tribunal score = mean of the roles"


def tribunal_note(t: TribunalResult) -> str:
    """Who scored the round's roles, truthfully per role: a language model's judgement only
    for the roles a language model actually scored; the rules formula for the others,
    including roles whose language-model answer failed."""
    llm = [r.role for r in t.roles if _is_llm(judge_of(r, t))]
    rules = [r.role for r in t.roles if not _is_llm(judge_of(r, t))]
    failed = [r.role for r in t.roles if not _is_llm(judge_of(r, t)) and "failed" in r.judge]
    if not llm:
        line = f"Role score = 10 × Σ weight × normalised signal; {MEAN}."
        if failed:
            line += (
                f" The language model's answer failed for {_names(failed)}: "
                f"{'that role was' if len(failed) == 1 else 'those roles were'} scored by the "
                "rules rubric, not by a language model."
            )
        return line
    if not rules:
        return (
            "Role scores and rationales are the language model's judgements of these signals and "
            f"the claims; the weights shown are the rules rubric's, not used by it. T{MEAN[1:]}."
        )
    why = " (the language model's answer failed)" if failed else ""
    return (
        f"{_names(llm)}: score and rationale are the language model's judgement of these "
        f"signals and the claims. {_names(rules)}: scored by the rules rubric{why}, "
        f"{RULES_FORMULA}. T{MEAN[1:]}."
    )


def tribunal_notes(d: Draft) -> list[str]:
    """The note under the tribunal: one when every round was scored alike, else one per
    round ("Round 1: …")."""
    notes = [tribunal_note(r.tribunal) for r in d.rounds]
    if len(set(notes)) == 1:
        return notes[:1]
    return [f"Round {r.index}: {note}" for r, note in zip(d.rounds, notes, strict=True)]


def _is_llm(description: str) -> bool:
    return description.startswith("LLM")


def models_used(d: Draft) -> str:
    """The embedding and language models that actually ran, or 'none (offline)'."""
    relevance = d.provenance.relevance_model
    semantic = d.rounds[0].verification.semantic_method
    embeddings = [
        *([f"{relevance} (relevance)"] if "TF-IDF" not in relevance else []),
        *([f"{semantic} (verification)"] if semantic else []),
    ]
    parts = [
        f"embeddings: {'; '.join(embeddings)}"
        if embeddings
        else "embeddings: none (offline TF-IDF)"
    ]
    llm = _llm_stages(d)
    if llm:
        model = d.plan.model or llm[0][1]
        parts.append(f"language model for {', '.join(s for s, _ in llm)}: {model}")
    else:
        parts.append("language model: none (offline rules)")
    return "; ".join(parts)


def is_live(d: Draft) -> bool:
    """Whether making the draft used the network: a live source, a remote embedding model or
    a language model."""
    models = [d.provenance.relevance_model, *(r.verification.semantic_method for r in d.rounds)]
    return (
        any(r.search.sources != ("local",) for r in d.rounds)
        or any(_remote(m) for m in models if m)
        or bool(_llm_stages(d, attempted=True))
    )


def methodology(d: Draft) -> list[str]:
    """One paragraph per stage, with the numbers of this run."""
    first = d.rounds[0]
    search = first.search
    coverage = d.selection.coverage
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
            else "Primary paper: the retrieved paper with an abstract most probably addressing the "
            f"question ({_ref(d.selection.primary.id)}; relevance model: {coverage.method})."
        ),
        f"Coverage: whether any of the {coverage.papers} papers searched addresses the question "
        "at all, on an absolute scale, never relative to the other papers; "
        + (
            f"relevance model: {coverage.method}."
            if d.selection.pinned
            else "same relevance model."
        ),
        claims_line(d),
        verification_line(first.verification),
        f"Answer: {d.answer.method}.",
        f"Tribunal: {d.final.tribunal.backend}. The tribunal score = mean of the three roles; "
        f"APPROVE at ≥ {d.final.tribunal.approve_at:g}, REJECT below "
        f"{d.final.tribunal.reject_below:g}, otherwise REVISE with a revision round.",
        f"Models: {models_used(d)}.",
    ]
    for r in d.rounds[1:]:
        lines.append(r.note)
    return lines


def claims_line(d: Draft) -> str:
    """What the extract stage ran and kept, and what its claim gate dropped."""
    e = d.extraction
    line = (
        f"Claims: {e.method}; {len(e.claims)} of {e.sentences} abstract sentences kept as "
        f"findings or contributions, {e.background_skipped} set aside as background, "
        "motivation or questions."
    )
    if e.dropped:
        line += (
            f" {len(e.dropped)} claim{'' if len(e.dropped) == 1 else 's'} the language model "
            "wrote dropped: the abstract does not state them."
        )
    return line


def verification_line(v: Verification) -> str:
    """What the verify stage ran, from its own record."""
    line = (
        f"Verification: {v.method}; each claim against {v.sentences_compared} sentences of the "
        f"{v.papers_compared} other retrieved papers, the strongest paper's evidence sentence "
        "shown."
    )
    if v.semantic_method:
        line += f" Semantic model: {v.semantic_method}."
    if v.stance_method:
        line += (
            f" Stance (supports or contradicts) judged where the evidence is strong, by "
            f"{v.stance_method}."
        )
    if v.calibration:
        line += f" Calibration: {v.calibration}."
    return line + (
        f" The seeds' TF-IDF cosine is shown beside each claim for comparison (the seeds "
        f"counted a claim verified at ≥ {v.threshold:g})."
    )


def uncertainties(d: Draft) -> list[str]:
    """What a reader should doubt about this draft, from the run's own signals.

    Long by design: a list of independent checks, each adding at most one sentence, in the
    order the section prints them."""
    final = d.final
    checks = final.verification.checks
    answer = d.answer
    coverage = d.selection.coverage
    notes = []
    if not coverage.covered:
        notes.append(
            f"Not covered: none of the {coverage.papers} papers searched addresses the question "
            f"(the best reaches probability {coverage.probability:.2f}; a paper counts at "
            f"≥ {coverage.threshold:g}). The primary paper and its claims are the closest found, "
            "not an answer to the question."
        )
    elif answer.verdict == "not_answered":
        notes.append(
            "Not answered: no finding in the papers that address the question bears on it "
            "strongly enough to answer it; the statements shown, if any, are the closest "
            "sentences, not an answer."
        )
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
    if answer.statements:
        notes.append(
            "The answer's statements are single sentences quoted from abstracts, chosen by their "
            "similarity to the question; the full texts may qualify them."
        )
    if any(st.text for st in answer.statements):
        notes.append(
            "The wording beside each quoted statement is a language model's; only the quoted "
            "sentence is the paper's."
        )
    if not checks:
        notes.append("No findings or contributions were found in the primary paper's abstract.")
    contradicted = [c for c in checks if c.state == "contradicted"]
    unsupported = [c for c in checks if c.state in ("related", "no_evidence")]
    if contradicted:
        notes.append(
            f"{len(contradicted)} of {len(checks)} claims are contradicted by a sentence of "
            "another retrieved paper; read that evidence before relying on the claim."
        )
    if unsupported:
        related = sum(c.state == "related" for c in unsupported)
        notes.append(
            f"{len(unsupported)} of {len(checks)} claims found no supporting evidence in the "
            f"other retrieved abstracts ({related} related only, {len(unsupported) - related} "
            "without evidence); that is absence of support, not evidence against the claim."
        )
    judged = {c.evidence.judge for c in checks if c.evidence and c.evidence.judge}
    if "rules" in judged:
        notes.append(
            "The rules stance judge reads negation, direction-of-change and null-finding cues "
            "in one sentence: a contradiction stated in other words can pass as support."
        )
    if "llm" in judged:
        notes.append("Stance was judged by a language model, from one evidence sentence.")
    if final.verification.calibration and any(c.evidence for c in checks):
        notes.append(
            "Confidence is calibrated on SciFact (biomedical claims and abstracts), not on "
            "papers of this field: read it as approximate."
        )
    weakest = min(
        (s for role in final.tribunal.roles for s in role.signals), key=lambda s: s.normalized
    )
    notes.append(f"Weakest tribunal signal: {weakest.name.replace('_', ' ')} ({weakest.detail}).")
    if len(d.rounds) > 1:
        scores = " → ".join(f"{r.tribunal.score:.1f}" for r in d.rounds)
        notes.append(f"The revision round changed the tribunal score {scores}.")
    if d.extraction.dropped:
        n = len(d.extraction.dropped)
        notes.append(
            f"{n} of the claims the language model wrote {'was' if n == 1 else 'were'} dropped "
            "because the primary paper's abstract does not state them; the claims kept may "
            "still paraphrase it loosely."
        )
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
    notes.append(tribunal_uncertainty(final.tribunal))
    return notes


def tribunal_uncertainty(t: TribunalResult) -> str:
    """How far to trust the tribunal's scores, from who actually gave them."""
    llm = [r.role for r in t.roles if _is_llm(judge_of(r, t))]
    rules = [r.role for r in t.roles if not _is_llm(judge_of(r, t))]
    if llm and not rules:
        return "The tribunal's scores are a language model's judgement and prompt-sensitive."
    if llm:
        return (
            f"The scores of {_names(llm)} are a language model's judgement and prompt-sensitive; "
            f"{_names(rules)} {'was' if len(rules) == 1 else 'were'} scored by the rules rubric "
            "(a fixed weighting of measured signals)."
        )
    if _is_llm(t.backend):
        return (
            "The language model's answers failed for every tribunal role: all were scored by the "
            "rules rubric, a fixed weighting of measured signals; no language model judged this "
            "draft."
        )
    return (
        "The tribunal's scores are a fixed weighting of measured signals (rules rubric): they "
        "count and weigh, they do not read the paper."
    )


def build_mode(summaries: Sequence[Made]) -> str:
    """One sentence for the index: did this build run live or offline, and with what."""
    if not summaries:
        return ""
    sources = list(dict.fromkeys(s for d in summaries for s in d.sources))
    models = list(dict.fromkeys(d.models for d in summaries))
    kind = (
        "Built live" if any(d.live for d in summaries) else "Built offline (no API key, no network)"
    )
    return f"{kind}: sources {'; '.join(sources)}; {' | '.join(models)}."

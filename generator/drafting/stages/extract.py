"""extract: claims from the primary paper's abstract — findings and contributions only.

Each sentence's role is read by a fitted model (verifier/roles.py) from cue phrases — what the
paper proposes (contribution) or shows (finding), and motivation or background ("have shown
promise", "remain poorly understood", "existing approaches") — with the sentence's place in
the abstract and its wording. Questions and code links never count. Claims written by a
language model pass a gate: each must be stated by, or follow from, a sentence of the paper's
abstract (the verifier's strength and stance), or it is dropped and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from generator.drafting.models import Claim, ClaimKind, Extraction, Paper
from generator.drafting.textutil import split_sentences
from generator.drafting.verifier.cues import BACKGROUND, CONTRIBUTION, FINDING, NEVER, hits
from generator.inputs.settings import ExtractSettings

if TYPE_CHECKING:
    from generator.drafting.llm.client import LlmClient
    from generator.drafting.verifier.grounding import Grounder

VERSION = "3"  # 3: fitted sentence-role model; LLM claims gated by the paper's abstract

LEADING = re.compile(
    r"^(?:moreover|furthermore|additionally|in addition|finally|specifically|notably|importantly|"
    r"overall|concretely|in particular|as a result|to this end|in this (?:paper|work)),\s+",
    re.I,
)


# P(claim) at which a sentence is taken as a claim: precision before recall, since a background
# sentence in the claims table misleads (cross-validated on bench/claim_sentences.yaml:
# precision 0.906, recall 0.868 here; 0.863 and 0.965 at 0.5).
CLAIM_AT = 0.6


@dataclass(frozen=True)
class SentenceRole:
    """What one abstract sentence does: `kind` None for background, with P(it is a claim)
    and the cue phrases found in it."""

    kind: ClaimKind | None
    probability: float
    cues: tuple[str, ...]


def method() -> str:
    from generator.drafting.verifier.roles import load_roles

    return (
        "sentence-role classifier over the abstract (logistic model over cue phrases, place "
        f"in the abstract and wording, fitted on {load_roles().fitted_on})"
    )


def classify(sentences: list[str]) -> list[SentenceRole]:
    """The role of every sentence of one abstract, in order."""
    return list(_classify(tuple(sentences)))


@lru_cache(maxsize=4096)
def _classify(sentences: tuple[str, ...]) -> tuple[SentenceRole, ...]:
    # NOTE: memoised by abstract: the same papers come back for question after question.
    if not sentences:
        return ()
    import numpy as np

    from generator.drafting.verifier.roles import features, load_roles

    rows = np.array([features(s, i, len(sentences)) for i, s in enumerate(sentences)])
    found = []
    for sentence, (finding, contribution, background) in zip(
        sentences, load_roles().probabilities(rows), strict=True
    ):
        claim = 1.0 - float(background)
        cues = tuple(hits(CONTRIBUTION, sentence) + hits(FINDING, sentence))
        kind: ClaimKind | None = "finding" if finding >= contribution else "contribution"
        if NEVER.search(sentence) or len(sentence.split()) < 5 or claim < CLAIM_AT:
            kind, cues = None, tuple(hits(BACKGROUND, sentence))
        found.append(SentenceRole(kind, round(claim, 4), cues))
    return tuple(found)


def _tidy(sentence: str) -> str:
    stripped = LEADING.sub("", sentence)
    return stripped[:1].upper() + stripped[1:] if stripped != sentence else sentence


def extract(
    paper: Paper,
    settings: ExtractSettings,
    llm: LlmClient | None = None,
    grounder: Grounder | None = None,
) -> Extraction:
    """Claims by the LLM when one is configured, else by the sentence-role model; a failing
    LLM is recorded in `failures` and the model's claims are used instead. The LLM's claims
    pass the gate: those no sentence of the abstract states are dropped (`dropped`)."""
    if llm is None:
        return rule_extract(paper, settings)
    from generator.drafting.llm.schemas import ExtractAnswer
    from generator.machinery.http import ServiceError

    sentences = split_sentences(paper.abstract)
    try:
        answer = llm.ask(
            "extract",
            {"title": paper.title, "abstract": paper.abstract, "max_claims": settings.max_claims},
            ExtractAnswer,
        )
    except ServiceError as exc:
        failure = f"LLM claim extraction failed ({exc}); the sentence-role claims were used instead"
        return rule_extract(paper, settings).model_copy(update={"failures": (failure,)})
    written = [(" ".join(c.text.split()), c.kind) for c in answer.claims[: settings.max_claims]]
    if grounder is None:
        raise ValueError("claims written by a language model need a grounder to check them")
    checks = grounder.ground([text for text, _ in written], sentences)
    claims = tuple(
        Claim(text=text, sentence_index=check.sentence or 0, kind=kind, cues=("llm",))
        for (text, kind), check in zip(written, checks, strict=True)
        if check.grounded
    )
    dropped = tuple(
        f"{text} — {check.reason}"
        for (text, _), check in zip(written, checks, strict=True)
        if not check.grounded
    )
    used = {c.sentence_index for c in claims}
    return Extraction(
        claims=claims,
        sentences=len(sentences),
        background_skipped=len(sentences) - len(used),
        method=f"LLM claim extraction ({llm.describe()}, prompt {llm.prompt_version('extract')}); "
        "each claim kept only when a sentence of the abstract states it (the verifier's "
        "strength, rules stance and numbers)",
        dropped=dropped,
    )


def rule_extract(paper: Paper, settings: ExtractSettings) -> Extraction:
    """The paper's findings and contributions, in abstract order: the `max_claims` most
    probable claims."""
    sentences = split_sentences(paper.abstract)
    roles = classify(sentences)
    scored = [(r, i) for i, r in enumerate(roles) if r.kind]
    best = sorted(scored, key=lambda s: (-s[0].probability, s[1]))[: settings.max_claims]
    claims = tuple(
        Claim(text=_tidy(sentences[i]), sentence_index=i, kind=r.kind, cues=r.cues)
        for r, i in sorted(best, key=lambda s: s[1])
        if r.kind
    )
    return Extraction(
        claims=claims,
        sentences=len(sentences),
        background_skipped=len(sentences) - len(scored),
        method=method(),
    )

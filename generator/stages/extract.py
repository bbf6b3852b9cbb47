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

from ..models import Claim, ClaimKind, Extraction, Paper
from ..settings import ExtractSettings
from ..textutil import split_sentences

if TYPE_CHECKING:
    from ..llm.client import LlmClient
    from ..verifier.grounding import Grounder

VERSION = "3"  # 3: fitted sentence-role model; LLM claims gated by the paper's abstract

CONTRIBUTION = [
    r"\bwe (?:propose|introduce|present|develop|design|build|construct|formulate|release|devise)",
    r"\b(?:this|our) (?:paper|work|study) (?:proposes|introduces|presents|develops)",
    r"\bour (?:\w+ ){0,2}"
    r"(?:method|approach|model|framework|system|algorithm|design|merging|technique)\b",
    r"\b(?:is|are) proposed\b",
    r"\bnovel\b",
]
FINDING = [
    r"\bwe (?:show|find|found|demonstrate|observe|reveal|report|confirm|verify|prove|"
    r"establish|identify)",
    r"\b(?:results?|experiments?|evaluations?|analys[ie]s|studies)\b[^.;]{0,60}?\b(?:show|indicate|demonstrate|reveal|suggest|confirm|validate|verify)",
    r"\b(?:reveals|shows|demonstrates|indicates)\b",
    r"\b(?:achiev|outperform|surpass|improv|reduc|accelerat|speedup|boost|exceed|yield|attain|saving)\w*",
    r"\d+(?:\.\d+)?\s?(?:%|×|x\b|times\b)",
    r"\b(?:state-of-the-art|sota|significantly|substantially|consistently|up to)\b",
    r"\b(?:better|faster|higher|lower|fewer|smaller|larger) than\b",
]
BACKGROUND = [
    r"\b(?:have|has) (?:shown|become|been|emerged|attracted|gained|achieved)",
    r"\b(?:remain|remains)\b",
    r"^(?:however|yet|although|while|despite|unfortunately)\b",
    r"\b(?:difficult|costly|expensive|prohibitive|impractical)\b",
    r"\b(?:existing|prior|previous|conventional|traditional|vanilla|typical(?:ly)?|recent(?:ly)?)\b",
    r", however,",
    r"\b(?:prone to|suffer|suffers|challeng\w*|struggle\w*|limited|bottleneck|"
    r"poorly understood|drawbacks?)\b",
    r"\b(?:is|are) (?:commonly|widely|often|usually)\b",
]
NEVER = re.compile(
    r"\?|https?://|\bgithub\b|\bcode (?:is|and \w+ are) (?:publicly )?available", re.I
)
LEADING = re.compile(
    r"^(?:moreover|furthermore|additionally|in addition|finally|specifically|notably|importantly|"
    r"overall|concretely|in particular|as a result|to this end|in this (?:paper|work)),\s+",
    re.I,
)


def hits(patterns: list[str], sentence: str) -> list[str]:
    lowered = sentence.lower()
    found = []
    for pattern in patterns:
        match = re.search(pattern, lowered)
        if match:
            found.append(match.group(0).strip())
    return found


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
    from ..verifier.roles import load_roles

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

    from ..verifier.roles import features, load_roles

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
    from ..http import ServiceError
    from ..llm.schemas import ExtractAnswer

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

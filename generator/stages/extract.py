"""extract: claims from the primary paper's abstract — findings and contributions only.

Each sentence is scored by cue phrases: what the paper proposes (contribution) or shows
(finding) counts for it; motivation and background ("have shown promise", "remain poorly
understood", "existing approaches") count against it. Questions and code links never count.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..models import Claim, ClaimKind, Extraction, Paper
from ..settings import ExtractSettings
from ..textutil import split_sentences

if TYPE_CHECKING:
    from ..llm.client import LlmClient

VERSION = "2"
METHOD = f"cue-phrase sentence classifier over the abstract (rules v{VERSION})"

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


def _hits(patterns: list[str], sentence: str) -> list[str]:
    lowered = sentence.lower()
    found = []
    for pattern in patterns:
        match = re.search(pattern, lowered)
        if match:
            found.append(match.group(0).strip())
    return found


def classify(sentence: str) -> tuple[ClaimKind | None, float, tuple[str, ...]]:
    """('contribution' | 'finding' | None, score, cues) for one sentence."""
    if NEVER.search(sentence) or len(sentence.split()) < 5:
        return None, 0.0, ()
    contribution = _hits(CONTRIBUTION, sentence)
    finding = _hits(FINDING, sentence)
    background = _hits(BACKGROUND, sentence)
    score = 1.5 * len(contribution) + len(finding) - 1.5 * len(background)
    if score <= 0 or not (contribution or finding):
        return None, score, tuple(background)
    kind: ClaimKind = (
        "contribution" if contribution and 1.5 * len(contribution) >= len(finding) else "finding"
    )
    return kind, score, tuple(contribution + finding)


def _tidy(sentence: str) -> str:
    stripped = LEADING.sub("", sentence)
    return stripped[:1].upper() + stripped[1:] if stripped != sentence else sentence


def extract(paper: Paper, settings: ExtractSettings, llm: LlmClient | None = None) -> Extraction:
    """Claims by the LLM when one is configured, else by cue phrases; a failing LLM is
    recorded in `failures` and the cue-phrase claims are used instead."""
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
        failure = f"LLM claim extraction failed ({exc}); cue-phrase claims were used instead"
        return rule_extract(paper, settings).model_copy(update={"failures": (failure,)})
    claims = tuple(
        Claim(
            text=" ".join(c.text.split()),
            sentence_index=_closest_sentence(c.text, sentences),
            kind=c.kind,
            cues=("llm",),
        )
        for c in answer.claims[: settings.max_claims]
    )
    used = {c.sentence_index for c in claims}
    return Extraction(
        claims=claims,
        sentences=len(sentences),
        background_skipped=len(sentences) - len(used),
        method=f"LLM claim extraction ({llm.describe()}, prompt {llm.prompt_version('extract')})",
    )


def _closest_sentence(claim: str, sentences: list[str]) -> int:
    """Index of the abstract sentence sharing most words with an LLM-written claim."""
    words = set(re.findall(r"\w+", claim.lower()))
    overlaps = [len(words & set(re.findall(r"\w+", s.lower()))) for s in sentences]
    return max(range(len(overlaps)), key=overlaps.__getitem__) if overlaps else -1


def rule_extract(paper: Paper, settings: ExtractSettings) -> Extraction:
    """The paper's findings and contributions, in abstract order, at most `max_claims`."""
    sentences = split_sentences(paper.abstract)
    scored: list[tuple[float, int, ClaimKind, tuple[str, ...], str]] = []
    for index, sentence in enumerate(sentences):
        kind, score, cues = classify(sentence)
        if kind:
            scored.append((score, index, kind, cues, sentence))
    best = sorted(scored, key=lambda s: (-s[0], s[1]))[: settings.max_claims]
    claims = tuple(
        Claim(text=_tidy(sentence), sentence_index=index, kind=kind, cues=cues)
        for _, index, kind, cues, sentence in sorted(best, key=lambda s: s[1])
    )
    return Extraction(
        claims=claims,
        sentences=len(sentences),
        background_skipped=len(sentences) - len(scored),
        method=METHOD,
    )

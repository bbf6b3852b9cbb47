"""Measured features of a (claim, sentence) pair: for choosing the evidence sentence of a
paper, and for judging its stance. Each feature has a name, so fitted weights are readable."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from generator.drafting.verifier.lexicon import (
    DOWN,
    NEGATION,
    NULL_FINDING,
    UP,
    anchors,
    count,
    polarity,
)

SELECTOR_FEATURES = (
    "semantic",
    "lexical",
    "coverage",
    "semantic_above_paper_mean",
    "lexical_above_paper_mean",
    "coverage_above_paper_mean",
    "semantic_below_paper_best",
    "position",
    "position_squared",
    "first_sentence",
    "last_sentence",
    "has_number",
    "length",
    "first_person",
    "finding_cue",
)
_FINDING_CUE = re.compile(
    r"\b(?:conclu\w*|suggest\w*|show\w*|demonstrat\w*|found|find|indicat\w*|associat\w*|"
    r"result\w*|reveal\w*|outperform\w*|achiev\w*|improv\w*)",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:we|our)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d")


@lru_cache(maxsize=65536)
def _wording(sentence: str) -> tuple[float, float, float, float]:
    """has_number, length, first_person, finding_cue of one sentence (memoised: a corpus's
    sentences recur for every claim)."""
    return (
        float(bool(_NUMBER.search(sentence))),
        min(len(sentence.split()), 60) / 60,
        float(bool(_FIRST_PERSON.search(sentence))),
        float(bool(_FINDING_CUE.search(sentence))),
    )


def selector_features(
    sentences: Sequence[str],
    semantic: np.ndarray | None,
    lexical: np.ndarray,
    coverage: np.ndarray,
) -> np.ndarray:
    """One row per sentence of *one paper's* abstract, in order (positions are within it)."""
    n = len(sentences)
    sem = semantic if semantic is not None else np.zeros(n)
    cov = coverage
    position = np.arange(n) / max(n - 1, 1)
    columns = [
        sem,
        lexical,
        cov,
        sem - sem.mean(),
        lexical - lexical.mean(),
        cov - cov.mean(),
        sem - sem.max(),
        position,
        position**2,
        (np.arange(n) == 0).astype(float),
        (np.arange(n) == n - 1).astype(float),
    ]
    wording = np.asarray([_wording(s) for s in sentences], dtype=float).reshape(n, 4)
    return np.column_stack([*columns, wording]).reshape(n, len(SELECTOR_FEATURES))


STANCE_FEATURES = (
    "claim_negated",
    "evidence_negated",
    "negation_mismatch",
    "claim_up_evidence_down",
    "claim_down_evidence_up",
    "evidence_null_finding",
    "claim_null_finding",
    "null_finding_mismatch",
    "direction_agreement",
    "aligned_direction_conflict",
    "aligned_direction_agreement",
    "negated_claim_closer",
)


def _direction(text: str) -> int:
    return int(np.sign(count(UP, text) - count(DOWN, text)))


def stance_features(claim: str, evidence: str, probe: float) -> list[float]:
    """Cues that the evidence says the opposite of the claim. `probe` is how much closer the
    evidence is to the negated claim than to the claim (semantic; 0 without a model)."""
    neg_c, neg_e = count(NEGATION, claim), count(NEGATION, evidence)
    up_c, down_c = count(UP, claim), count(DOWN, claim)
    up_e, down_e = count(UP, evidence), count(DOWN, evidence)
    null_c, null_e = count(NULL_FINDING, claim) > 0, count(NULL_FINDING, evidence) > 0
    aligned = np.sign(polarity(claim)) * np.sign(polarity(evidence, anchors(claim)))
    return [
        float(min(neg_c, 2)),
        float(min(neg_e, 2)),
        float((neg_c > 0) != (neg_e > 0)),
        float(up_c > 0 and down_e > 0 and up_e == 0),
        float(down_c > 0 and up_e > 0 and down_e == 0),
        float(null_e),
        float(null_c),
        float(null_c != null_e),
        float(_direction(claim) * _direction(evidence)),
        float(aligned < 0),
        float(aligned > 0),
        probe,
    ]

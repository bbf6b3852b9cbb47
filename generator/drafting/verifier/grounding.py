"""Is a written statement grounded in source sentences? The gate for what a language model writes.

A claim the model extracts must be stated by a sentence of the primary paper's abstract; a
statement it writes for the Answer must be stated by the retrieved sentence it cites. Stated
means, by the verifier alone (never by the model that wrote it): the best source sentence
reaches the "supported" evidence strength, the rules stance judge reads it as supporting, not
contradicting or unclear, no opposition cue separates the two (a negation, a null finding or
a direction of change on one side only: a restatement keeps them all), and every number in
the statement appears in the sources, so an altered figure cannot pass on the strength of the
words around it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from generator.drafting.verifier.coverage import TermWeights
from generator.drafting.verifier.features import STANCE_FEATURES, stance_features
from generator.drafting.verifier.scoring import Encoder, score
from generator.drafting.verifier.stance import RulesStanceJudge
from generator.drafting.verifier.weights import BackendWeights

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
# Cues a faithful restatement never adds or drops (features.py names them).
OPPOSITION = {
    "negation_mismatch": "a negation on one side only",
    "null_finding_mismatch": "a null finding on one side only",
    "claim_up_evidence_down": "it says up where the source says down",
    "claim_down_evidence_up": "it says down where the source says up",
    "aligned_direction_conflict": "opposite directions of change",
}


def opposition(statement: str, source: str) -> str | None:
    """The first cue that the statement turns its source around, or None."""
    values = dict(zip(STANCE_FEATURES, stance_features(statement, source, 0.0), strict=True))
    return next((words for name, words in OPPOSITION.items() if values[name]), None)


def numbers(text: str) -> set[str]:
    """The numbers a text states, as written without thousands separators ("1,024" → "1024")."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


@dataclass(frozen=True)
class Grounding:
    """Whether one statement is stated by the sources, by which sentence, and why not."""

    grounded: bool
    sentence: int | None
    strength: float
    reason: str


@dataclass(frozen=True)
class Grounder:
    """The verifier's parts the gate reads with."""

    weights: BackendWeights
    encoder: Encoder | None
    background: TermWeights
    judge: RulesStanceJudge

    def ground(self, statements: Sequence[str], sources: Sequence[str]) -> list[Grounding]:
        """For each statement, whether the `sources` (sentences) state it."""
        if not statements:
            return []
        if not sources:
            return [Grounding(False, None, 0.0, "there is no source text") for _ in statements]
        scored = score(statements, [sources], self.weights, self.encoder, self.background)
        best = [s.best for s in scored]
        pairs = [(text, sources[b.sentence]) for text, b in zip(statements, best, strict=True) if b]
        verdicts = iter(self.judge.judge(pairs))
        stated = numbers(" ".join(sources))
        out = []
        for text, finding in zip(statements, best, strict=True):
            if finding is None:
                out.append(Grounding(False, None, 0.0, "there is no source text"))
                continue
            verdict = next(verdicts)
            missing = sorted(numbers(text) - stated)
            where = f"sentence {finding.sentence + 1} (strength {finding.strength:.2f})"
            if finding.strength < self.weights.thresholds.supported:
                reason = f"no source sentence states it (best: {where})"
            elif verdict.stance != "supports":
                how = (
                    "contradicts" if verdict.stance == "contradicts" else "does not clearly support"
                )
                reason = f"{where} {how} it"
            elif cue := opposition(text, sources[finding.sentence]):
                reason = f"{where} is turned around: {cue}"
            elif missing:
                reason = f"numbers not in the source: {', '.join(missing)}"
            else:
                out.append(
                    Grounding(True, finding.sentence, finding.strength, f"stated by {where}")
                )
                continue
            out.append(Grounding(False, finding.sentence, finding.strength, reason))
        return out

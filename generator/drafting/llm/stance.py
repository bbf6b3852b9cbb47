"""The LLM stance judge: one chat request per draft judges every (claim, evidence) pair.

An answer must judge each pair exactly once; one that does not fails validation, so the
client asks again once with the reason, then raises LlmError, which the verify stage reports
before the rules judge decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from generator.drafting.verifier.stance import StanceVerdict

if TYPE_CHECKING:
    from generator.drafting.llm.client import LlmClient

PROMPT = "stance"


class LlmStanceJudge:
    name = "llm"

    def __init__(self, client: LlmClient):
        self.client = client

    def describe(self) -> str:
        return f"LLM: {self.client.describe()}, prompt {self.client.prompt_version(PROMPT)}"

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[StanceVerdict]:
        from generator.drafting.llm.schemas import stance_answer_for

        if not pairs:
            return []
        numbered = [
            {"pair": n, "claim": claim, "evidence": evidence}
            for n, (claim, evidence) in enumerate(pairs, 1)
        ]
        answer = self.client.ask(PROMPT, {"pairs": numbered}, stance_answer_for(len(pairs)))
        by_pair = {item.pair: item for item in answer.judgements}
        return [
            StanceVerdict(
                stance=by_pair[n].stance,
                probability=None,
                judge=self.name,
                reason=by_pair[n].reason,
            )
            for n in range(1, len(pairs) + 1)
        ]

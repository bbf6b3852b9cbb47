"""`llm`: the three roles judged by a language model, called concurrently.

Each role gets the question, the paper, the claims with their evidence and the measured
signals, and answers JSON (score 0–10, rationale). A role whose answer fails twice is
scored by the rules rubric instead, and the draft says so.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import TYPE_CHECKING

from generator.drafting.models import RoleReview, Signal
from generator.drafting.tribunal.base import Brief, Votes
from generator.drafting.tribunal.rules import RulesTribunal

if TYPE_CHECKING:
    from generator.drafting.llm.client import LlmClient

PROMPTS = {"SKEPTIC": "skeptic", "VALIDATOR": "validator", "SYNTHESIZER": "synthesizer"}


class LlmTribunal:
    name = "llm"

    def __init__(self, client: LlmClient, fallback: RulesTribunal):
        self.client = client
        self.fallback = fallback

    def describe(self) -> str:
        versions = ", ".join(self.client.prompt_version(p) for p in PROMPTS.values())
        return (
            f"LLM tribunal: {self.client.describe()}; prompts {versions}; a role whose answer "
            f"fails is scored by {self.fallback.describe()}"
        )

    def review(self, signals: dict[str, Signal], brief: Brief) -> Votes:
        from generator.drafting.llm.schemas import RoleAnswer
        from generator.machinery.http import ServiceError

        rules = {r.role: r for r in self.fallback.score(signals)}
        variables = {
            "question": brief.question,
            "paper_title": brief.paper_title,
            "claims": [
                {
                    "text": c.claim.text,
                    "state": c.state,
                    "confidence": c.confidence,
                    "evidence": c.evidence.sentence if c.evidence else None,
                }
                for c in brief.checks
            ],
            "signals": [
                {"name": s.name, "detail": s.detail, "normalized": s.normalized}
                for s in signals.values()
            ],
        }

        def ask(role: str) -> RoleReview | str:
            try:
                answer = self.client.ask(PROMPTS[role], variables, RoleAnswer)
            except ServiceError as exc:
                return f"{role} review by LLM failed ({exc}); scored by the rules rubric"
            return rules[role].model_copy(  # type: ignore[index]
                update={
                    "score": round(answer.score, 1),
                    "rationale": answer.rationale,
                    "judge": f"LLM {self.client.describe()}",
                }
            )

        # each role's thread runs in a copy of this thread's context (taken here, not in the
        # worker), so the question's deadline holds there too
        contexts = {role: copy_context() for role in PROMPTS}
        with ThreadPoolExecutor(max_workers=len(PROMPTS)) as pool:
            answers = list(pool.map(lambda role: contexts[role].run(ask, role), PROMPTS))
        roles = tuple(
            a
            if isinstance(a, RoleReview)
            else rules[role].model_copy(  # type: ignore[index]
                update={"judge": f"{rules[role].judge} (the LLM's answer failed)"}  # type: ignore[index]
            )
            for role, a in zip(PROMPTS, answers, strict=True)
        )
        return Votes(roles=roles, failures=tuple(a for a in answers if isinstance(a, str)))

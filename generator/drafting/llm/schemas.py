"""The JSON answers the LLM must give, one pydantic model per prompt family.

Each prompt template states its answer shape in words; these models are the check. An answer
that fails validation is sent back once with the validation error (see `LlmClient.ask`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class Answer(BaseModel):
    """Base of every answer: immutable; unknown keys are ignored, not errors."""

    model_config = ConfigDict(frozen=True, extra="ignore")


Query = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]


class PlanAnswer(Answer):
    """plan: search queries for the research question."""

    queries: list[Query] = Field(min_length=1, max_length=12)


class ClaimAnswer(Answer):
    """One claim of the primary paper: a finding (a result) or a contribution (what it adds)."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=600)]
    kind: Literal["finding", "contribution"]


class ExtractAnswer(Answer):
    """extract: the claims of one paper (possibly none)."""

    claims: list[ClaimAnswer] = Field(max_length=20)


class WrittenStatement(Answer):
    """One statement of the Answer, written by the model, citing one numbered sentence."""

    sentence: int = Field(ge=1, le=200)
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=400)]


class AnswerAnswer(Answer):
    """answer: statements answering the research question, each citing a sentence."""

    statements: list[WrittenStatement] = Field(max_length=10)


class RoleAnswer(Answer):
    """skeptic / validator / synthesizer: a 0–10 score and why."""

    score: float = Field(ge=0.0, le=10.0, allow_inf_nan=False)
    rationale: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ]


class StanceItem(Answer):
    """One (claim, evidence) pair judged: does the evidence support the claim?"""

    pair: int = Field(ge=1, le=200)
    stance: Literal["supports", "contradicts", "unclear"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=400)] = ""


class StanceAnswer(Answer):
    """stance: a verdict for every pair, numbered as given."""

    judgements: list[StanceItem] = Field(min_length=1, max_length=200)


def stance_answer_for(pairs: int) -> type[StanceAnswer]:
    """The stance answer for a request of `pairs` pairs: each judged exactly once (an answer
    that skips or repeats one fails validation, so the client asks again once)."""

    class Checked(StanceAnswer):
        @model_validator(mode="after")
        def _each_pair_once(self) -> Checked:
            numbers = sorted(item.pair for item in self.judgements)
            if numbers != list(range(1, pairs + 1)):
                raise ValueError(f"judge each of pairs 1–{pairs} exactly once (got {numbers})")
            return self

    return Checked

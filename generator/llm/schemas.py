"""The JSON answers the LLM must give, one pydantic model per prompt family.

Each prompt template states its answer shape in words; these models are the check. An answer
that fails validation is sent back once with the validation error (see `LlmClient.ask`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


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


class RoleAnswer(Answer):
    """skeptic / validator / synthesizer: a 0–10 score and why."""

    score: float = Field(ge=0.0, le=10.0, allow_inf_nan=False)
    rationale: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ]

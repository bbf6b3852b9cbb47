"""What every tribunal shares: what a reviewer reads (`Brief`), what the roles return
(`Votes`) and the `Tribunal` protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from generator.drafting.models import ClaimCheck, RoleReview, Signal

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Brief:
    """What a reviewer reads besides the signals: the question, the paper, the claims."""

    question: str
    paper_title: str
    checks: tuple[ClaimCheck, ...]


@dataclass(frozen=True)
class Votes:
    """The three roles' reviews, and anything that failed while getting them."""

    roles: tuple[RoleReview, ...]
    failures: tuple[str, ...] = ()


class Tribunal(Protocol):
    name: str

    def describe(self) -> str:
        """One line for the Methodology section (and the stage's cache key)."""
        ...

    def review(self, signals: dict[str, Signal], brief: Brief) -> Votes:
        """SKEPTIC, VALIDATOR and SYNTHESIZER reviews of the same evidence."""
        ...

"""Tribunal backends: score a draft from its measured signals. Registered by name."""

from __future__ import annotations

from typing import Protocol

from ..models import RoleReview, Signal


class Tribunal(Protocol):
    name: str

    def describe(self) -> str:
        """One line for the Methodology section."""
        ...

    def review(self, signals: dict[str, Signal]) -> tuple[RoleReview, ...]:
        """SKEPTIC, VALIDATOR and SYNTHESIZER reviews of the same signals."""
        ...


def make_tribunal(name: str) -> Tribunal:
    from .rules import RulesTribunal

    registry = {"rules": RulesTribunal}
    return registry[name]()

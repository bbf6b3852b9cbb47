"""Tribunal backends: score a draft from its measured signals. Registered by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.drafting.tribunal.base import Brief, Tribunal, Votes

if TYPE_CHECKING:
    from generator.drafting.llm.client import LlmClient

__all__ = ["Brief", "Tribunal", "Votes", "make_tribunal"]


def make_tribunal(name: str, llm: LlmClient | None = None) -> Tribunal:
    from generator.drafting.tribunal.rules import RulesTribunal

    if name == "llm":
        from generator.drafting.tribunal.llm import LlmTribunal

        if llm is None:
            raise ValueError("the llm tribunal needs an LLM client")
        return LlmTribunal(llm, RulesTribunal())
    return RulesTribunal()

"""LLM backend: an OpenAI-compatible chat client, versioned prompt templates, answer schemas.

client = LlmClient(services.get("llm"), settings.services.llm)
answer = client.ask("plan", {"question": q, "n": 4}, PlanAnswer)
cache_key_part = ("plan", client.prompt_version("plan"), client.describe())
"""

from __future__ import annotations

from generator.drafting.llm.client import LlmClient, LlmError, prompt_version, render_prompt
from generator.drafting.llm.schemas import ClaimAnswer, ExtractAnswer, PlanAnswer, RoleAnswer

__all__ = [
    "ClaimAnswer",
    "ExtractAnswer",
    "LlmClient",
    "LlmError",
    "PlanAnswer",
    "RoleAnswer",
    "prompt_version",
    "render_prompt",
]

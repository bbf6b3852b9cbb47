"""The live paper sources, made by name over the build's shared web services."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.drafting.sources.base import Source
    from generator.machinery.http import Services

LIVE_SOURCES = ("arxiv", "semantic_scholar")


def make_live_source(name: str, services: Services) -> Source:
    """The live source called `name`, talking through `services` (shared limiter and cache)."""
    if name == "arxiv":
        from generator.drafting.sources.arxiv import ArxivSource

        return ArxivSource(services.get("arxiv"))
    if name == "semantic_scholar":
        from generator.drafting.sources.semantic_scholar import SemanticScholarSource

        return SemanticScholarSource(services.get("semantic_scholar"))
    raise ValueError(f"unknown live source {name!r} (known: {', '.join(LIVE_SOURCES)})")

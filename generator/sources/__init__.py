"""Paper sources: where the search stage finds papers. Registered by name for the config."""

from __future__ import annotations

from typing import Protocol

from ..models import Paper
from ..settings import Settings, corpus_path


class Source(Protocol):
    """A searchable collection of papers."""

    name: str

    def fingerprint(self) -> str:
        """What identifies this source's answers (data version, endpoint), for cache keys."""
        ...

    async def search(self, query: str, limit: int) -> list[Paper]:
        """Papers for `query`, best first, at most `limit`."""
        ...

    async def fetch(self, paper_id: str) -> Paper | None:
        """One paper by arXiv id, or None when the source does not have it."""
        ...


def make_sources(settings: Settings) -> list[Source]:
    """The sources named in the settings, in order."""
    from .local import LocalSource

    registry = {
        "local": lambda: LocalSource(ranker=settings.search.ranker, path=corpus_path(settings))
    }
    return [registry[name]() for name in settings.search.sources]

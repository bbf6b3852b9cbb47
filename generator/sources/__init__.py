"""Paper sources: where the search stage finds papers. Registered by name for the config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..models import Paper
from ..settings import Settings, corpus_path

if TYPE_CHECKING:
    from ..http import Services


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


def make_sources(
    settings: Settings, services: Callable[[], Services], index_dir: Path | None = None
) -> list[Source]:
    """The sources named in the settings, in order; live ones get their HTTP service, the
    local one `index_dir` to keep its built index in (None: in memory only)."""
    from .local import LocalSource

    made: list[Source] = []
    for name in settings.search.sources:
        if name == "local":
            path = corpus_path(settings)
            made.append(LocalSource(settings.search.ranker, path, index_dir=index_dir))
        else:
            from .live import make_live_source

            made.append(make_live_source(name, services()))
    return made

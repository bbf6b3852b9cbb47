"""What every paper source is: the `Source` protocol."""

from __future__ import annotations

from typing import Protocol

from generator.drafting.models import Paper


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

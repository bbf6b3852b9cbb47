"""Embedders: how relevance between a question (or claim) and paper text is measured."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from generator.inputs.settings import Settings
    from generator.machinery.http import Services


class Embedder(Protocol):
    name: str

    def describe(self) -> str:
        """One line for the Methodology section (model, dimensions)."""
        ...

    def similarity(self, query: str, texts: list[str]) -> list[float]:
        """Similarity in [0, 1] between `query` and each text."""
        ...

    def similarity_matrix(self, queries: list[str], texts: list[str]) -> list[list[float]]:
        """Similarity of every query (rows) to every text (columns); texts embedded once."""
        ...


def make_embedder(
    name: str = "tfidf",
    background: Path | None = None,
    settings: Settings | None = None,
    services: Services | None = None,
    index_dir: Path | None = None,
) -> Embedder:
    """An embedder by name; `background` is the corpus that supplies TF-IDF document
    frequencies; `services` gives live embedders their HTTP service; `index_dir` keeps the
    fitted TF-IDF idf on disk (None: in memory only)."""
    if name == "minilm":
        from generator.drafting.embedders.minilm import MiniLmEmbedder

        return MiniLmEmbedder(index_dir)
    if name == "nim":
        from generator.drafting.embedders.nim import NimEmbedder

        if settings is None or services is None:
            raise ValueError("the nim embedder needs settings and services")
        return NimEmbedder(services.get("nim"), settings.services.nim)
    from generator.drafting.embedders.tfidf import TfidfEmbedder

    return TfidfEmbedder(background, index_dir)

"""Embedders: how relevance between a question (or claim) and paper text is measured."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Embedder(Protocol):
    name: str

    def describe(self) -> str:
        """One line for the Methodology section."""
        ...

    def similarity(self, query: str, texts: list[str]) -> list[float]:
        """Similarity in [0, 1] between `query` and each text."""
        ...


def make_embedder(name: str = "tfidf", background: Path | None = None) -> Embedder:
    """An embedder by name; `background` is the corpus that supplies document frequencies."""
    from .tfidf import TfidfEmbedder

    registry = {"tfidf": lambda: TfidfEmbedder(background)}
    return registry[name]()

"""Paper sources: where the search stage finds papers. Registered by name for the config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generator.drafting.sources.base import Source
from generator.inputs.settings import Settings, corpus_path

if TYPE_CHECKING:
    from generator.machinery.http import Services


__all__ = ["Source", "make_sources"]


def make_sources(
    settings: Settings, services: Callable[[], Services], index_dir: Path | None = None
) -> list[Source]:
    """The sources named in the settings, in order; live ones get their HTTP service, the
    local one `index_dir` to keep its built index in (None: in memory only)."""
    from generator.drafting.sources.local import LocalSource

    made: list[Source] = []
    for name in settings.search.sources:
        if name == "local":
            path = corpus_path(settings)
            made.append(LocalSource(settings.search.ranker, path, index_dir=index_dir))
        else:
            from generator.drafting.sources.live import make_live_source

            made.append(make_live_source(name, services()))
    return made

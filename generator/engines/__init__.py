"""Site engines: what turns `docs_dir` (pages, charts, feed) into the static site.

Both read the same `mkdocs.yml` and build into a folder they are given; `site.engine` in
`sovereign.yml` chooses one. `build_into` is the one entry point.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..settings import Settings

ENGINES = ("mkdocs", "zensical")


class SiteBuildError(Exception):
    """The engine failed; the message carries its warnings or its output."""


def build_into(root: Path, settings: Settings, staging: Path, *, strict: bool) -> list[str]:
    """Build the site of the project at `root` into `staging` with the engine of
    `site.engine`; return its warnings (none in strict mode: they fail the build)."""
    if settings.site.engine == "zensical":
        from .zensical import build

        return build(root, settings, staging, strict=strict)
    from .mkdocs import build

    return build(root, settings, staging, strict=strict)

"""MkDocs (with Material), run in-process: fast to start, its warnings collected."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from generator.inputs.settings import Settings
from generator.machinery.logs import collecting
from generator.publishing.engines.errors import SiteBuildError


def build(root: Path, settings: Settings, staging: Path, *, strict: bool) -> list[str]:
    """`mkdocs build` of the project's config into `staging`; its warnings."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    with collecting("mkdocs", logging.WARNING) as collector:
        try:
            config = load_config(
                config_file=str(root / settings.paths.mkdocs_config),
                docs_dir=str(root / settings.paths.docs_dir),
                site_dir=str(staging),
                strict=strict,
            )
            mkdocs_build(config)
        except (MkDocsException, SystemExit) as exc:
            details = "\n  ".join(collector.messages) or str(exc)
            raise SiteBuildError(f"mkdocs build failed:\n  {details}") from None
    return [f"mkdocs: {m}" for m in collector.messages]

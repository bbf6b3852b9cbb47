"""Site engines: what turns `docs_dir` (pages, charts, feed) into the static site.

Both read the same `mkdocs.yml` and build into a folder they are given; `site.engine` in
`sovereign.yml` chooses one. `build_into` is the one entry point.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from generator.publishing.engines.errors import SiteBuildError

if TYPE_CHECKING:
    from generator.inputs.settings import Settings

__all__ = ["ENGINES", "PACKAGES", "SiteBuildError", "build_into", "source_signature"]

ENGINES = ("mkdocs", "zensical")


# The packages whose versions shape each engine's output.
PACKAGES = {"mkdocs": ("mkdocs", "mkdocs-material"), "zensical": ("zensical",)}


def source_signature(root: Path, settings: Settings) -> str:
    """What the site is built from: the engine and its version, the config file, and every
    file under `docs_dir` (path, size, modification time; our writers leave an unchanged file
    alone). The same signature means the engine would write the same site."""
    engine = settings.site.engine
    digest = hashlib.sha256(engine.encode())
    for package in PACKAGES[engine]:
        try:
            digest.update(f"\x1f{package} {version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"\x1f{package} missing".encode())
    config = root / settings.paths.mkdocs_config
    digest.update(b"\x1f" + (config.read_bytes() if config.exists() else b""))
    docs = root / settings.paths.docs_dir
    for path in sorted(p for p in docs.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(
            f"\x1f{path.relative_to(docs)}\x1e{stat.st_size}\x1e{stat.st_mtime_ns}".encode()
        )
    return digest.hexdigest()


def build_into(root: Path, settings: Settings, staging: Path, *, strict: bool) -> list[str]:
    """Build the site of the project at `root` into `staging` with the engine of
    `site.engine`; return its warnings (none in strict mode: they fail the build)."""
    if settings.site.engine == "zensical":
        from generator.publishing.engines.zensical import build

        return build(root, settings, staging, strict=strict)
    from generator.publishing.engines.mkdocs import build

    return build(root, settings, staging, strict=strict)

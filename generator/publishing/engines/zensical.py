"""Zensical, Material's maintained successor: it reads the same `mkdocs.yml`.

Zensical takes no output folder on its command line and wants the site inside the project,
so the build writes a copy of the config beside the original (`.zensical.yml`, git-ignored)
that names the staging folder and the docs folder, and runs `zensical build` on it in a
child process. The Python tags of `mkdocs.yml` (`!!python/name:…`) are carried over as they
are, never evaluated here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from generator.inputs.settings import Settings
from generator.machinery.outputs import write_text
from generator.publishing.engines.errors import SiteBuildError

CONFIG_COPY = ".zensical.yml"
TIMEOUT = 600  # s: a build of thousands of pages takes seconds


class _Tagged:
    """A `!!python/...` node of the config, kept as written."""

    def __init__(self, tag: str, value: Any) -> None:
        self.tag, self.value = tag, value


class _Keep(yaml.SafeLoader):
    pass


class _Write(yaml.SafeDumper):
    pass


_Keep.add_multi_constructor(
    "tag:yaml.org,2002:python/",
    lambda loader, _, node: _Tagged(node.tag, loader.construct_scalar(node)),
)
_Write.add_representer(_Tagged, lambda dumper, t: dumper.represent_scalar(t.tag, t.value))


def config_for(source: Path, docs_dir: Path, site_dir: Path) -> str:
    """The project's MkDocs config with `docs_dir` and `site_dir` replaced (relative to the
    config's folder, which Zensical takes as the project root)."""
    with source.open(encoding="utf-8") as handle:
        config = yaml.load(handle, Loader=_Keep)
    if not isinstance(config, dict):
        raise SiteBuildError(f"{source}: not a mapping of settings")
    base = source.parent.resolve()
    for key, path in (("docs_dir", docs_dir), ("site_dir", site_dir)):
        try:
            config[key] = path.resolve().relative_to(base).as_posix()
        except ValueError:
            raise SiteBuildError(
                f"zensical builds only inside the project: {key} {path} is outside {base}"
            ) from None
    return yaml.dump(config, Dumper=_Write, sort_keys=False, allow_unicode=True)


def write_config(root: Path, settings: Settings, site_dir: Path) -> Path:
    """Write the config copy Zensical runs on (beside the project's config, which makes the
    project root Zensical's) with `site_dir` as its output; return its path."""
    source = root / settings.paths.mkdocs_config
    copy = source.with_name(CONFIG_COPY)
    write_text(copy, config_for(source, root / settings.paths.docs_dir, site_dir))
    return copy


def build(root: Path, settings: Settings, staging: Path, *, strict: bool) -> list[str]:
    """`zensical build` of the project's config into `staging`; its warnings."""
    copy = write_config(root, settings, staging)
    command = [sys.executable, "-m", "zensical", "build", "-f", str(copy)]
    if strict:
        command.append("--strict")
    try:
        done = subprocess.run(
            command, cwd=copy.parent, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise SiteBuildError(f"zensical build took over {TIMEOUT} s") from None
    output = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode != 0 or not (staging / "index.html").is_file():
        raise SiteBuildError("zensical build failed:\n  " + "\n  ".join(output[-20:]))
    noise = ("Build started", "Build finished", "No issues found")
    return [f"zensical: {line}" for line in output if not line.startswith(noise)]

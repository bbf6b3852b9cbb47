"""Both site engines build the same site from the same sources: every page, the drafts'
charts and PDFs linked, search holding every draft, the feed, the "not published" banner;
and the Zensical config copy keeps the MkDocs config as written."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from generator.cli import main
from generator.publishing.engines import SiteBuildError
from generator.publishing.engines.zensical import config_for

from .conftest import make_project

QUESTIONS = ["moe-serving-offloading.yaml", "fine-grained-moe-scaling-laws.yaml"]
LOW_BAR = "review:\n  approve_at: 4.5\n  reject_below: 2.5\n"  # one draft is published


def _search_locations(site: Path) -> set[str]:
    """The pages the engine's search index holds (MkDocs and Zensical name it differently)."""
    mkdocs = site / "search" / "search_index.json"
    if mkdocs.exists():
        entries = json.loads(mkdocs.read_text())["docs"]
    else:
        entries = json.loads((site / "search.json").read_text())["items"]
    return {e["location"].split("#")[0] for e in entries}


def _broken_links(site: Path) -> list[str]:
    broken = []
    for page in site.rglob("*.html"):
        text = page.read_text()
        for target in re.findall(r'(?:href|src)="([^"#?]+)(?:[#?][^"]*)?"', text):
            target = html.unescape(target)
            if re.match(r"[a-z]+:", target) or target.startswith("/"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(site)} → {target}")
    return broken


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    project = make_project(tmp_path_factory.mktemp("engines") / "p", QUESTIONS)
    built = {}
    for engine in ("mkdocs", "zensical"):
        (project / "sovereign.yml").write_text(f"{LOW_BAR}site:\n  engine: {engine}\n")
        assert main(["--root", str(project), "build", "--preview"]) == 0
        built[engine] = project / f"site-{engine}"
        (project / "site").rename(built[engine])
    return built


def test_both_engines_build_the_same_pages(sites: dict[str, Path]) -> None:
    pages = {
        engine: {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
        for engine, site in sites.items()
    }
    assert pages["mkdocs"] == pages["zensical"]
    assert {f"drafts/{q.removesuffix('.yaml')}.html" for q in QUESTIONS} <= pages["zensical"]
    for site in sites.values():
        for name in ("feed.xml", "index.verdicts.svg", "index.scores.svg"):
            assert (site / name).is_file(), name
        assert len(list((site / "drafts").glob("*.svg"))) >= len(QUESTIONS)


def test_every_link_resolves_and_search_holds_every_draft(sites: dict[str, Path]) -> None:
    for engine, site in sites.items():
        assert not _broken_links(site), (engine, _broken_links(site)[:5])
        drafts = {f"drafts/{q.removesuffix('.yaml')}.html" for q in QUESTIONS}
        assert drafts <= _search_locations(site), engine


def test_banner_and_pdf_links_are_on_both(sites: dict[str, Path]) -> None:
    for engine, site in sites.items():
        pages = [p.read_text() for p in (site / "drafts").glob("*.html")]
        assert sum("Not published — awaiting owner review" in p for p in pages) == 1, engine
        published = [p for p in pages if "Not published" not in p]
        assert len(published) == 1 and re.search(r'href="[^"]+\.pdf"', published[0]), engine


def test_the_config_copy_keeps_python_tags_and_names_the_folders(tmp_path: Path) -> None:
    source = tmp_path / "mkdocs.yml"
    source.write_text(
        "site_name: S\nmarkdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
    )
    copy = config_for(source, tmp_path / "docs", tmp_path / ".site.x")
    assert "!!python/name:material.extensions.emoji.twemoji" in copy
    assert "docs_dir: docs" in copy and "site_dir: .site.x" in copy
    with pytest.raises(SiteBuildError, match="outside"):
        config_for(source, tmp_path / "docs", tmp_path.parent / "elsewhere")


def test_zensical_builds_into_one_staging_folder_so_its_cache_applies(
    sites: dict[str, Path],
) -> None:
    """Zensical keeps one cache per config; a staging folder named anew by each build would
    change the config and leave every build cold."""
    project = sites["zensical"].parent
    assert "site_dir: .site.building" in (project / ".zensical.yml").read_text()
    assert not list(project.glob(".site.*"))  # swapped into site/, nothing left behind

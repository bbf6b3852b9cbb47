"""End to end: question files in, MkDocs site out (offline, in a temporary project)."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from generator.cli import main

from .conftest import REPO, make_project

LOW_BAR = "review:\n  approve_at: 4.5\n  reject_below: 2.5\n"


def _drafts(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def _build(project: Path, *args: str) -> int:
    return main(["--root", str(project), "build", *args])


def test_build_writes_site_and_review_area(project: Path, capsys) -> None:
    assert _build(project) == 0
    out = capsys.readouterr().out
    assert "3 drafts (3 computed, 0 from cache)" in out
    assert (project / "site" / "index.html").is_file()
    for data in (json.loads(p.read_text()) for p in (project / "review").glob("*.json")):
        assert data["decision"]["policy"] == "ESCALATE_TO_OWNER"
        pdf = project / "review" / f"{data['slug']}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-"), "every escalated draft has its PDF"
        assert not (project / "site" / "drafts" / f"{data['slug']}.html").exists()
    index = (project / "site" / "index.html").read_text()
    assert "⚑ Awaiting review" in index
    assert "anyexperts" not in [p.stem for p in (project / "site").glob("drafts/*.html")]


def test_approved_drafts_are_published_and_escalated_are_not(tmp_path: Path) -> None:
    # A lower bar publishes only a draft no gate stops (a supported claim, a covered question);
    # the mismatched pairing is escalated whatever its score.
    questions = ["fine-grained-moe-scaling-laws.yaml", "anyexperts-scaling-routing-signatures.yaml"]
    project = make_project(tmp_path / "p", questions=questions, settings=LOW_BAR)
    assert _build(project) == 0
    drafts = _drafts(project / "site_src" / "drafts")
    review = _drafts(project / "review")
    assert drafts and review, "expected both published and escalated drafts with a lower bar"
    for slug, draft in drafts.items():
        assert draft["decision"]["policy"] == "AUTO_APPROVE"
        page = html.unescape((project / "site" / "drafts" / f"{slug}.html").read_text())
        assert "AUTO_APPROVE" in page
        assert f'href="{slug}.pdf"' in page, "a published page links its PDF"
        assert (project / "site" / "drafts" / f"{slug}.pdf").read_bytes().startswith(b"%PDF-")
    index = (project / "site" / "index.html").read_text()
    for slug in drafts:
        assert f'href="drafts/{slug}.html"' in index
    for slug in review:
        assert not (project / "site" / "drafts" / f"{slug}.html").exists()
        assert f'href="drafts/{slug}.html"' not in index
    assert (project / "review" / "README.md").read_text().count("|") > 10
    # the feed lists the published drafts, and the index links it
    import feedparser

    feed = feedparser.parse((project / "site" / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert {e.link for e in feed.entries} == {f"drafts/{slug}.html" for slug in drafts}
    assert 'href="feed.xml"' in index


def test_preview_puts_every_draft_on_site_with_banner(project: Path) -> None:
    assert _build(project, "--preview") == 0
    pages = {p.stem: p.read_text() for p in (project / "site" / "drafts").glob("*.html")}
    assert set(pages) == {p.stem for p in (project / "questions").glob("*.yaml")}
    for slug, page in pages.items():
        escalated = (project / "review" / f"{slug}.json").exists()
        assert ("awaiting owner review" in page) == escalated
    # every picture a page shows is on the site: the index's charts, each draft's
    site = project / "site"
    shown = 0
    for page in [site / "index.html", *sorted((site / "drafts").glob("*.html"))]:
        for src in re.findall(r'<img [^>]*src="([^"]+)"', page.read_text()):
            if not src.startswith("data:"):
                assert (page.parent / html.unescape(src)).is_file(), (page.name, src)
                shown += src.endswith(".svg")
    assert (site / "index.html").read_text().count('class="sv-chart"') == 2
    assert shown >= 2 + len(pages), "the index's two charts and at least one per draft"
    tags = (project / "site" / "tags.html").read_text()
    assert "Every draft by tag. This is a preview build" in tags
    assert "Published drafts by tag" not in tags
    assert _build(project) == 0  # the public build lists published drafts only, and says so
    assert "Published drafts by tag" in (project / "site" / "tags.html").read_text()
    assert not list((project / "site_src" / "drafts").glob("*.svg")), "no page, no chart"


def test_mismatched_pairing_is_flagged_and_matched_is_not(project: Path) -> None:
    assert _build(project, "--preview") == 0
    drafts = project / "site" / "drafts"
    mismatched = (drafts / "anyexperts-scaling-routing-signatures.html").read_text()
    matched = (drafts / "anyexperts-representational-collapse.html").read_text()
    assert "Question–paper mismatch" in mismatched
    assert "Question–paper mismatch" not in matched


def test_page_anatomy(project: Path) -> None:
    assert _build(project, "--preview") == 0
    md = (project / "site_src" / "drafts" / "anyexperts-representational-collapse.md").read_text()
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Answer",
        "## Abstract",
        "## 1 Introduction",
        "## 2 Methodology",
        "## 3 Results",
        "## 4 Uncertainties",
        "## 5 Extracted Claims",
        "## Tribunal",
        "## Policy",
        "## References",
        "## Provenance",
    ]
    assert "Analysis of: [AnyExperts" in md
    assert "SOVEREIGN Research Kernel" in md
    data = _drafts(project / "site_src" / "drafts")["anyexperts-representational-collapse"]
    assert f"{len(data['rounds'][-1]['search']['papers'])} papers retrieved." in md
    # the abstract is whole, not cut mid-word
    abstract = data["selection"]["primary"]["abstract"]
    assert abstract.endswith(".") and len(abstract) > 1000


def test_index_flags_the_questions_the_papers_do_not_cover(tmp_path: Path) -> None:
    off_topic = "smoe-routing-zero-shot-generalization"
    project = make_project(
        tmp_path / "p", questions=["moe-serving-offloading.yaml", f"{off_topic}.yaml"]
    )
    assert _build(project, "--preview") == 0
    drafts = {**_drafts(project / "site_src" / "drafts"), **_drafts(project / "review")}
    covered = {slug: d["selection"]["coverage"]["covered"] for slug, d in drafts.items()}
    assert covered == {"moe-serving-offloading": True, off_topic: False}
    index = html.unescape((project / "site" / "index.html").read_text())
    rows = {
        slug: index.split(f'href="drafts/{slug}.html"', 1)[1].split("</tr>", 1)[0]
        for slug in covered
    }
    assert "∅ Not covered" in rows[off_topic]
    assert "not covered" not in rows["moe-serving-offloading"].lower()
    assert drafts[off_topic]["answer"]["verdict"] == "not_covered"
    # the draft page opens with its answer: the first section after the status line
    page = (project / "site" / "drafts" / f"{off_topic}.html").read_text()
    assert re.findall(r'<h2 id="([^"]+)"', page)[:2] == ["answer", "abstract"]
    assert "Not covered by the papers searched" in page.split('<h2 id="abstract"', 1)[0]


def test_broken_question_is_reported_and_others_still_build(project: Path, capsys) -> None:
    (project / "questions" / "broken.yaml").write_text("question: What now?\ntags: oops\nfoo: 1\n")
    assert main(["--root", str(project), "check"]) == 2
    err = capsys.readouterr().err
    assert "questions/broken.yaml:2: tags:" in err
    assert "questions/broken.yaml:3: foo: unknown key" in err
    assert _build(project) == 2
    built = {p.stem for p in (project / "review").glob("*.json")} | {
        p.stem for p in (project / "site_src" / "drafts").glob("*.json")
    }
    assert len(built) == 3 and "broken" not in built
    assert (project / "site" / "index.html").exists()


def test_only_builds_one_and_keeps_the_others(project: Path, capsys) -> None:
    assert _build(project) == 0
    capsys.readouterr()
    assert _build(project, "--only", "moe-serving-offloading") == 0
    assert "1 drafts (0 computed, 1 from cache)" in capsys.readouterr().out
    assert (
        len(list((project / "review").glob("*.json")))
        + len(list((project / "site_src" / "drafts").glob("*.json")))
        == 3
    )
    assert _build(project, "--only", "nope") == 2


def test_rebuild_changes_no_file(project: Path) -> None:
    assert _build(project) == 0
    generated = [
        *sorted((project / "review").glob("*")),
        project / "site_src" / "index.md",
        *sorted((project / "site_src").glob("index.*.svg")),
    ]
    assert any(p.suffix == ".svg" for p in generated), "the charts are among the outputs"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in generated}
    assert _build(project) == 0
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in generated} == before


def test_the_site_is_built_again_only_when_what_the_engine_reads_changed(
    project: Path, capsys
) -> None:
    assert _build(project) == 0
    index = project / "site" / "index.html"
    built = index.stat().st_mtime_ns
    capsys.readouterr()
    assert _build(project) == 0  # nothing changed: the engine is not run
    assert "Site unchanged" in capsys.readouterr().out
    assert index.stat().st_mtime_ns == built
    # a hand-written page edited: the site is built again, with the edit
    about = project / "site_src" / "about.md"
    about.write_text(about.read_text() + "\nEdited by hand.\n", encoding="utf-8")
    assert _build(project) == 0
    assert "Site written" in capsys.readouterr().out
    assert "Edited by hand." in (project / "site" / "about.html").read_text()
    # the engine's config edited: built again
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("Sovereign research drafts", "Renamed drafts"))
    assert _build(project) == 0
    assert "Renamed drafts" in index.read_text()
    # the site removed: built again, whatever the ledger says
    index.unlink()
    assert _build(project) == 0 and index.is_file()


def test_warm_build_does_not_import_pipeline_libraries(project: Path) -> None:
    assert _build(project) == 0
    script = (
        "import sys; from generator.cli import main; rc = main(['--root', sys.argv[1], 'build']);"
        "heavy = [m for m in ('sklearn', 'numpy', 'scipy', 'bm25s', 'onnxruntime', 'httpx', "
        "'weasyprint', 'matplotlib', 'mkdocs') if m in sys.modules];"
        "print('HEAVY=' + ','.join(heavy)); sys.exit(rc)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(project)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "HEAVY=\n" in done.stdout, done.stdout
    assert "(0 computed, 3 from cache)" in done.stdout


def test_mkdocs_strict_build_of_the_repository_config() -> None:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    config = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=Loader)
    assert config["theme"]["font"] is False
    assert "privacy" not in config["plugins"] and "offline" in config["plugins"]
    assert config["strict"] is True


def test_timings_name_every_phase_and_add_up(project: Path, capsys) -> None:
    assert _build(project, "--no-pdf", "--timings") == 0
    line = next(x for x in capsys.readouterr().err.splitlines() if x.startswith("timings: "))
    phases = dict(p.rsplit(" ", 2)[:2] for p in line.removeprefix("timings: ").split(" · ")[:-1])
    assert list(phases) == ["start-up", "questions", "pipeline", "pages", "PDFs", "site", "total"]
    seconds = {k: float(v) for k, v in phases.items()}
    assert abs(sum(v for k, v in seconds.items() if k != "total") - seconds["total"]) < 0.05
    assert seconds["pipeline"] > 0 and seconds["site"] > 0
    assert line.endswith("(all but the site engine)")


def test_outputs_are_readable_like_any_file_the_user_writes(project: Path) -> None:
    from generator.machinery.outputs import DIR_MODE, FILE_MODE

    assert _build(project) == 0
    pages = [project / "site_src" / "index.md", *(project / "review").glob("*.*")]
    assert pages and {p.stat().st_mode & 0o777 for p in pages} == {FILE_MODE}
    assert (project / "site").stat().st_mode & 0o777 == DIR_MODE


def test_a_warm_build_reports_a_corrupted_cache_database(project: Path, capsys) -> None:
    """Nothing changed, so the ledger spares the warm build any cache read; the cache file
    being no database is still found, said, and the cache rebuilt empty."""
    assert _build(project, "--no-site", "--no-pdf") == 0
    database = project / ".cache" / "sovereign" / "stages" / "cache.db"
    database.write_bytes(b"this is not a database" * 100)
    capsys.readouterr()
    assert _build(project, "--no-site", "--no-pdf") == 0
    err = capsys.readouterr().err
    assert "was unusable" in err and "rebuilt empty" in err
    assert database.read_bytes().startswith(b"SQLite format 3\x00")
    assert _build(project, "--no-site", "--no-pdf") == 0  # and the next build is quiet
    assert "unusable" not in capsys.readouterr().err

"""Owner decisions in question files: approve publishes, reject archives, revise and stale
decisions keep a draft in the queue — and the site, the pages and `sovereign review` agree."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from generator.cli import main

from .conftest import make_project

SLUG = "anyexperts-representational-collapse"  # escalated by the offline tribunal
QUESTIONS = [f"{SLUG}.yaml", "moe-serving-offloading.yaml"]
OWNERS = "policy:\n  owners: [ada-owner]\n"


def _build(project: Path, *args: str) -> None:
    assert main(["--root", str(project), "build", "--no-pdf", *args]) == 0


def _decide(project: Path, decision: str, draft_hash: str, note: str = "Read it.") -> None:
    path = project / "questions" / f"{SLUG}.yaml"
    text = re.sub(r"\nreview:.*", "", path.read_text(), flags=re.S)
    path.write_text(
        text.rstrip("\n")
        + f"\nreview:\n  decision: {decision}\n  by: ada-owner\n  date: 2026-11-23\n"
        f'  note: "{note}"\n  draft_hash: "{draft_hash}"\n'
    )


def _hash(project: Path) -> str:
    for folder in ("review", "review/rejected", "site_src/drafts"):
        path = project / folder / f"{SLUG}.json"
        if path.exists():
            return json.loads(path.read_text())["content_hash"]
    raise AssertionError("no draft JSON")


def _index(project: Path) -> str:
    return html.unescape((project / "site" / "index.html").read_text())


def test_review_prints_the_block_to_paste(tmp_path: Path, capsys) -> None:
    project = make_project(tmp_path / "p", QUESTIONS, OWNERS)
    _build(project)
    capsys.readouterr()
    assert main(["--root", str(project), "review"]) == 0
    out, err = capsys.readouterr()
    assert re.match(r"Review queue: (1 draft|\d+ drafts) waiting for the owner\.\n", out)
    assert "ESCALATE_TO_OWNER" not in out + err and "pipeline" not in out + err
    assert f"{SLUG} — Awaiting owner review" in out
    assert f"draft_hash: {_hash(project)}" in out
    assert f"put this in questions/{SLUG}.yaml" in out


def test_approve_with_the_right_hash_publishes_then_an_edit_makes_it_stale(
    tmp_path: Path, capsys
) -> None:
    project = make_project(tmp_path / "p", QUESTIONS, OWNERS)
    _build(project)
    assert (project / "review" / f"{SLUG}.md").exists()
    assert f"drafts/{SLUG}.html" not in _index(project)

    _decide(project, "approve", _hash(project), note="Evidence checked by hand.")
    capsys.readouterr()
    _build(project)
    assert re.search(
        rf"^  {SLUG}: now on the site: published — approved by the owner$",
        capsys.readouterr().out,
        re.M,
    )
    page = html.unescape((project / "site" / "drafts" / f"{SLUG}.html").read_text())
    assert "Published — approved by the owner" in page
    assert "ada-owner on 2026-11-23" in page and "Evidence checked by hand." in page
    assert "Autonomous draft — Approved by ada-owner on 2026-11-23" in page
    assert "Owner review required" not in page
    assert not (project / "review" / f"{SLUG}.md").exists()
    index = _index(project)
    assert f'href="drafts/{SLUG}.html"' in index and "approved by ada-owner on 2026-11-23" in index

    question = project / "questions" / f"{SLUG}.yaml"
    question.write_text(question.read_text().replace("ARO dataset?", "ARO benchmark?"))
    _build(project)
    said = re.search(rf"^  {SLUG}: withdrawn from the site: (.*)$", capsys.readouterr().out, re.M)
    assert said, "the withdrawal is a line of its own"
    assert said.group(1).startswith(
        "the owner's decision (ada-owner on 2026-11-23) was about an earlier version: "
        "the question text was edited"
    )
    assert said.group(1).endswith(f"; `sovereign review {SLUG}` shows what changed")
    assert not (project / "site" / "drafts" / f"{SLUG}.html").exists()
    page = html.unescape((project / "review" / f"{SLUG}.md").read_text())
    assert "This decision is stale" in page and "the question text was edited" in page
    index = _index(project)
    assert f'href="drafts/{SLUG}.html"' not in index
    assert "was about an earlier version: the question text was edited" in index


def test_reject_takes_the_draft_off_the_index_and_archives_it(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", QUESTIONS, OWNERS)
    _build(project)
    _decide(project, "reject", _hash(project), note="Wrong paper for this question.")
    _build(project)
    assert "representational collapse" not in _index(project)
    archived = project / "review" / "rejected" / f"{SLUG}.md"
    assert archived.exists() and "Wrong paper for this question." in html.unescape(
        archived.read_text()
    )
    assert not (project / "review" / f"{SLUG}.md").exists()
    queue = html.unescape((project / "review" / "README.md").read_text())
    assert "Rejected (archive)" in queue and "ada-owner" in queue


def test_revise_keeps_it_in_the_queue_with_the_note(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", QUESTIONS, OWNERS)
    _build(project)
    _decide(project, "revise", _hash(project), note="Find papers on ARO.")
    _build(project)
    index = _index(project)
    assert "the owner asked for a revision (ada-owner on 2026-11-23): Find papers on ARO." in index
    assert (project / "review" / f"{SLUG}.md").exists()


def test_a_wrong_hash_is_stale_and_says_what_it_judged(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", QUESTIONS, OWNERS)
    _build(project)
    _decide(project, "approve", "0000000000000000")
    _build(project)
    assert f'href="drafts/{SLUG}.html"' not in _index(project)
    page = html.unescape((project / "review" / f"{SLUG}.md").read_text())
    assert "It judged draft 0000000000000000" in page
    assert "no longer in the review archive" in page


def test_a_decision_changes_no_stage(tmp_path: Path, capsys) -> None:
    project = make_project(tmp_path / "p", QUESTIONS, OWNERS)
    _build(project)
    _decide(project, "approve", _hash(project))
    capsys.readouterr()
    _build(project)
    assert "(0 computed, 2 from cache)" in capsys.readouterr().out

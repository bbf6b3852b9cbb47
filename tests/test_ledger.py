"""The build ledger: a warm build takes unchanged drafts from it, and anything that no longer
matches (a deleted file, new templates, a corrupt ledger, other code) is done again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import generator.drafting.pipeline
import generator.publishing.render.markdown
import generator.publishing.render.pdf
from generator.cli import main
from generator.inputs.questions import load_questions
from generator.publishing import writers
from generator.publishing.ledger import FILE_NAME, FORMAT, Ledger, Summary

LEDGER = Path(".cache/sovereign") / FILE_NAME


def _build(project: Path, *args: str) -> int:
    return main(["--root", str(project), "build", *args])


def _outputs(project: Path) -> dict[Path, tuple[bytes, int]]:
    files = [
        *(project / "review").rglob("*.*"),
        *(project / "site_src" / "drafts").glob("*"),
        project / "site_src" / "index.md",
    ]
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(files)}


def _forbid(monkeypatch: pytest.MonkeyPatch, *targets: tuple[object, str]) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm build must not load, render or write an unchanged draft")

    for owner, name in targets:
        monkeypatch.setattr(owner, name, refuse)


def test_warm_build_loads_renders_and_writes_nothing(project: Path, monkeypatch, capsys) -> None:
    assert _build(project) == 0
    before = _outputs(project)
    capsys.readouterr()
    _forbid(
        monkeypatch,
        (generator.drafting.pipeline, "run_counted"),
        (generator.publishing.render.markdown, "render_draft"),
        (generator.publishing.render.markdown, "render_index"),
        (generator.publishing.render.pdf, "render_many"),
    )
    assert _build(project) == 0
    assert "3 drafts (0 computed, 3 from cache)" in capsys.readouterr().out
    assert _outputs(project) == before


def test_deleted_page_and_pdf_are_made_again_the_same(project: Path) -> None:
    assert _build(project) == 0
    before = _outputs(project)
    page = next(p for p in sorted((project / "review").glob("*.md")) if p.name != "README.md")
    pdf = next((project / "review").glob("*.pdf"))
    page.unlink()
    pdf.unlink()
    assert _build(project) == 0
    after = _outputs(project)
    assert after[page][0] == before[page][0], "the page is rendered again from the cached draft"
    assert after[pdf][0].startswith(b"%PDF-")
    untouched = set(before) - {page, pdf}
    assert {p: after[p] for p in untouched} == {p: before[p] for p in untouched}


def test_new_templates_render_every_page_again(project: Path, monkeypatch) -> None:
    assert _build(project, "--no-pdf") == 0
    rendered: list[str] = []
    real = generator.publishing.render.markdown.render_draft

    def counting(draft, *args, **kwargs):  # type: ignore[no-untyped-def]
        rendered.append(draft.slug)
        return real(draft, *args, **kwargs)

    monkeypatch.setattr(generator.publishing.render.markdown, "render_draft", counting)
    monkeypatch.setattr(writers, "_templates_digest", lambda: "templates of another release")
    assert _build(project, "--no-pdf") == 0
    assert sorted(rendered) == sorted(p.stem for p in (project / "questions").glob("*.yaml"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other format"])
def test_damaged_ledger_means_a_full_check_not_a_failure(project: Path, damage: str) -> None:
    assert _build(project, "--no-pdf") == 0
    before = _outputs(project)
    path = project / LEDGER
    text = path.read_text()
    path.write_text(
        {
            "garbage": "\x00not json",
            "truncated": text[: len(text) // 2],
            "other format": json.dumps({**json.loads(text), "format": 0}),
        }[damage]
    )
    assert _build(project, "--no-pdf") == 0
    assert _outputs(project) == before, "files are checked again, and none differs"
    assert Ledger.model_validate_json(path.read_text()).rows


def test_ledger_of_other_code_is_not_trusted(tmp_path: Path) -> None:
    ledger = Ledger(code="a", lists="x")
    ledger.write(tmp_path)
    assert Ledger.read(tmp_path, "a").lists == "x"
    assert Ledger.read(tmp_path, "b").lists == ""


def test_ledger_from_before_answers_is_read_again(tmp_path: Path) -> None:
    # Its summaries lack the answer and the coverage the index shows: not to be trusted.
    assert {"answer", "answer_verdict", "covered"} <= set(Summary.model_fields)
    old = {**json.loads(Ledger(code="a", lists="x").model_dump_json()), "format": FORMAT - 1}
    (tmp_path / FILE_NAME).write_text(json.dumps(old))
    assert Ledger.read(tmp_path, "a").lists == ""


def test_owner_decision_reaches_page_without_recomputing(project: Path, capsys) -> None:
    assert _build(project, "--no-pdf") == 0
    capsys.readouterr()
    slug = sorted(p.stem for p in (project / "review").glob("*.json"))[0]  # an escalated draft
    data = json.loads((project / "review" / f"{slug}.json").read_text())
    question = project / "questions" / f"{slug}.yaml"
    question.write_text(
        question.read_text()
        + "review:\n  decision: approve\n  by: alice\n  date: 2026-11-23\n"
        + f"  draft_hash: {data['content_hash']}\n"
    )
    assert _build(project, "--no-pdf") == 0
    out, err = capsys.readouterr()
    assert "3 drafts (0 computed, 3 from cache)" in out
    assert "'alice' is not an owner" in err  # no owners listed yet: the decision is ignored
    assert (project / "review" / f"{slug}.md").is_file()

    (project / "sovereign.yml").write_text("policy:\n  owners: [alice]\n")
    assert _build(project, "--no-pdf") == 0
    assert "3 drafts (0 computed, 3 from cache)" in capsys.readouterr().out
    assert (project / "site_src" / "drafts" / f"{slug}.md").is_file()
    assert not (project / "review" / f"{slug}.md").exists()


def test_question_memo_skips_parsing_unchanged_files(project: Path, monkeypatch) -> None:
    memo: dict = {}
    folder = project / "questions"
    first = load_questions(folder, project, memo)
    assert len(memo) == 3 and not first.problems

    def no_parse(*args: object) -> None:
        raise AssertionError("an unchanged file must not be parsed again")

    monkeypatch.setattr("generator.inputs.questions.read_yaml", no_parse)
    assert load_questions(folder, project, memo).questions == first.questions
    monkeypatch.undo()

    edited = folder / "moe-serving-offloading.yaml"
    edited.write_text(edited.read_text() + "tags: [not a valid tag!]\n")
    broken = load_questions(folder, project, memo)
    assert [p.path for p in broken.problems] == ["questions/moe-serving-offloading.yaml"]
    assert "questions/moe-serving-offloading.yaml" not in memo
    (folder / "anyexperts-representational-collapse.yaml").unlink()
    load_questions(folder, project, memo)
    assert set(memo) == {"questions/anyexperts-scaling-routing-signatures.yaml"}


def test_cache_clear_forgets_everything_but_the_archive(project: Path, capsys) -> None:
    assert _build(project, "--no-pdf") == 0
    assert main(["--root", str(project), "cache", "info"]) == 0
    info = capsys.readouterr().out
    assert "corpus indexes" in info and "archived draft versions" in info
    assert main(["--root", str(project), "cache", "clear"]) == 0
    assert not (project / LEDGER).exists()
    assert not (project / ".cache/sovereign/index").exists()
    capsys.readouterr()
    assert _build(project, "--no-pdf") == 0
    assert "3 drafts (3 computed, 0 from cache)" in capsys.readouterr().out


def test_build_without_pdfs_keeps_the_current_ones(project: Path) -> None:
    assert _build(project) == 0
    before = _outputs(project)
    assert _build(project, "--no-pdf") == 0
    assert _outputs(project) == before, "PDFs still current are kept, pages untouched"

    slug = "moe-serving-offloading"
    question = project / "questions" / f"{slug}.yaml"
    question.write_text(question.read_text().replace("question: ", "question: Briefly, ", 1))
    assert _build(project, "--no-pdf") == 0
    after = _outputs(project)
    edited = {p for p in before if p.stem == slug}
    assert all(p.suffix != ".pdf" or p not in after for p in edited), "a stale PDF is dropped"
    page = next(p for p in after if p.stem == slug and p.suffix == ".md")
    assert f"{slug}.pdf" not in page.read_text()
    others = {p for p in before if p.suffix == ".pdf"} - edited
    assert others and {p: after[p] for p in others} == {p: before[p] for p in others}


def test_only_build_leaves_a_ledger_the_next_full_build_trusts(
    project: Path, monkeypatch, capsys
) -> None:
    assert _build(project, "--no-pdf") == 0
    slug = "moe-serving-offloading"
    question = project / "questions" / f"{slug}.yaml"
    question.write_text(question.read_text().replace("question: ", "question: Briefly, ", 1))
    assert _build(project, "--no-pdf", "--only", slug) == 0
    assert "1 drafts (1 computed, 0 from cache)" in capsys.readouterr().out
    before = _outputs(project)
    assert len([p for p in before if p.suffix == ".json"]) == 3, "the others are kept"
    _forbid(
        monkeypatch,
        (generator.drafting.pipeline, "run_counted"),
        (generator.publishing.render.markdown, "render_draft"),
        (generator.publishing.render.markdown, "render_index"),
    )
    assert _build(project, "--no-pdf") == 0
    assert "3 drafts (0 computed, 3 from cache)" in capsys.readouterr().out
    assert _outputs(project) == before

"""The stage cache: a warm run computes nothing; a changed setting re-runs only what follows."""

from __future__ import annotations

from pathlib import Path

from generator.build import run_pipeline
from generator.drafting.pipeline import Context
from generator.inputs.questions import load_questions
from generator.inputs.settings import load_settings
from generator.machinery.cache import StageCache

UPSTREAM = {"plan", "search", "select", "extract"}


def _run(project: Path, **overrides):
    settings = load_settings(project, overrides)
    questions = load_questions(project / "questions", project).questions
    ctx = Context(settings=settings, cache=StageCache(project / ".cache"))
    report = run_pipeline(questions, settings, ctx.cache, context=ctx)
    ctx.cache.close()
    return ctx, report


def test_second_run_recomputes_no_stage(project: Path) -> None:
    first, cold = _run(project)
    assert sum(first.executed.values()) > 0
    assert cold.computed == 3 and cold.from_cache == 0
    second, warm = _run(project)
    assert sum(second.executed.values()) == 0, second.executed
    assert warm.from_cache == 3 and warm.computed == 0
    assert [d.model_dump() for d in warm.drafts] == [d.model_dump() for d in cold.drafts]


def test_threshold_change_reruns_verify_and_later_only(project: Path) -> None:
    _run(project)
    ctx, report = _run(project, **{"verify.threshold": 0.05})
    ran = set(ctx.executed)
    assert "verify" in ran and "review" in ran and "decide" in ran
    assert not ran & UPSTREAM, ran
    assert all(d.final.verification.threshold == 0.05 for d in report.drafts)


def test_question_text_change_reruns_only_that_question(project: Path) -> None:
    _run(project)
    path = project / "questions" / "moe-serving-offloading.yaml"
    path.write_text(path.read_text().replace("limited GPU memory?", "a single GPU?"))
    ctx, report = _run(project)
    assert report.computed == 1 and report.from_cache == 2
    assert ctx.executed["plan"] == 1


def test_owner_metadata_change_recomputes_nothing(project: Path) -> None:
    _run(project)
    path = project / "questions" / "moe-serving-offloading.yaml"
    path.write_text(path.read_text().replace("tags: [inference, systems]", "tags: [serving]"))
    ctx, _ = _run(project)
    assert sum(ctx.executed.values()) == 0


def test_corrupt_cache_entry_is_recomputed(project: Path) -> None:
    _run(project)
    import diskcache

    with diskcache.Cache(str(project / ".cache")) as raw:
        for key in list(raw):
            raw[key] = "{not json"
    ctx, report = _run(project)
    assert report.computed == 3
    assert ctx.executed["plan"] == 3


def test_draft_date_is_when_pipeline_ran(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1779926400")  # 2026-05-28
    _, cold = _run(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")  # months later
    _, warm = _run(project)
    assert {str(d.ran_on) for d in cold.drafts} == {"2026-05-28"}
    assert {str(d.ran_on) for d in warm.drafts} == {"2026-05-28"}


def test_many_uncached_questions_run_in_processes_with_the_same_drafts(tmp_path: Path) -> None:
    import json as _json

    from generator.build import PROCESS_MIN_PER_JOB
    from generator.drafting.corpus import load_corpus

    from .conftest import make_project

    count = PROCESS_MIN_PER_JOB * 2
    drafts = {}
    for jobs in (1, 2):
        project = make_project(tmp_path / f"p{jobs}", [])
        for i, paper in enumerate(load_corpus()[:count]):
            question = f"What does '{paper.title}' establish about mixture-of-experts models?"
            (project / "questions" / f"q{i:02d}.yaml").write_text(
                "question: " + _json.dumps(question) + "\n"
            )
        settings = load_settings(project)
        questions = load_questions(project / "questions", project).questions
        ctx = Context(settings=settings, cache=StageCache(project / ".cache"))
        report = run_pipeline(questions, settings, ctx.cache, context=ctx, jobs=jobs)
        assert report.computed == count and not report.failures
        # with 2 jobs the stages ran in worker processes, not in this one
        assert (sum(ctx.executed.values()) > 0) == (jobs == 1)
        drafts[jobs] = [
            d.model_dump(exclude={"provenance": {"stages"}, "ran_on": True}) for d in report.drafts
        ]
    assert drafts[1] == drafts[2]

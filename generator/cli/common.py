"""What every command shares: exit codes, messages, settings, the question set, the
pipeline context and its progress, and the build lock."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from generator.drafting.models import Draft, Question
from generator.inputs.questions import QuestionSet, load_questions
from generator.inputs.settings import Settings, corpus_path, load_settings
from generator.inputs.yamlsrc import Problem, read_yaml

if TYPE_CHECKING:
    from generator.build import PipelineReport
    from generator.drafting.pipeline import Context


EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
QUESTION_HINT = "the question format is in generator/inputs/schema/question.schema.json"
SETTINGS_HINT = "`sovereign config` lists every setting with its description"


def err(message: str) -> None:
    print(message, file=sys.stderr)


def settings_of(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.root)
    return settings.offline() if getattr(args, "offline", False) else settings


def project_of(args: argparse.Namespace) -> tuple[Settings, QuestionSet]:
    """The project's settings and question files (valid ones and the problems of the rest)."""
    settings = settings_of(args)
    return settings, load_questions(args.root / settings.paths.questions, args.root)


def report_problems(problems: list[Problem], hint: str = QUESTION_HINT) -> None:
    for problem in problems:
        err(str(problem))
    if problems:
        err(f"{len(problems)} problem(s) found. Fix the lines above; {hint}.")


def fail_usage(message: str) -> int:
    err(message)
    return EXIT_USAGE


def check_pins(root: Path, questions: list[Question], settings: Settings) -> list[Problem]:
    """Pinned papers must exist when the only source is the bundled corpus."""
    if tuple(settings.search.sources) != ("local",):
        return []
    from generator.drafting.corpus import load_corpus

    known = {p.id for p in load_corpus(corpus_path(settings))}
    return [
        Problem(
            q.path,
            read_yaml(root / q.path, q.path).line_of(("paper",)),
            "paper",
            f"{q.paper} is not in the local corpus; check the id, or remove the pin to let the "
            "search choose",
        )
        for q in questions
        if q.paper and q.paper not in known
    ]


def warn_decisions(root: Path, questions: list[Question], settings: Settings) -> None:
    """Say which recorded decisions do not count because their `by:` is no owner."""
    from generator.publishing.owners import decision_problems

    for problem in decision_problems(root, questions, settings.policy.owners):
        err(f"warning: {problem}")


def select_questions(
    questions: list[Question], only: list[str] | None
) -> tuple[list[Question], list[str]]:
    if not only:
        return questions, []
    by_slug = {q.slug: q for q in questions}
    missing = [s for s in only if s not in by_slug]
    return [by_slug[s] for s in only if s in by_slug], missing


@contextmanager
def pipeline_context(root: Path, settings: Settings) -> Iterator[Context]:
    """The pipeline's shared context; on leaving, close the cache and report what the web
    services cost."""
    from generator.drafting.pipeline import Context
    from generator.machinery.cache import StageCache

    cache = StageCache(root / settings.paths.cache_dir / "stages")
    cache.check()
    ctx = Context(
        settings=settings, cache=cache, http_cache=root / settings.paths.cache_dir / "http"
    )
    try:
        yield ctx
    finally:
        cache.close()
        if ctx.services is not None:
            for name, stats in ctx.services.stats().items():
                missing = f", {stats.not_found} not found" if stats.not_found else ""
                if stats.out_of_time:
                    missing += f", {stats.out_of_time} stopped by the question deadline"
                if stats.circuit_opened:
                    missing += "; no longer asked after failing repeatedly"
                err(
                    f"{name}: {stats.requests} requests, {stats.retries} retries, "
                    f"{stats.cache_hits} answered from the HTTP cache, {stats.failures} failed"
                    f"{missing}"
                )
            ctx.services.close()
        if cache.problem:
            err(f"warning: {cache.problem}")


def run_with_progress(
    questions: list[Question], ctx: Context, jobs: int, quiet: bool = False
) -> PipelineReport:
    """Run the pipeline under a progress bar, with a line per draft; print failures.
    `quiet`: no line per draft, and the bar disappears when done (for commands whose output
    is something else, such as the review queue)."""
    from generator.build import PipelineReport, run_pipeline

    if not questions:
        return PipelineReport()
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=quiet,
    ) as progress:
        task = progress.add_task("pipeline", total=len(questions))

        def advance(question: Question, draft: Draft | None) -> None:
            if not quiet:
                verdict = f"{draft.decision.policy}" if draft else "FAILED"
                progress.console.print(f"  {question.slug}: {verdict}", highlight=False)
            progress.advance(task)

        report = run_pipeline(questions, ctx.settings, ctx.cache, advance, context=ctx, jobs=jobs)
    for failure in report.failures:
        err(f"error: {failure.message}")
    return report


def with_current_question(draft: Draft, question: Question) -> Draft:
    """A draft from an earlier build, with the question file's current owner decision and
    tags (its text is what the draft was made from, so it stays)."""
    return draft.model_copy(
        update={"question": question.model_copy(update={"question": draft.question.question})}
    )


def current_entries(args: argparse.Namespace, only: list[str] | None) -> tuple[Settings, list]:
    """Run the (cached) pipeline and return the drafts' entries with their standing."""
    from generator.publishing.writers import entries

    settings, loaded = project_of(args)
    report_problems(loaded.problems)
    selected, missing = select_questions(loaded.questions, only)
    if missing:
        raise SystemExit(fail_usage(f"no valid question named {', '.join(missing)}"))
    with pipeline_context(args.root, settings) as ctx:
        report = run_with_progress(selected, ctx, args.jobs, quiet=True)
    return settings, entries(args.root, settings, report.drafts)


def locked(args: argparse.Namespace) -> int:
    """Run a command that writes outputs under the project's build lock, after removing
    whatever an interrupted build left behind."""
    from generator.machinery.lock import LockTimeout, project_lock, remove_leftovers

    paths = settings_of(args).paths
    try:
        with project_lock(args.root / paths.cache_dir):
            removed = remove_leftovers(
                args.root / paths.site_dir,
                args.root / paths.docs_dir,
                args.root / paths.review_dir,
                args.root / "shards",
            )
            if removed:
                err(f"removed {len(removed)} leftover file(s) of an interrupted build")
            return int(args.func(args))
    except LockTimeout as exc:
        err(f"error: {exc}; is another build still running?")
        return EXIT_FAILED

"""The `sovereign` command.

Exit codes: 0 success; 1 a question's pipeline or the site build failed; 2 a user error
(invalid settings or question files; with `build`, after building the valid questions).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .timing import Phases  # isort: skip  (imported first: its clock starts with the CLI)
from .models import Draft, Question
from .questions import load_questions
from .settings import Settings, SettingsError, corpus_path, load_settings
from .yamlsrc import Problem, read_yaml

if TYPE_CHECKING:
    from .build import PipelineReport
    from .ledger import Ledger
    from .pipeline import Context
    from .publish import Entry

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.root)
    return settings.offline() if getattr(args, "offline", False) else settings


QUESTION_HINT = "the question format is in generator/schema/question.schema.json"
SETTINGS_HINT = "`sovereign config` lists every setting with its description"


def _report(problems: list[Problem], hint: str = QUESTION_HINT) -> None:
    for problem in problems:
        _err(str(problem))
    if problems:
        _err(f"{len(problems)} problem(s) found. Fix the lines above; {hint}.")


def _check_pins(root: Path, questions: list[Question], settings: Settings) -> list[Problem]:
    """Pinned papers must exist when the only source is the bundled corpus."""
    if tuple(settings.search.sources) != ("local",):
        return []
    from .corpus import load_corpus

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


def _warn_decisions(root: Path, questions: list[Question], settings: Settings) -> None:
    """Say which recorded decisions do not count because their `by:` is no owner."""
    from .owners import decision_problems

    for problem in decision_problems(root, questions, settings.policy.owners):
        _err(f"warning: {problem}")


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the settings file and every question file."""
    settings = _settings(args)
    loaded = load_questions(args.root / settings.paths.questions, args.root)
    problems = loaded.problems + _check_pins(args.root, loaded.questions, settings)
    if not loaded.questions and not loaded.problems:
        problems.append(
            Problem(settings.paths.questions, None, "", "no question files (*.yaml) found")
        )
    _report(problems)
    _warn_decisions(args.root, loaded.questions, settings)
    if problems:
        return EXIT_USAGE
    print(f"{len(loaded.questions)} question files OK.")
    return EXIT_OK


def _select(questions: list[Question], only: list[str] | None) -> tuple[list[Question], list[str]]:
    if not only:
        return questions, []
    by_slug = {q.slug: q for q in questions}
    missing = [s for s in only if s not in by_slug]
    return [by_slug[s] for s in only if s in by_slug], missing


@contextmanager
def _pipeline_context(root: Path, settings: Settings) -> Iterator[Context]:
    """The pipeline's shared context; on leaving, close the cache and report what the web
    services cost."""
    from .cache import StageCache
    from .pipeline import Context

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
                _err(
                    f"{name}: {stats.requests} requests, {stats.retries} retries, "
                    f"{stats.cache_hits} answered from the HTTP cache, {stats.failures} failed"
                    f"{missing}"
                )
            ctx.services.close()
        if cache.problem:
            _err(f"warning: {cache.problem}")


def _run_with_progress(
    questions: list[Question], ctx: Context, jobs: int, quiet: bool = False
) -> PipelineReport:
    """Run the pipeline under a progress bar, with a line per draft; print failures.
    `quiet`: no line per draft, and the bar disappears when done (for commands whose output
    is something else, such as the review queue)."""
    from .build import PipelineReport, run_pipeline

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
        _err(f"error: {failure.message}")
    return report


def _with_current_question(draft: Draft, question: Question) -> Draft:
    """A draft from an earlier build, with the question file's current owner decision and
    tags (its text is what the draft was made from, so it stays)."""
    return draft.model_copy(
        update={"question": question.model_copy(update={"question": draft.question.question})}
    )


def cmd_build(args: argparse.Namespace) -> int:
    """Run the pipeline for the questions, write drafts and index, build the site."""
    from .ledger import Ledger
    from .pipeline import code_digest
    from .shards import Shard, write_shard

    phases = Phases()
    phases.mark("start-up")
    settings = _settings(args)
    cache_dir = args.root / settings.paths.cache_dir
    ledger = Ledger.read(cache_dir, code_digest())
    loaded = load_questions(args.root / settings.paths.questions, args.root, memo=ledger.questions)
    problems = loaded.problems + _check_pins(args.root, loaded.questions, settings)
    _report(problems)
    _warn_decisions(args.root, loaded.questions, settings)
    if problems and args.strict:
        return EXIT_USAGE
    bad_pins = {p.path for p in problems}
    questions = [q for q in loaded.questions if q.path not in bad_pins]
    selected, missing = _select(questions, args.only)
    if missing:
        _err(f"--only: no valid question named {', '.join(missing)}")
        return EXIT_USAGE
    shard = Shard.parse(args.shard) if args.shard else None
    if shard:
        with _pipeline_context(args.root, settings) as ctx:
            report = _run_with_progress(shard.select(selected), ctx, args.jobs)
        folder = args.out or args.root / "shards" / str(shard.index)
        write_shard(folder, report.drafts, [(f.question.slug, f.message) for f in report.failures])
        print(f"{report.summary()} · shard {shard.index}/{shard.count} written to {folder}")
        pdf_errors = [] if args.no_pdf else _shard_pdfs(args, settings, folder, report.drafts)
        # NOTE: a question without a draft is recorded in the shard and shown on the index by
        # merge; it must not stop the other shards' drafts from being published. A PDF that
        # failed here is rendered again by merge.
        for error in pdf_errors:
            _err(f"warning: PDF {error} (merge will render it)")
        return EXIT_USAGE if problems else EXIT_OK

    phases.mark("questions")
    with _pipeline_context(args.root, settings) as ctx:
        if args.only:
            report, items = _build_only(args, settings, ctx, selected, questions, ledger)
        else:
            report, items = _build_all(args.root, settings, ctx, selected, ledger, args.jobs)
        phases.mark("pipeline")
        print(report.summary(), end=" · ")
        code = _publish(args, settings, items, report.failures, ledger, phases)
    if args.timings:
        _err(phases.line())
    if code == EXIT_OK and problems:
        return EXIT_USAGE
    return code if code != EXIT_OK else (EXIT_FAILED if report.failures else EXIT_OK)


def _shard_pdfs(
    args: argparse.Namespace, settings: Settings, folder: Path, drafts: list[Draft]
) -> list[str]:
    """Render a shard's PDFs into its folder, so merge copies them instead of rendering all
    of them on one machine; return the failures."""
    from .publish import PdfJob, entries, render_pdfs
    from .shards import PDFS, write_shard_pdfs

    items = entries(args.root, settings, drafts)
    jobs = [PdfJob(e, folder / PDFS / f"{e.slug}.pdf") for e in items]
    errors, made = render_pdfs(args.root, settings, jobs, args.jobs, {})
    write_shard_pdfs(folder, {Path(t).stem: stamp for t, stamp in made.items()})
    print(f"{len(made)} PDFs rendered into {folder / PDFS}")
    return errors


def _entry_keys(
    root: Path, settings: Settings, ctx: Context, questions: list[Question]
) -> dict[str, str]:
    """Each question's entry key: what its published draft depends on."""
    from .pipeline import draft_key
    from .publish import entry_key

    return {q.slug: entry_key(root, settings, q, draft_key(q, ctx)) for q in questions}


def _split_by_ledger(
    root: Path, settings: Settings, ctx: Context, questions: list[Question], ledger: Ledger
) -> tuple[list[Entry], list[Question], dict[str, str]]:
    """The entries whose inputs match the ledger, taken from it as they are (no draft read);
    the questions that must run; and every question's entry key."""
    from .pipeline import run_counted
    from .publish import Entry, entry

    unchanged: list[Entry] = []
    pending: list[Question] = []
    keys = _entry_keys(root, settings, ctx, questions)
    for question in questions:
        key = keys[question.slug]
        row = ledger.rows.get(question.slug)
        if row is not None and row.key == key:

            def load(q: Question = question, k: str = key) -> Entry:
                return entry(root, settings, run_counted(q, ctx)[0], k)

            unchanged.append(Entry.from_row(row, load))
        else:
            pending.append(question)
    return unchanged, pending, keys


def _build_all(
    root: Path,
    settings: Settings,
    ctx: Context,
    questions: list[Question],
    ledger: Ledger,
    jobs: int,
) -> tuple[PipelineReport, list[Entry]]:
    """Every question: those unchanged since the ledger's build are taken from it, the others
    run through the pipeline."""
    from .publish import entries

    unchanged, pending, keys = _split_by_ledger(root, settings, ctx, questions, ledger)
    report = _run_with_progress(pending, ctx, jobs)
    report.from_cache += len(unchanged)
    # NOTE: a draft made while a service failed gets no key, so the next build retries it.
    made = {d.slug: keys[d.slug] for d in report.drafts if not d.failures}
    return report, unchanged + entries(root, settings, report.drafts, made)


def _build_only(
    args: argparse.Namespace,
    settings: Settings,
    ctx: Context,
    selected: list[Question],
    questions: list[Question],
    ledger: Ledger,
) -> tuple[PipelineReport, list[Entry]]:
    """`--only`: run the named questions and keep every other draft as last written."""
    from .build import previous_drafts
    from .publish import entries

    report = _run_with_progress(selected, ctx, args.jobs)
    built = {d.slug for d in report.drafts} | set(args.only)
    keys = _entry_keys(args.root, settings, ctx, selected)
    made = {d.slug: keys[d.slug] for d in report.drafts if not d.failures}
    # NOTE: a partial build must not drop the other drafts from the site: keep their
    # last written versions (they were not asked to change), from the ledger when it still
    # matches, else from the JSON the last build wrote.
    others = [q for q in questions if q.slug not in built]
    unchanged, stale, _ = _split_by_ledger(args.root, settings, ctx, others, ledger)
    current = {q.slug: q for q in stale}
    previous = [
        _with_current_question(d, current[d.slug])
        for d in previous_drafts(args.root, settings, set(current))
    ]
    return report, [
        *entries(args.root, settings, report.drafts, made),
        *unchanged,
        *entries(args.root, settings, previous),
    ]


def _say_what_changed_on_the_site(items: list[Entry], ledger: Ledger) -> None:
    """One line for each draft the last build published and this one does not, or the
    reverse, so a withdrawal never hides behind the pipeline's ESCALATE_TO_OWNER line."""
    from .render.formats import why_waiting

    for item in items:
        before = ledger.rows.get(item.slug)
        if before is None:
            continue
        was, now = before.standing.standing().published, item.standing.published
        if was and not now:
            why = (
                f"rejected by the owner ({item.standing.decided_by})"
                if item.standing.state == "rejected"
                else why_waiting(item)
            )
            print(
                f"  {item.slug}: withdrawn from the site: {why}; `sovereign review "
                f"{item.slug}` shows what changed"
            )
        elif now and not was:
            print(f"  {item.slug}: now on the site: {item.standing.label.lower()}")


def _publish(
    args: argparse.Namespace,
    settings: Settings,
    items: list[Entry],
    failures: list,
    ledger: Ledger | None = None,
    phases: Phases | None = None,
    carried: dict[str, tuple[Path, str]] | None = None,
) -> int:
    """Standings → pages, JSON, index, review queue → PDFs → the site (`site.engine`). The
    ledger, when given, says what is unchanged since the last build and is written back."""
    from .build import build_site
    from .engines import SiteBuildError, source_signature
    from .ledger import Ledger
    from .publish import carry_pdfs, render_pdfs, summary_line, write_outputs

    ledger = ledger if ledger is not None else Ledger()
    phases = phases or Phases()
    items = sorted(items, key=lambda e: e.slug)
    pdf_jobs = write_outputs(
        args.root,
        settings,
        items,
        preview=args.preview,
        failures=failures,
        with_pdfs=not args.no_pdf,
        ledger=ledger,
    )
    print(summary_line(items))
    _say_what_changed_on_the_site(items, ledger)
    phases.mark("pages")
    if carried:
        print(f"{carry_pdfs(pdf_jobs, carried, ledger.pdfs)} PDFs taken from the shards")
    pdf_errors, ledger.pdfs = render_pdfs(args.root, settings, pdf_jobs, args.jobs, ledger.pdfs)
    ledger.rows = {e.slug: e.row() for e in items}
    ledger.write(args.root / settings.paths.cache_dir)
    phases.mark("PDFs")
    for error in pdf_errors:
        _err(f"error: PDF {error}")
    if pdf_errors:
        return EXIT_FAILED
    if args.no_site:
        return EXIT_OK
    site = args.root / settings.paths.site_dir
    sources = source_signature(args.root, settings)
    if ledger.site == sources and (site / "index.html").is_file():
        # NOTE: nothing the engine reads has changed since it built site/: it would write
        # the same site again (seconds at a thousand pages), so it is not run.
        phases.mark(Phases.SITE)
        shown = site.relative_to(args.root) if site.is_relative_to(args.root) else site
        print(
            f"Site unchanged: {shown}/index.html is current (nothing under "
            f"{settings.paths.docs_dir}/ changed)."
        )
        return EXIT_OK
    try:
        site = build_site(args.root, settings, strict=True)
    except SiteBuildError as exc:
        _err(str(exc))
        return EXIT_FAILED
    finally:
        phases.mark(Phases.SITE)
    ledger.site = sources
    ledger.write(args.root / settings.paths.cache_dir)
    shown = site.relative_to(args.root) if site.is_relative_to(args.root) else site
    print(
        f"Site written to {shown}/index.html; the review bundle is in {settings.paths.review_dir}/."
    )
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    """Assemble the drafts of `build --shard` runs and publish them as one build."""
    from .build import Failure
    from .shards import ShardError, read_shards

    settings = _settings(args)
    loaded = load_questions(args.root / settings.paths.questions, args.root)
    current = {q.slug: q for q in loaded.questions}
    try:
        drafts, failed = read_shards(args.folders)
    except ShardError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    unknown = [d.slug for d in drafts if d.slug not in current]
    if unknown:
        _err(f"note: ignoring drafts of questions that no longer exist: {', '.join(unknown)}")
    drafts = [_with_current_question(d, current[d.slug]) for d in drafts if d.slug in current]
    failures = [Failure(current[slug], message) for slug, message in failed if slug in current]
    absent = sorted(set(current) - {d.slug for d in drafts} - {f.question.slug for f in failures})
    if absent:
        _err(f"error: no shard holds {', '.join(absent)}; was every shard built?")
        return EXIT_USAGE
    print(f"{len(drafts)} drafts from {len(args.folders)} shards", end=" · ")
    for failure in failures:
        _err(f"warning: no draft for {failure.question.slug}: {failure.message}")
    from .publish import entries
    from .shards import read_shard_pdfs

    items = entries(args.root, settings, drafts)
    return _publish(args, settings, items, failures, carried=read_shard_pdfs(args.folders))


def cmd_pr(args: argparse.Namespace) -> int:
    """Pull-request check: validate every question file, run the pipeline for the changed
    ones only, and write a summary (verdict, score, policy, claims) for the contributor."""
    from .gitdiff import GitError, changed_files
    from .owners import unauthorised_changes
    from .publish import entries
    from .render.markdown import render_pr_summary

    settings = _settings(args)
    folder = settings.paths.questions
    loaded = load_questions(args.root / folder, args.root)
    problems = loaded.problems + _check_pins(args.root, loaded.questions, settings)
    _report(problems)
    _warn_decisions(args.root, loaded.questions, settings)
    author = args.author or os.environ.get("PR_AUTHOR") or None
    refused = unauthorised_changes(args.root, args.base, folder, author)
    _report(refused, "only an owner may record a decision or change the owners")
    try:
        changed = set(changed_files(args.root, args.base, folder))
    except GitError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE
    bad = {p.path for p in problems}
    selected = [q for q in loaded.questions if q.path in changed and q.path not in bad]
    with _pipeline_context(args.root, settings) as ctx:
        report = _run_with_progress(selected, ctx, args.jobs)
    summary = render_pr_summary(
        entries(args.root, settings, report.drafts), report.failures, problems, refused
    )
    print(summary)
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as handle:
            handle.write(summary + "\n")
    if problems or refused:
        return EXIT_USAGE
    return EXIT_FAILED if report.failures else EXIT_OK


def cmd_shards(args: argparse.Namespace) -> int:
    """Print the CI matrix of shards for the current question set (JSON)."""
    import json

    from .questions import question_files
    from .shards import shard_count

    settings = _settings(args)
    count = len(question_files(args.root / settings.paths.questions))
    n = shard_count(count, settings.shards.threshold, settings.shards.max_shards)
    print(json.dumps({"shard": [f"{i}/{n}" for i in range(1, n + 1)]}))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Run the pipeline for one question and print its outcome (no site)."""
    settings = _settings(args)
    loaded = load_questions(args.root / settings.paths.questions, args.root)
    selected, missing = _select(loaded.questions, [args.slug])
    if missing:
        _report([p for p in loaded.problems if Path(p.path).stem == args.slug])
        _err(f"no valid question named {args.slug}")
        return EXIT_USAGE
    with _pipeline_context(args.root, settings) as ctx:
        report = _run_with_progress(selected, ctx, jobs=1)
    from .render.formats import claims_line, state_counts

    for d in report.drafts:
        f = d.final
        print(
            f"{d.slug}: Answer: {d.answer.summary} "
            f"{len(f.search.papers)} papers retrieved. "
            f"{claims_line(state_counts(f.verification))}. Tribunal: "
            f"{f.tribunal.score:.1f}/10 → {f.tribunal.verdict} (revision_round={f.index}). "
            f"Policy: {d.decision.policy} — {d.decision.reason}"
        )
    return EXIT_FAILED if report.failures else EXIT_OK


def cmd_cache(args: argparse.Namespace) -> int:
    """Show or clear the caches: stage results, HTTP answers, corpus indexes and drawn charts
    (the draft archive, which stale owner decisions are compared with, is kept)."""
    import diskcache

    from .ledger import FILE_NAME as LEDGER_FILE

    root = args.root / _settings(args).paths.cache_dir
    for part, what in (("stages", "stage results"), ("http", "HTTP answers")):
        with diskcache.Cache(str(root / part)) as store:
            if args.action == "clear":
                print(f"{root / part}: removed {store.clear()} {what}")
            else:
                print(f"{root / part}: {len(store)} {what}, {store.volume() / 1e6:.1f} MB")
    index, charts = root / "index", root / "charts"
    built = sorted(p for p in index.glob("*") if p.is_dir()) if index.is_dir() else []
    drawn = list(charts.glob("*.svg")) if charts.is_dir() else []
    if args.action == "clear":
        import shutil

        shutil.rmtree(index, ignore_errors=True)
        print(f"{index}: removed {len(built)} corpus indexes")
        shutil.rmtree(charts, ignore_errors=True)
        print(f"{charts}: removed {len(drawn)} drawn charts")
        # NOTE: without its ledger the next build checks every draft again instead of
        # trusting what the last one wrote.
        (root / LEDGER_FILE).unlink(missing_ok=True)
    else:
        size = sum(f.stat().st_size for p in built for f in p.rglob("*") if f.is_file())
        print(f"{index}: {len(built)} corpus indexes, {size / 1e6:.1f} MB")
        size = sum(f.stat().st_size for f in drawn)
        print(f"{charts}: {len(drawn)} drawn charts, {size / 1e6:.1f} MB")
    archive = root / "drafts"
    versions = len(list(archive.glob("*/*.json"))) if archive.is_dir() else 0
    print(f"{archive}: {versions} archived draft versions (kept)")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the site with the engine's live-reloading server, writing the pages again
    whenever a question file or the settings change (see generator/serve.py)."""
    from .serve import serve

    def build() -> int:
        flags = ["--no-site", "--no-pdf", "--preview", *(["--offline"] if args.offline else [])]
        return main(["--root", str(args.root), "build", *flags])

    return serve(args.root, _settings(args), args.addr, build)


def _current_entries(args: argparse.Namespace, only: list[str] | None) -> tuple[Settings, list]:
    """Run the (cached) pipeline and return the drafts' entries with their standing."""
    from .publish import entries

    settings = _settings(args)
    loaded = load_questions(args.root / settings.paths.questions, args.root)
    _report(loaded.problems)
    selected, missing = _select(loaded.questions, only)
    if missing:
        raise SystemExit(_fail_usage(f"no valid question named {', '.join(missing)}"))
    with _pipeline_context(args.root, settings) as ctx:
        report = _run_with_progress(selected, ctx, args.jobs, quiet=True)
    return settings, entries(args.root, settings, report.drafts)


def _fail_usage(message: str) -> int:
    _err(message)
    return EXIT_USAGE


def cmd_review(args: argparse.Namespace) -> int:
    """List the review queue and print, for each draft, the review block to paste."""
    from datetime import date

    from .owners import listed

    settings, items = _current_entries(args, [args.slug] if args.slug else None)
    queue = [e for e in items if not e.standing.published and e.standing.state != "rejected"]
    shown = items if args.slug else queue
    if not shown:
        print("The review queue is empty.")
        return EXIT_OK
    drafts = "1 draft" if len(queue) == 1 else f"{len(queue)} drafts"
    print(f"Review queue: {drafts} waiting for the owner.\n")
    review_dir = settings.paths.review_dir
    owners = settings.policy.owners
    by = (
        f"{owners[0]}   # one of policy.owners: {', '.join(owners)}"
        if len(owners) > 1
        else (owners[0] if owners else "your-github-login   # must be listed in policy.owners")
    )
    for e in shown:
        d, s = e.draft, e.standing
        folder = (
            f"{settings.paths.docs_dir}/drafts"
            if s.published
            else (f"{review_dir}/rejected" if s.state == "rejected" else review_dir)
        )
        print(f"{d.slug} — {s.label}")
        print(f"  {d.final.tribunal.verdict} {d.final.tribunal.score:.1f}/10 · {d.decision.reason}")
        for change in s.changes:
            print(f"  changed since the owner's decision ({s.decided_by}): {change}")
        if s.state == "not_owner":
            print(
                f"  the decision recorded by {s.decided_by} does not count: not one of "
                f"policy.owners ({listed(settings.policy.owners)})"
            )
        print(f"  read: {folder}/{d.slug}.pdf (or {folder}/{d.slug}.md)")
        print(f"  to decide, put this in {d.question.path}:")
        print("    review:")
        print("      decision: approve   # approve | reject | revise")
        print(f"      by: {by}")
        print(f"      date: {date.today().isoformat()}")
        print('      note: ""')
        print(f"      draft_hash: {s.content_hash}\n")
    return EXIT_OK


def cmd_codeowners(args: argparse.Namespace) -> int:
    """Print `.github/CODEOWNERS` for policy.owners; write it, or check the one there."""
    from .outputs import write_text
    from .owners import CODEOWNERS, codeowners

    settings = _settings(args)
    text = codeowners(settings.policy.owners, settings.paths.questions)
    path = args.root / CODEOWNERS
    if args.write:
        write_text(path, text)
        print(f"wrote {CODEOWNERS} for {', '.join(settings.policy.owners) or 'no owner'}")
        return EXIT_OK
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            print(f"{CODEOWNERS} matches policy.owners")
            return EXIT_OK
        state = "is missing" if current is None else "differs from policy.owners"
        _err(f"{CODEOWNERS} {state}; run `sovereign codeowners --write`")
        return EXIT_FAILED
    print(text, end="")
    return EXIT_OK


def cmd_pdf(args: argparse.Namespace) -> int:
    """Render one draft's PDF (where the build would put it, or to --out)."""
    from .publish import PdfJob, render_pdfs

    settings, items = _current_entries(args, [args.slug])
    entry = items[0]
    if args.out:
        target = args.out
    elif entry.standing.published:
        target = args.root / settings.paths.docs_dir / "drafts" / f"{args.slug}.pdf"
    elif entry.standing.state == "rejected":
        target = args.root / settings.paths.review_dir / "rejected" / f"{args.slug}.pdf"
    else:
        target = args.root / settings.paths.review_dir / f"{args.slug}.pdf"
    errors, _ = render_pdfs(args.root, settings, [PdfJob(entry, target)], processes=1)
    for error in errors:
        _err(f"error: PDF {error}")
    if not errors:
        print(f"{target}")
    return EXIT_FAILED if errors else EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check each configured web service's reachability and key, one line each."""
    from .doctor import run_checks
    from .http import Services

    settings = _settings(args)
    names = ["arxiv", "semantic_scholar", "nim", "llm"] if args.all else settings.live_services()
    if not names:
        print(
            "No web service is configured: this build runs offline. "
            "Use --all to check every service anyway."
        )
        return EXIT_OK
    no_retry = {
        name: getattr(settings.services, name).model_copy(update={"retries": 0}) for name in names
    }
    services = Services(settings.services.model_copy(update=no_retry))
    try:
        checks = run_checks(settings, services, names)
    finally:
        services.close()
    for check in checks:
        print(check)
    return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILED


def cmd_config(args: argparse.Namespace) -> int:
    """Print every setting with its current value and description."""
    from pydantic import BaseModel

    def show(model: BaseModel, indent: str) -> None:
        for key, info in type(model).model_fields.items():
            value = getattr(model, key)
            note = f"  # {info.description}" if info.description else ""
            if isinstance(value, BaseModel):
                print(f"{indent}{key}:{note}")
                show(value, indent + "  ")
            else:
                print(f"{indent}{key}: {yaml_value(value)}{note}")

    show(_settings(args), "")
    return EXIT_OK


def yaml_value(value: object) -> str:
    """A setting's value as it would be written in sovereign.yml (null, true, [a, b])."""
    import yaml

    plain = list(value) if isinstance(value, tuple) else value
    text = yaml.safe_dump(plain, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.strip().removesuffix("...").strip()


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure the product's retrieval and verification on a labelled benchmark split."""
    if args.benchmark == "coverage":
        from .evaluation.coverage import run
    elif args.benchmark == "tribunal":
        from .evaluation.tribunal import run
    else:
        from .evaluation.command import run
    return run(args, _settings(args))


def _fit_option(p: argparse.ArgumentParser, what: str, shipped: str) -> None:
    p.add_argument(
        "--fit",
        type=Path,
        metavar="OUT",
        help=f"refit {what} and write it to OUT (generator/verifier/{shipped} is the shipped file)",
    )


def _question_sets(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[Path("bench/coverage_questions.yaml"), Path("bench/coverage_holdout.yaml")],
        help="question sets: on_topic (with the corpus papers that address each) and "
        "off_topic (default: the two sets in bench/)",
    )


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="sovereign", description=__doc__.splitlines()[0])
    main.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="project folder holding sovereign.yml and questions/ (default: .)",
    )
    sub = main.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="run the pipeline for every question and build the site")
    p.add_argument(
        "--only", action="append", metavar="SLUG", help="build only this question (repeatable)"
    )
    p.add_argument(
        "--offline", action="store_true", help="use the offline backends whatever the config says"
    )
    p.add_argument(
        "--preview",
        action="store_true",
        help="put every draft on the site, escalated ones with a 'not published' banner",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="questions run at once (default: the number of cores)",
    )
    p.add_argument(
        "--strict", action="store_true", help="stop before building if any question file is invalid"
    )
    p.add_argument(
        "--no-site", action="store_true", help="write drafts and index but skip the site engine"
    )
    p.add_argument(
        "--no-pdf", action="store_true", help="render no PDF (PDFs still current are kept)"
    )
    p.add_argument(
        "--timings",
        action="store_true",
        help="print where the time went: start-up, questions, pipeline, pages, PDFs, site",
    )
    p.add_argument(
        "--shard",
        metavar="I/N",
        help="run only the I-th of N stable shards and write its drafts (see merge)",
    )
    p.add_argument("--out", type=Path, help="with --shard: where drafts and PDFs go (shards/I)")
    p.set_defaults(func=cmd_build, writes=True)

    p = sub.add_parser("merge", help="publish the drafts of several `build --shard` runs")
    p.add_argument("folders", nargs="+", type=Path, metavar="SHARD_DIR")
    p.add_argument("--preview", action="store_true", help="as for build")
    p.add_argument("--no-site", action="store_true", help="as for build")
    p.add_argument("--no-pdf", action="store_true", help="as for build")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N")
    p.set_defaults(func=cmd_merge, writes=True)

    p = sub.add_parser("pr", help="check a pull request: changed questions' verdicts")
    p.add_argument("--base", required=True, help="git ref the branch is compared with")
    p.add_argument(
        "--summary", type=Path, help="append the Markdown summary here ($GITHUB_STEP_SUMMARY)"
    )
    p.add_argument(
        "--author",
        help="who opened the pull request (GitHub login; default: $PR_AUTHOR); a change to a "
        "review: block or to the owners by anyone but an owner fails the check",
    )
    p.add_argument("--offline", action="store_true", help="use the offline backends")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N")
    p.set_defaults(func=cmd_pr, writes=True)

    p = sub.add_parser("shards", help="print the CI shard matrix for the question set (JSON)")
    p.set_defaults(func=cmd_shards)

    p = sub.add_parser("check", help="validate sovereign.yml and every question file")
    p.add_argument("--offline", action="store_true", help="check as for an offline build")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("run", help="run the pipeline for one question and print the outcome")
    p.add_argument("slug")
    p.add_argument("--offline", action="store_true", help="use the offline backends")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("cache", help="show or clear the stage cache")
    p.add_argument("action", choices=["info", "clear"])
    p.set_defaults(func=cmd_cache)

    p = sub.add_parser(
        "serve", help="serve the site locally, rebuilt and reloaded when a question changes"
    )
    p.add_argument("--addr", default="127.0.0.1:8000", help="address and port to serve on")
    p.add_argument("--offline", action="store_true", help="use the offline backends")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("review", help="list the review queue and the block to paste to decide")
    p.add_argument("slug", nargs="?", help="show this draft only (whatever its state)")
    p.add_argument("--offline", action="store_true", help="use the offline backends")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N")
    p.set_defaults(func=cmd_review, writes=True)

    p = sub.add_parser("codeowners", help="print .github/CODEOWNERS for policy.owners")
    p.add_argument("--write", action="store_true", help="write the file")
    p.add_argument("--check", action="store_true", help="exit 1 when the file is not current")
    p.set_defaults(func=cmd_codeowners)

    p = sub.add_parser("pdf", help="render one draft's PDF")
    p.add_argument("slug")
    p.add_argument("--out", type=Path, help="write here instead of the draft's folder")
    p.add_argument("--offline", action="store_true", help="use the offline backends")
    p.add_argument("--jobs", type=int, default=1, metavar="N")
    p.set_defaults(func=cmd_pdf, writes=True)

    p = sub.add_parser("doctor", help="check each configured web service and its API key")
    p.add_argument("--all", action="store_true", help="check every service, configured or not")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("config", help="print every setting, its value and what it does")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("eval", help="measure the analysis on labelled benchmarks")
    benchmarks = p.add_subparsers(dest="benchmark", required=True)
    p = benchmarks.add_parser(
        "scifact", help="retrieval and claim verification on a SciFact-format split"
    )
    p.add_argument("--corpus", type=Path, required=True, help="corpus.jsonl (doc_id, title, …)")
    p.add_argument("--claims", type=Path, required=True, help="claims_*.jsonl with evidence")
    p.add_argument("--qrels", type=Path, required=True, help="qrels_*.tsv (query, doc, score)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--offline", action="store_true", help="rules stance judge even with an LLM")
    _fit_option(p, "the verifier's weights on this split", "weights.json")
    p.set_defaults(func=cmd_eval)
    p = benchmarks.add_parser(
        "coverage",
        help="does the draft know when the corpus does not cover a question, and pick a "
        "paper that does",
    )
    _question_sets(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    _fit_option(p, "the relevance model on these sets", "relevance.json")
    p.set_defaults(func=cmd_eval)
    p = benchmarks.add_parser(
        "tribunal",
        help="build drafts with planted defects and count how many the policy approves",
    )
    _question_sets(p)
    p.add_argument(
        "--per-defect", type=int, default=5, help="drafts per defect and good drafts (default 5)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_eval)
    return main


def _locked(args: argparse.Namespace) -> int:
    """Run a command that writes outputs under the project's build lock, after removing
    whatever an interrupted build left behind."""
    from .lock import LockTimeout, project_lock, remove_leftovers

    paths = _settings(args).paths
    try:
        with project_lock(args.root / paths.cache_dir):
            removed = remove_leftovers(
                args.root / paths.site_dir,
                args.root / paths.docs_dir,
                args.root / paths.review_dir,
                args.root / "shards",
            )
            if removed:
                _err(f"removed {len(removed)} leftover file(s) of an interrupted build")
            return int(args.func(args))
    except LockTimeout as exc:
        _err(f"error: {exc}; is another build still running?")
        return EXIT_FAILED


def _log_to_stderr() -> None:
    """Warnings (retries, fallbacks) go to the console; set up here, never at import."""
    logger = logging.getLogger("sovereign")
    if not any(getattr(h, "_sovereign", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._sovereign = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _log_to_stderr()
    args.root = args.root.resolve()
    try:
        if getattr(args, "writes", False):
            return _locked(args)
        return int(args.func(args))
    except SettingsError as exc:
        _report(exc.problems, SETTINGS_HINT)
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted; outputs already written are complete, nothing half-written was kept")
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""`sovereign build`: the pipeline for every question, then pages, PDFs and the site."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from generator.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    SETTINGS_HINT,
    check_pins,
    err,
    locked,
    pipeline_context,
    report_problems,
    run_with_progress,
    select_questions,
    settings_of,
    warn_decisions,
    with_current_question,
)
from generator.drafting.models import Draft, Question
from generator.inputs.questions import load_questions
from generator.inputs.settings import Settings, SettingsError
from generator.machinery.timing import Phases

if TYPE_CHECKING:
    from generator.build import PipelineReport
    from generator.drafting.pipeline import Context
    from generator.publishing.ledger import Ledger
    from generator.publishing.writers import Entry


def cmd_build(args: argparse.Namespace) -> int:
    """Run the pipeline for the questions, write drafts and index, build the site."""
    from generator.drafting.pipeline import code_digest
    from generator.machinery.shards import Shard, write_shard
    from generator.publishing.ledger import Ledger

    phases = Phases()
    phases.mark("start-up")
    settings = settings_of(args)
    cache_dir = args.root / settings.paths.cache_dir
    ledger = Ledger.read(cache_dir, code_digest())
    loaded = load_questions(args.root / settings.paths.questions, args.root, memo=ledger.questions)
    problems = loaded.problems + check_pins(args.root, loaded.questions, settings)
    report_problems(problems)
    warn_decisions(args.root, loaded.questions, settings)
    if problems and args.strict:
        return EXIT_USAGE
    bad_pins = {p.path for p in problems}
    questions = [q for q in loaded.questions if q.path not in bad_pins]
    selected, missing = select_questions(questions, args.only)
    if missing:
        err(f"--only: no valid question named {', '.join(missing)}")
        return EXIT_USAGE
    shard = Shard.parse(args.shard) if args.shard else None
    if shard:
        with pipeline_context(args.root, settings) as ctx:
            report = run_with_progress(shard.select(selected), ctx, args.jobs)
        folder = args.out or args.root / "shards" / str(shard.index)
        write_shard(folder, report.drafts, [(f.question.slug, f.message) for f in report.failures])
        print(f"{report.summary()} · shard {shard.index}/{shard.count} written to {folder}")
        pdf_errors = [] if args.no_pdf else _shard_pdfs(args, settings, folder, report.drafts)
        # NOTE: a question without a draft is recorded in the shard and shown on the index by
        # merge; it must not stop the other shards' drafts from being published. A PDF that
        # failed here is rendered again by merge.
        for error in pdf_errors:
            err(f"warning: PDF {error} (merge will render it)")
        return EXIT_USAGE if problems else EXIT_OK

    phases.mark("questions")
    with pipeline_context(args.root, settings) as ctx:
        if args.only:
            report, items = _build_only(args, settings, ctx, selected, questions, ledger)
        else:
            report, items = _build_all(args.root, settings, ctx, selected, ledger, args.jobs)
        phases.mark("pipeline")
        print(report.summary(), end=" · ")
        code = publish(args, settings, items, report.failures, ledger, phases)
    if args.timings:
        err(phases.line())
    if code == EXIT_OK and problems:
        return EXIT_USAGE
    return code if code != EXIT_OK else (EXIT_FAILED if report.failures else EXIT_OK)


def _shard_pdfs(
    args: argparse.Namespace, settings: Settings, folder: Path, drafts: list[Draft]
) -> list[str]:
    """Render a shard's PDFs into its folder, so merge copies them instead of rendering all
    of them on one machine; return the failures."""
    from generator.machinery.shards import PDFS, write_shard_pdfs
    from generator.publishing.writers import PdfJob, entries, render_pdfs

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
    from generator.drafting.pipeline import draft_key
    from generator.publishing.writers import entry_key

    return {q.slug: entry_key(root, settings, q, draft_key(q, ctx)) for q in questions}


def _split_by_ledger(
    root: Path, settings: Settings, ctx: Context, questions: list[Question], ledger: Ledger
) -> tuple[list[Entry], list[Question], dict[str, str]]:
    """The entries whose inputs match the ledger, taken from it as they are (no draft read);
    the questions that must run; and every question's entry key."""
    from generator.drafting.pipeline import run_counted
    from generator.publishing.writers import Entry, entry

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
    from generator.publishing.writers import entries

    unchanged, pending, keys = _split_by_ledger(root, settings, ctx, questions, ledger)
    report = run_with_progress(pending, ctx, jobs)
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
    from generator.build import previous_drafts
    from generator.publishing.writers import entries

    report = run_with_progress(selected, ctx, args.jobs)
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
        with_current_question(d, current[d.slug])
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
    from generator.publishing.render.formats import why_waiting

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


def publish(
    args: argparse.Namespace,
    settings: Settings,
    items: list[Entry],
    failures: list,
    ledger: Ledger | None = None,
    phases: Phases | None = None,
    carried: dict[str, tuple[Path, str]] | None = None,
) -> int:
    """Standings → pages, JSON, index, review queue → PDFs → the site (`site.engine`). The
    ledger, when given, says what is unchanged since the last build and is written back.

    Long by design: the steps of publishing in order, each reporting its own failure the
    same way."""
    from generator.build import build_site
    from generator.publishing.engines import SiteBuildError, source_signature
    from generator.publishing.ledger import Ledger
    from generator.publishing.writers import carry_pdfs, render_pdfs, summary_line, write_outputs

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
        err(f"error: PDF {error}")
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
        err(str(exc))
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


def register(sub: argparse._SubParsersAction) -> None:
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


def build_command(root: Path, *flags: str) -> int:
    """`sovereign build FLAGS` in this process, under the build lock (what `sovereign serve`
    runs on every edit); invalid settings are reported, as the command line does."""
    command = argparse.ArgumentParser(prog="sovereign")
    register(command.add_subparsers(dest="command", required=True))
    args = command.parse_args(["build", *flags])
    args.root = root
    try:
        return locked(args)
    except SettingsError as exc:
        report_problems(exc.problems, SETTINGS_HINT)
        return EXIT_USAGE

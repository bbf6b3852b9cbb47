"""`sovereign run`: one question's pipeline, its outcome printed."""

from __future__ import annotations

import argparse
from pathlib import Path

from generator.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    err,
    pipeline_context,
    project_of,
    report_problems,
    run_with_progress,
    select_questions,
)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the pipeline for one question and print its outcome (no site)."""
    settings, loaded = project_of(args)
    selected, missing = select_questions(loaded.questions, [args.slug])
    if missing:
        report_problems([p for p in loaded.problems if Path(p.path).stem == args.slug])
        err(f"no valid question named {args.slug}")
        return EXIT_USAGE
    with pipeline_context(args.root, settings) as ctx:
        report = run_with_progress(selected, ctx, jobs=1)
    from generator.publishing.render.formats import claims_line, state_counts

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


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the pipeline for one question and print the outcome")
    p.add_argument("slug")
    p.add_argument("--offline", action="store_true", help="use the offline backends")
    p.set_defaults(func=cmd_run)

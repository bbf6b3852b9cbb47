"""`sovereign pr`: the pull-request check (changed questions' verdicts, who may decide)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from generator.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    check_pins,
    err,
    pipeline_context,
    report_problems,
    run_with_progress,
    settings_of,
    warn_decisions,
)
from generator.inputs.questions import load_questions


def cmd_pr(args: argparse.Namespace) -> int:
    """Pull-request check: validate every question file, run the pipeline for the changed
    ones only, and write a summary (verdict, score, policy, claims) for the contributor."""
    from generator.publishing.gitdiff import GitError, changed_files
    from generator.publishing.owners import unauthorised_changes
    from generator.publishing.render.markdown import render_pr_summary
    from generator.publishing.writers import entries

    settings = settings_of(args)
    folder = settings.paths.questions
    loaded = load_questions(args.root / folder, args.root)
    problems = loaded.problems + check_pins(args.root, loaded.questions, settings)
    report_problems(problems)
    warn_decisions(args.root, loaded.questions, settings)
    author = args.author or os.environ.get("PR_AUTHOR") or None
    refused = unauthorised_changes(args.root, args.base, folder, author)
    report_problems(refused, "only an owner may record a decision or change the owners")
    try:
        changed = set(changed_files(args.root, args.base, folder))
    except GitError as exc:
        err(f"error: {exc}")
        return EXIT_USAGE
    bad = {p.path for p in problems}
    selected = [q for q in loaded.questions if q.path in changed and q.path not in bad]
    with pipeline_context(args.root, settings) as ctx:
        report = run_with_progress(selected, ctx, args.jobs)
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


def register(sub: argparse._SubParsersAction) -> None:
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

"""`sovereign shards` and `sovereign merge`: a build spread over CI runners."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from generator.cli.build import publish
from generator.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    err,
    project_of,
    settings_of,
    with_current_question,
)


def cmd_shards(args: argparse.Namespace) -> int:
    """Print the CI matrix of shards for the current question set (JSON)."""
    import json

    from generator.inputs.questions import question_files
    from generator.machinery.shards import shard_count

    settings = settings_of(args)
    count = len(question_files(args.root / settings.paths.questions))
    n = shard_count(count, settings.shards.threshold, settings.shards.max_shards)
    print(json.dumps({"shard": [f"{i}/{n}" for i in range(1, n + 1)]}))
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    """Assemble the drafts of `build --shard` runs and publish them as one build."""
    from generator.build import Failure
    from generator.machinery.shards import ShardError, read_shards

    settings, loaded = project_of(args)
    current = {q.slug: q for q in loaded.questions}
    try:
        drafts, failed = read_shards(args.folders)
    except ShardError as exc:
        err(f"error: {exc}")
        return EXIT_USAGE
    unknown = [d.slug for d in drafts if d.slug not in current]
    if unknown:
        err(f"note: ignoring drafts of questions that no longer exist: {', '.join(unknown)}")
    drafts = [with_current_question(d, current[d.slug]) for d in drafts if d.slug in current]
    failures = [Failure(current[slug], message) for slug, message in failed if slug in current]
    absent = sorted(set(current) - {d.slug for d in drafts} - {f.question.slug for f in failures})
    if absent:
        err(f"error: no shard holds {', '.join(absent)}; was every shard built?")
        return EXIT_USAGE
    print(f"{len(drafts)} drafts from {len(args.folders)} shards", end=" · ")
    for failure in failures:
        err(f"warning: no draft for {failure.question.slug}: {failure.message}")
    from generator.machinery.shards import read_shard_pdfs
    from generator.publishing.writers import entries

    items = entries(args.root, settings, drafts)
    return publish(args, settings, items, failures, carried=read_shard_pdfs(args.folders))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge", help="publish the drafts of several `build --shard` runs")
    p.add_argument("folders", nargs="+", type=Path, metavar="SHARD_DIR")
    p.add_argument("--preview", action="store_true", help="as for build")
    p.add_argument("--no-site", action="store_true", help="as for build")
    p.add_argument("--no-pdf", action="store_true", help="as for build")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N")
    p.set_defaults(func=cmd_merge, writes=True)

    p = sub.add_parser("shards", help="print the CI shard matrix for the question set (JSON)")
    p.set_defaults(func=cmd_shards)

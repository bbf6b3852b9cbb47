"""`sovereign review` and `sovereign codeowners`: the owner's side of publishing."""

from __future__ import annotations

import argparse
import os

from generator.cli.common import EXIT_FAILED, EXIT_OK, current_entries, err, settings_of


def cmd_review(args: argparse.Namespace) -> int:
    """List the review queue and print, for each draft, the review block to paste."""
    from datetime import date

    from generator.publishing.owners import listed

    settings, items = current_entries(args, [args.slug] if args.slug else None)
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
    from generator.machinery.outputs import write_text
    from generator.publishing.owners import CODEOWNERS, codeowners

    settings = settings_of(args)
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
        err(f"{CODEOWNERS} {state}; run `sovereign codeowners --write`")
        return EXIT_FAILED
    print(text, end="")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="list the review queue and the block to paste to decide")
    p.add_argument("slug", nargs="?", help="show this draft only (whatever its state)")
    p.add_argument("--offline", action="store_true", help="use the offline backends")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N")
    p.set_defaults(func=cmd_review, writes=True)

    p = sub.add_parser("codeowners", help="print .github/CODEOWNERS for policy.owners")
    p.add_argument("--write", action="store_true", help="write the file")
    p.add_argument("--check", action="store_true", help="exit 1 when the file is not current")
    p.set_defaults(func=cmd_codeowners)

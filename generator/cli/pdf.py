"""`sovereign pdf`: one draft's PDF."""

from __future__ import annotations

import argparse
from pathlib import Path

from generator.cli.common import EXIT_FAILED, EXIT_OK, current_entries, err


def cmd_pdf(args: argparse.Namespace) -> int:
    """Render one draft's PDF (where the build would put it, or to --out)."""
    from generator.publishing.writers import PdfJob, render_pdfs

    settings, items = current_entries(args, [args.slug])
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
        err(f"error: PDF {error}")
    if not errors:
        print(f"{target}")
    return EXIT_FAILED if errors else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pdf", help="render one draft's PDF")
    p.add_argument("slug")
    p.add_argument("--out", type=Path, help="write here instead of the draft's folder")
    p.add_argument("--offline", action="store_true", help="use the offline backends")
    p.add_argument("--jobs", type=int, default=1, metavar="N")
    p.set_defaults(func=cmd_pdf, writes=True)

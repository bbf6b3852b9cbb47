"""The `sovereign` command: one module per command (`register` adds its arguments, `cmd_*`
runs it); what they share is in `common.py`.

Exit codes: 0 success; 1 a question's pipeline or the site build failed; 2 a user error
(invalid settings or question files; with `build`, after building the valid questions).
"""

from __future__ import annotations

from generator.machinery.timing import Phases  # isort: skip  (first: its clock starts here)

import argparse
import logging
import sys
from pathlib import Path

from generator.cli import (
    build,
    cache,
    check,
    config,
    doctor,
    evaluate,
    pdf,
    pr,
    review,
    run,
    serve,
    shards,
)
from generator.cli.common import EXIT_OK, EXIT_USAGE, SETTINGS_HINT, err, locked, report_problems
from generator.inputs.settings import SettingsError

__all__ = ["EXIT_OK", "EXIT_USAGE", "Phases", "main", "parser"]

COMMANDS = (build, shards, pr, check, run, cache, serve, review, pdf, doctor, config, evaluate)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="sovereign",
        description="Autonomous research drafts from question files, published as a static site.",
    )
    main.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="project folder holding sovereign.yml and questions/ (default: .)",
    )
    sub = main.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return main


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
            return locked(args)
        return int(args.func(args))
    except SettingsError as exc:
        report_problems(exc.problems, SETTINGS_HINT)
        return EXIT_USAGE
    except KeyboardInterrupt:
        err("interrupted; outputs already written are complete, nothing half-written was kept")
        return 130

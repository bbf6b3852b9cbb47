"""`sovereign check`: the settings and every question file validated."""

from __future__ import annotations

import argparse

from generator.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    check_pins,
    project_of,
    report_problems,
    warn_decisions,
)
from generator.inputs.yamlsrc import Problem


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the settings file and every question file."""
    settings, loaded = project_of(args)
    problems = loaded.problems + check_pins(args.root, loaded.questions, settings)
    if not loaded.questions and not loaded.problems:
        problems.append(
            Problem(settings.paths.questions, None, "", "no question files (*.yaml) found")
        )
    report_problems(problems)
    warn_decisions(args.root, loaded.questions, settings)
    if problems:
        return EXIT_USAGE
    print(f"{len(loaded.questions)} question files OK.")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="validate sovereign.yml and every question file")
    p.add_argument("--offline", action="store_true", help="check as for an offline build")
    p.set_defaults(func=cmd_check)

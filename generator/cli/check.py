"""`sovereign check`: the settings and every question file validated."""

from __future__ import annotations

import argparse

from generator.cli import common
from generator.inputs.yamlsrc import Problem


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the settings file and every question file."""
    settings, loaded = common.project_of(args)
    problems = loaded.problems + common.check_pins(args.root, loaded.questions, settings)
    if not loaded.questions and not loaded.problems:
        problems.append(
            Problem(settings.paths.questions, None, "", "no question files (*.yaml) found")
        )
    common.report_problems(problems)
    common.warn_decisions(args.root, loaded.questions, settings)
    if problems:
        return common.EXIT_USAGE
    print(f"{len(loaded.questions)} question files OK.")
    return common.EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="validate sovereign.yml and every question file")
    p.add_argument("--offline", action="store_true", help="check as for an offline build")
    p.set_defaults(func=cmd_check)

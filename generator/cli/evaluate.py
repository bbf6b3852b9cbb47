"""`sovereign eval`: the analysis measured on labelled benchmarks."""

from __future__ import annotations

import argparse
from pathlib import Path

from generator.cli.common import settings_of


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure the product's retrieval and verification on a labelled benchmark split."""
    if args.benchmark == "coverage":
        from generator.evaluation.coverage import run
    elif args.benchmark == "tribunal":
        from generator.evaluation.tribunal import run
    else:
        from generator.evaluation.command import run
    return run(args, settings_of(args))


def _fit_option(p: argparse.ArgumentParser, what: str, shipped: str) -> None:
    p.add_argument(
        "--fit",
        type=Path,
        metavar="OUT",
        help=f"refit {what} and write it to OUT "
        f"(generator/drafting/verifier/{shipped} is the shipped file)",
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


def register(sub: argparse._SubParsersAction) -> None:
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

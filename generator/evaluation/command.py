"""`sovereign eval scifact`: print the measures as a table (or JSON), with progress on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.evaluation.data import EvalInputError, load_split
from generator.evaluation.metrics import LABELS, STATES

if TYPE_CHECKING:
    from generator.drafting.verifier.stance import StanceJudge
    from generator.inputs.settings import Settings


_ROWS = (
    ("ndcg_at_10", "retrieval nDCG@10 (claim → all abstracts)"),
    ("recall_at_50", "retrieval recall@50"),
    ("evidence_p_at_1", "evidence P@1 (sentence shown lies in a rationale)"),
    ("auroc", "AUROC (evidence strength: abstracts with evidence vs without)"),
    ("contradicted_shown_supported", "CONTRADICT pairs shown as supported"),
    ("supported_shown_supported", "SUPPORT pairs shown as supported"),
    ("nei_shown_supported", "pairs without evidence shown as supported"),
    ("supported_precision", "pairs shown as supported that are SUPPORT"),
)


def _judge(settings: Settings, cache_root: Path) -> tuple[StanceJudge | None, Any]:
    """The stance judge the pipeline would use (None: the rules judge), and the services to
    close afterwards."""
    if settings.stance_judge() != "llm":
        return None, None
    from generator.drafting.llm.client import LlmClient
    from generator.drafting.llm.stance import LlmStanceJudge
    from generator.machinery.http import Services

    services = Services(settings.services, cache_root / "http")
    return LlmStanceJudge(LlmClient(services.get("llm"), settings.services.llm)), services


def _progress() -> tuple[Any, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def tick(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done, total=total)

    return bar, tick


def _table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    split, used = report["split"], report["settings"]
    summary = Table(
        title=f"SciFact-format split: {split['claims']} claims, {split['documents']} abstracts "
        f"· ranker {used['ranker']} · verify {used['verify_backend']} · stance "
        f"{used['stance_judge']}"
    )
    summary.add_column("measure", no_wrap=True)
    summary.add_column("value", justify="right", no_wrap=True)
    summary.add_column("what it is")
    for key, label in _ROWS:
        value = report.get(key)
        summary.add_row(key, "—" if value is None else f"{value:.3f}", label)
    seconds = report["seconds"]
    summary.add_row(
        "wall time",
        f"{report['wall_seconds']:.1f} s",
        f"index {seconds['index']:.1f} s, retrieval {seconds['retrieval']:.1f} s, "
        f"verification {seconds['verification']:.1f} s",
    )
    summary.add_row("peak memory", f"{report['peak_memory_mb']:.0f} MB", "resident set")
    console.print(summary)
    confusion = Table(title="claim states shown (columns) against gold labels (rows), pairs")
    confusion.add_column("gold")
    for state in STATES:
        confusion.add_column(state.replace("_", " "), justify="right")
    for label in LABELS:
        row = report["confusion"][label]
        confusion.add_row(label, *(str(row[s]) for s in STATES))
    console.print(confusion)


def run(args: Any, settings: Settings) -> int:
    """Body of `sovereign eval scifact`."""
    from generator.cli.common import EXIT_OK, EXIT_USAGE
    from generator.evaluation.scifact import evaluate, fit_weights

    try:
        split = load_split(args.corpus, args.claims, args.qrels)
    except EvalInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    cache_root = args.root / settings.paths.cache_dir
    bar, tick = _progress()
    if args.fit:
        with bar:
            fitted = fit_weights(split, cache_root, args.fit, tick)
        print(f"weights written to {args.fit}; cross-validated on held-out claims:")
        print(json.dumps(fitted, indent=1, ensure_ascii=False))
        return EXIT_OK
    judge, services = _judge(settings, cache_root)
    try:
        with bar:
            report = evaluate(split, settings, cache_root, judge, tick)
    finally:
        if services is not None:
            services.close()
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        _table(report)
    return EXIT_OK

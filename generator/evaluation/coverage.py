"""`sovereign eval coverage`: does the product know when its sources cover a question, and does it
pick a paper that addresses it?

A question set names on-topic questions (with the corpus papers that address each) and
off-topic ones. Every question goes through the product's own plan and search stages; the
relevance model (verifier/relevance.py) then gives each kept paper P(addresses the question).
Measured: off-topic questions flagged "not covered", on-topic questions wrongly flagged, and
how often the primary paper the select stage picks is one of the annotated papers. `--fit`
refits the model on the set (positives: on-topic questions with their annotated papers;
negatives: off-topic questions with the papers the search keeps for them) and reports
figures for held-out questions by grouped cross-validation.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from generator.evaluation.data import EvalInputError
from generator.inputs.yamlsrc import YamlError, read_yaml

if TYPE_CHECKING:
    from generator.drafting.pipeline import Context
    from generator.drafting.verifier.relevance import RelevanceModel
    from generator.inputs.settings import Settings

Progress = Callable[[str, int, int], None]
THRESHOLD = 0.5
FOLDS = 5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OnTopic(_Strict):
    question: str = Field(min_length=10)
    papers: tuple[str, ...] = Field(min_length=1)


class OffTopic(_Strict):
    question: str = Field(min_length=10)
    near: bool = False


class QuestionSet(_Strict):
    on_topic: tuple[OnTopic, ...] = Field(min_length=1)
    off_topic: tuple[OffTopic, ...] = Field(min_length=1)


def load_question_set(path: Path, corpus_ids: set[str]) -> QuestionSet:
    """The set in `path`; errors name the file, line and field."""
    from generator.inputs.validation import problems_from

    try:
        loaded = read_yaml(path)
        data = QuestionSet.model_validate(loaded.data)
    except YamlError as exc:
        raise EvalInputError(str(exc)) from None
    except ValidationError as exc:
        problems = problems_from(exc, QuestionSet, loaded, str(path))
        raise EvalInputError("; ".join(map(str, problems))) from None
    for i, item in enumerate(data.on_topic):
        unknown = [p for p in item.papers if p not in corpus_ids]
        if unknown:
            line = loaded.line_of(("on_topic", i, "papers"))
            raise EvalInputError(
                f"{path}:{line}: on_topic.{i}.papers: {', '.join(unknown)} not in the corpus"
            )
    return data


def load_question_sets(paths: list[Path], settings: Settings) -> QuestionSet:
    """The sets in `paths` as one, checked against the configured corpus (EvalInputError)."""
    from generator.drafting.corpus import load_corpus
    from generator.inputs.settings import corpus_path

    ids = {p.id for p in load_corpus(corpus_path(settings))}
    sets = [load_question_set(path, ids) for path in paths]
    return QuestionSet(
        on_topic=tuple(q for one in sets for q in one.on_topic),
        off_topic=tuple(q for one in sets for q in one.off_topic),
    )


def question_sets_or_none(paths: list[Path], settings: Settings) -> QuestionSet | None:
    """The sets for an eval command, or None after printing why a file is unusable."""
    try:
        return load_question_sets(paths, settings)
    except EvalInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


@dataclass
class Measured:
    """One question: the features of the papers the search kept (best-ranked first) and,
    for an on-topic question, of its annotated papers."""

    question: str
    on_topic: bool
    near: bool
    kept_ids: list[str]
    kept_has_abstract: list[bool]
    kept: np.ndarray
    right: list[str]
    right_rows: np.ndarray


def measure_set(
    data: QuestionSet, ctx: Context, progress: Progress | None = None
) -> list[Measured]:
    """Run plan and search for every question and measure its kept and annotated papers."""
    from generator.drafting.corpus import load_corpus
    from generator.drafting.models import Question
    from generator.drafting.stages import plan, search
    from generator.drafting.verifier.relevance import measure
    from generator.inputs.settings import corpus_path

    corpus = {p.id: p for p in load_corpus(corpus_path(ctx.settings))}
    items: list[tuple[str, bool, bool, tuple[str, ...]]] = [
        *((q.question, True, False, q.papers) for q in data.on_topic),
        *((q.question, False, q.near, ()) for q in data.off_topic),
    ]
    settings = ctx.settings
    out = []
    for done, (text, on_topic, near, right) in enumerate(items):
        question = Question(slug="eval", question=text)
        queries = plan.plan(question, settings.plan, None)
        found = asyncio.run(
            search.search(
                question,
                queries,
                ctx.sources,
                ctx.embedder,
                per_query=settings.search.per_query,
                keep=settings.search.keep,
            )
        )
        papers = [r.paper for r in found.papers]
        encoder, background = ctx.verify_encoder, ctx.verify_background
        out.append(
            Measured(
                question=text,
                on_topic=on_topic,
                near=near,
                kept_ids=[p.id for p in papers],
                kept_has_abstract=[bool(p.abstract.strip()) for p in papers],
                kept=measure(text, [p.text for p in papers], encoder, background),
                right=list(right),
                right_rows=measure(text, [corpus[i].text for i in right], encoder, background),
            )
        )
        if progress:
            progress("questions", done + 1, len(items))
    return out


def columns(features: tuple[str, ...]) -> list[int]:
    """Where each of `features` sits in a measured row."""
    from generator.drafting.verifier.relevance import FEATURES

    return [FEATURES.index(f) for f in features]


def features_for(backend: str) -> tuple[str, ...]:
    """The relevance model's inputs: the semantic backend reads meaning as well as words; the
    TF-IDF backend reads words only."""
    return (
        ("semantic", "terms", "sentence")
        if backend == "minilm"
        else ("lexical", "terms", "sentence")
    )


def _training(measured: list[Measured], cols: list[int]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for m in measured:
        if m.on_topic:
            rows.append(m.right_rows[:, cols])
            labels += [1] * len(m.right_rows)
        else:
            rows.append(m.kept[:, cols])
            labels += [0] * len(m.kept)
    return np.vstack(rows), np.asarray(labels)


def fit_model(measured: list[Measured], features: tuple[str, ...], c: float = 1.0) -> Any:
    """The logistic relevance model fitted on every measured question."""
    from generator.drafting.verifier.fit import _fit_linear

    rows, labels = _training(measured, columns(features))
    return _fit_linear(rows, labels, features, c)


def outcomes(
    measured: list[Measured], probability: Callable[[Measured], np.ndarray], threshold: float
) -> dict[str, Any]:
    """Question-level figures for per-paper probabilities given by `probability`."""
    flagged_on, missed_off, missed_near, right_first, kept_right = 0, 0, 0, 0, 0
    on = [m for m in measured if m.on_topic]
    off = [m for m in measured if not m.on_topic]
    details = []
    for m in measured:
        p = probability(m) if len(m.kept) else np.zeros(0)
        best = float(p.max()) if len(p) else 0.0
        covered = best >= threshold
        primary = _primary(m, p)
        if m.on_topic:
            flagged_on += not covered
            right_first += primary in m.right
            kept_right += any(i in m.right for i in m.kept_ids)
        else:
            missed_off += covered
            missed_near += covered and m.near
        details.append(
            {
                "question": m.question,
                "on_topic": m.on_topic,
                "coverage": round(best, 3),
                "flagged": not covered,
                "primary": primary,
                **({"right": m.right} if m.on_topic else {"near": m.near}),
            }
        )
    return {
        "on_topic": len(on),
        "off_topic": len(off),
        "near": sum(m.near for m in off),
        "on_topic_flagged": flagged_on,
        "off_topic_flagged": len(off) - missed_off,
        "near_flagged": sum(m.near for m in off) - missed_near,
        "primary_right": right_first,
        "right_paper_kept": kept_right,
        "questions": details,
    }


def _primary(m: Measured, p: np.ndarray) -> str | None:
    """What the select stage picks: the most probable kept paper with an abstract."""
    usable = [i for i in range(len(m.kept_ids)) if m.kept_has_abstract[i]]
    if not usable:
        return None
    return m.kept_ids[max(usable, key=lambda i: (p[i], -i))]


def search_rank_right(measured: list[Measured]) -> int:
    """On-topic questions whose best-ranked kept paper is an annotated one: the choice before
    the relevance model, for comparison."""
    return sum(bool(m.kept_ids) and m.kept_ids[0] in m.right for m in measured if m.on_topic)


def evaluate(measured: list[Measured], model: RelevanceModel) -> dict[str, Any]:
    """Figures for a fitted model on the measured set."""
    cols = columns(model.model.features)
    report = outcomes(measured, lambda m: model.model.probability(m.kept[:, cols]), model.threshold)
    return {
        **report,
        "primary_right_by_search_rank": search_rank_right(measured),
        "model": model.describe(),
    }


def held_out(measured: list[Measured], features: tuple[str, ...]) -> dict[int, Any]:
    """For each question (by position), a model fitted without it: stratified folds over
    questions, so a question's papers never sit on both sides."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.array([m.on_topic for m in measured])
    held: dict[int, Any] = {}
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    for train, test in folds.split(np.zeros(len(labels)), labels):
        model = fit_model([measured[i] for i in train], features)
        held.update({int(i): model for i in test})
    return held


def cross_validate(
    measured: list[Measured], features: tuple[str, ...], threshold: float = THRESHOLD
) -> dict[str, Any]:
    """Out-of-fold figures: each question judged by a model fitted without it."""
    held = held_out(measured, features)
    cols = columns(features)
    order = {id(m): i for i, m in enumerate(measured)}
    return outcomes(measured, lambda m: held[order[id(m)]].probability(m.kept[:, cols]), threshold)


THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)


def choose_threshold(measured: list[Measured], features: tuple[str, ...]) -> float:
    """The threshold that best separates held-out questions: the most off-topic questions
    flagged minus on-topic ones flagged, each as a share (Youden's J), lowest on ties."""
    held = held_out(measured, features)
    cols = columns(features)
    order = {id(m): i for i, m in enumerate(measured)}

    def j(threshold: float) -> float:
        report = outcomes(
            measured, lambda m: held[order[id(m)]].probability(m.kept[:, cols]), threshold
        )
        caught = report["off_topic_flagged"] / report["off_topic"]
        return caught - report["on_topic_flagged"] / report["on_topic"]

    return max(THRESHOLDS, key=lambda t: (round(j(t), 6), -t))


def fit_file(measured: dict[str, list[Measured]], out: Path, source: str) -> dict[str, Any]:
    """Fit one model per verify backend (on the set as that backend measures it), choose its
    threshold by cross-validation, and write relevance.json to `out`; returns the
    cross-validated figures written with it."""
    from generator.machinery.outputs import write_text

    backends, measured_cv, sizes = {}, {}, ""
    for backend, rows in measured.items():
        features = features_for(backend)
        model = fit_model(rows, features)
        threshold = choose_threshold(rows, features)
        backends[backend] = {"model": model.to_json(), "threshold": threshold}
        cv = cross_validate(rows, features, threshold)
        measured_cv[backend] = {k: v for k, v in cv.items() if k != "questions"}
        pairs = sum(len(m.right_rows) if m.on_topic else len(m.kept) for m in rows)
        sizes = f"{len(rows)} questions, {pairs} question–paper pairs"
    data = {
        "fitted_on": f"{sizes} ({source})",
        "measured": {"cross_validated": measured_cv, "folds": FOLDS},
        "backends": backends,
    }
    write_text(out, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return measured_cv


def _table(report: dict[str, Any], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    on, off, near = report["on_topic"], report["off_topic"], report["near"]
    rows = [
        ("off-topic questions flagged not covered", f"{report['off_topic_flagged']} of {off}"),
        ("  of which near in vocabulary", f"{report['near_flagged']} of {near}"),
        ("on-topic questions flagged (false alarms)", f"{report['on_topic_flagged']} of {on}"),
        ("primary paper is an annotated one", f"{report['primary_right']} of {on}"),
        (
            "  by search rank alone (before)",
            f"{report.get('primary_right_by_search_rank', '—')} of {on}",
        ),
        ("an annotated paper is among those kept", f"{report['right_paper_kept']} of {on}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)
    wrong = [q for q in report["questions"] if q["flagged"] == q["on_topic"]]
    for q in wrong:
        kind = "on-topic flagged" if q["on_topic"] else "off-topic missed"
        print(f"  {kind}: P {q['coverage']:.2f} · {q['question']}")


def run(args: Any, settings: Settings) -> int:
    """Body of `sovereign eval coverage`."""
    from generator.cli.common import EXIT_OK, EXIT_USAGE
    from generator.drafting.pipeline import Context
    from generator.drafting.verifier.relevance import load_relevance
    from generator.evaluation.command import _progress
    from generator.machinery.cache import StageCache

    data = question_sets_or_none(args.questions, settings)
    if data is None:
        return EXIT_USAGE
    names = " + ".join(path.name for path in args.questions)
    cache = StageCache(args.root / settings.paths.cache_dir / "stages")
    bar, tick = _progress()
    if args.fit:
        by_backend = {}
        with bar:
            for backend in ("minilm", "tfidf"):
                verify = settings.verify.model_copy(update={"backend": backend})
                ctx = Context(settings=settings.model_copy(update={"verify": verify}), cache=cache)
                by_backend[backend] = measure_set(data, ctx, tick)
        figures = fit_file(by_backend, args.fit, names)
        print(f"relevance model written to {args.fit}; cross-validated on held-out questions:")
        print(json.dumps(figures, indent=1, ensure_ascii=False))
        return EXIT_OK
    with bar:
        measured = measure_set(data, Context(settings=settings, cache=cache), tick)
    report = evaluate(measured, load_relevance(settings.verify.backend))
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        _table(report, f"{names}: coverage and primary paper · verify {settings.verify.backend}")
    return EXIT_OK

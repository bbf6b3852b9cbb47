"""Which local ranker puts the pinned papers higher, and how often is the primary paper right?

Usage: .venv/bin/python bench/ranking.py [questions_dir]

For every question file that pins a `paper`, ranks the whole bundled corpus for the question
text with each ranker of the `local` source and prints the pinned paper's rank, then the
mean rank and mean reciprocal rank per ranker.

Then the primary-paper choice on questions whose right papers are known (the on-topic
questions of bench/coverage_questions.yaml, the development set, and bench/coverage_holdout.yaml,
held out): how often the select stage's choice is an annotated paper, by the search's best
rank (the choice before issue 13) and by the relevance model. For the held-out set the model
is refitted on the development set alone, so that figure is for questions it never saw.
"""

from __future__ import annotations

import sys
from pathlib import Path

from generator.drafting.sources.local import LocalSource
from generator.inputs.questions import load_questions

RANKERS = ("hybrid", "bm25", "tfidf")


def main(folder: Path) -> None:
    questions = [q for q in load_questions(folder).questions if q.paper]
    sources = {name: LocalSource(ranker=name) for name in RANKERS}
    ranks: dict[str, list[int]] = {name: [] for name in RANKERS}
    print(f"{'question':44} {'paper':11} " + " ".join(f"{n:>6}" for n in RANKERS))
    for q in questions:
        row = []
        for name, source in sources.items():
            found = source.rank_of(q.question, q.paper or "")
            rank = found[0] if found else 0
            ranks[name].append(rank)
            row.append(f"{rank:>6}")
        print(f"{q.slug[:44]:44} {q.paper:11} " + " ".join(row))
    size = len(next(iter(sources.values())).papers)
    print(f"\ncorpus: {size} records; {len(questions)} pinned questions")
    for name, values in ranks.items():
        mean = sum(values) / len(values)
        mrr = sum(1 / r for r in values if r) / len(values)
        print(
            f"{name:6} mean rank {mean:6.1f}   MRR {mrr:.3f}   "
            f"within the top 12: {sum(0 < r <= 12 for r in values)}"
            f" of {len(values)}"
        )


def primary_choice() -> None:
    """The primary paper's right-rate per question set, before and after the relevance model."""
    from generator.drafting.corpus import load_corpus
    from generator.drafting.pipeline import Context
    from generator.evaluation import coverage
    from generator.inputs.settings import Settings
    from generator.machinery.cache import StageCache

    bench = Path(__file__).resolve().parent
    ctx = Context(settings=Settings(), cache=StageCache(None))
    ids = {p.id for p in load_corpus()}
    dev, held = (
        coverage.measure_set(coverage.load_question_set(bench / name, ids), ctx)
        for name in ("coverage_questions.yaml", "coverage_holdout.yaml")
    )
    features = coverage.features_for("minilm")
    blind = coverage.fit_model(dev, features)
    cols = coverage.columns(features)
    print("\nprimary paper is an annotated one (on-topic questions)")
    for name, measured, model in (("development", dev, None), ("held out", held, blind)):
        on = sum(m.on_topic for m in measured)
        before = coverage.search_rank_right(measured)
        if model is None:
            shipped = coverage.evaluate(measured, ctx.relevance.model)
            after, note = shipped["primary_right"], "shipped model"
        else:
            report = coverage.outcomes(
                measured, lambda m, fitted=model: fitted.probability(m.kept[:, cols]), 0.5
            )
            after, note = report["primary_right"], "model fitted on the development set only"
        print(
            f"{name:11} {on} questions: search rank {before} ({before / on:.0%}) → "
            f"relevance model {after} ({after / on:.0%}), {note}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("questions"))
    primary_choice()

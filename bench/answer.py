"""At what evidence strength does a sentence bear on a question? Measured for the answer stage.

Usage:
    .venv/bin/python bench/answer.py [--questions bench/coverage_questions.yaml]

For each on-topic question of the set, the strongest sentence (verifier evidence strength
against the question, or against its hypothesis for a yes/no question) among the papers
annotated as addressing it; for each off-topic question, the strongest sentence among the top
five papers the product's search keeps. Prints, per verify backend, the share of each kind
reaching a range of strengths, so the answer stage's BEARS_ON floor is read off a measurement:
a floor every annotated paper's best sentence reaches and few off-topic questions do.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import code_version  # noqa: E402
from generator.drafting.corpus import load_corpus  # noqa: E402
from generator.drafting.models import Paper, Question  # noqa: E402
from generator.drafting.pipeline import Context  # noqa: E402
from generator.drafting.stages import plan, search  # noqa: E402
from generator.drafting.stages.answer import BEARS_ON, hypothesis  # noqa: E402
from generator.drafting.textutil import split_sentences  # noqa: E402
from generator.drafting.verifier.scoring import Similarities, similarities  # noqa: E402
from generator.evaluation.coverage import load_question_set  # noqa: E402
from generator.inputs.settings import Settings, corpus_path  # noqa: E402
from generator.machinery.cache import StageCache  # noqa: E402

FLOORS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.33, 0.35, 0.38, 0.4, 0.45)


def best_sentence(ctx: Context, question: str, papers: list[Paper]) -> float:
    """The strongest sentence of `papers` against the question (or its hypothesis)."""
    target = hypothesis(question) or question
    sentences = [s for p in papers for s in split_sentences(p.abstract)]
    matrices = similarities([target], sentences, ctx.verify_encoder, ctx.verify_background)
    strength = Similarities.of_row(*matrices).mixed(ctx.verify_weights.mix)
    return float(strength.max()) if len(sentences) else 0.0


def kept(ctx: Context, text: str, top: int = 5) -> list[Paper]:
    settings = ctx.settings
    question = Question(slug="bench", question=text)
    queries = plan.plan(question, settings.plan, None)
    found = asyncio.run(
        search.search(question, queries, ctx.sources, ctx.embedder, per_query=20, keep=12)
    )
    return [r.paper for r in found.papers[:top]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=Path, default=REPO / "bench" / "coverage_questions.yaml"
    )
    args = parser.parse_args()
    print(f"code {code_version()} · {args.questions.name}")
    for backend in ("minilm", "tfidf"):
        settings = Settings.model_validate({"verify": {"backend": backend}})
        ctx = Context(settings=settings, cache=StageCache(None))
        corpus = {p.id: p for p in load_corpus(corpus_path(settings))}
        data = load_question_set(args.questions, set(corpus))
        on = np.array(
            [
                max(best_sentence(ctx, q.question, [corpus[i]]) for i in q.papers)
                for q in data.on_topic
            ]
        )
        off = np.array(
            [best_sentence(ctx, q.question, kept(ctx, q.question)) for q in data.off_topic]
        )
        print(f"\nverify backend {backend} (floor in use: {BEARS_ON[backend]})")
        print("floor | on-topic: annotated paper's best sentence reaches | off-topic reaches")
        for floor in FLOORS:
            print(f"{floor:.2f} | {(on >= floor).mean():.2f} | {(off >= floor).mean():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

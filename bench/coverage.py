"""Does the corpus cover a question? Candidate absolute signals, measured (issue 13, step 1).

Usage:
    .venv/bin/python bench/coverage.py [--questions bench/coverage_questions.yaml] [--json FILE]

For every question of bench/coverage_questions.yaml (on-topic: answerable from the bundled
corpus; off-topic: not, some "near" in vocabulary) and of questions/, the script runs the
product's own plan and search stages (offline, default settings) and measures, over the
papers the search keeps:
  semantic   the best all-MiniLM-L6-v2 cosine between the question and a paper (absolute,
             never relative to the best retrieved paper)
  terms      the best claim-term coverage of the question by one paper (generator/verifier/
             coverage.py: idf-weighted share of the question's terms the paper states)
  unknown    the idf-weighted share of the question's terms that no corpus record contains
It prints each signal's AUROC (on-topic vs off-topic), then leave-one-out accuracy of logistic
models over combinations, their false alarms on on-topic questions and misses on off-topic
ones at P(covered) 0.5, and the demo questions' P(covered) under each model. Last, for the
on-topic questions, whether the primary paper the pipeline would pick (the best-ranked kept
paper) is one of the papers the question's annotation names. Nothing here changes a build.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import code_version  # noqa: E402
from generator.cache import StageCache  # noqa: E402
from generator.models import Question  # noqa: E402
from generator.pipeline import Context  # noqa: E402
from generator.questions import load_questions  # noqa: E402
from generator.settings import Settings  # noqa: E402
from generator.stages import plan, search  # noqa: E402
from generator.verifier.coverage import terms  # noqa: E402

SIGNALS = ("semantic", "terms", "unknown")
MODELS = (("semantic",), ("terms",), ("semantic", "terms"), ("semantic", "terms", "unknown"))


def signals(ctx: Context, text: str, ranks: list[list[str]] | None = None) -> list[float]:
    """The three signals for one question, from the papers the product's search keeps;
    `ranks` collects the ids of those papers, best first (the primary is the first)."""
    settings = ctx.settings
    question = Question(slug="bench", question=text)
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
    if ranks is not None:
        ranks.append([p.id for p in papers])
    background = ctx.verify_background
    encoder = ctx.verify_encoder
    assert encoder is not None, "the default verify backend has a model"
    vectors = encoder.encode([text, *(p.text for p in papers)])
    semantic = float((vectors[1:] @ vectors[0]).max())
    wanted = terms(text)
    covered = max(background.coverage(wanted, terms(p.text)) for p in papers)
    known = frozenset(t for t in wanted if background.df.get(t))
    unknown = 1.0 - background.coverage(wanted, known)
    return [semantic, covered, unknown]


def primary_report(items: list[dict], ranked: list[list[str]]) -> None:
    """How often the primary paper (the best-ranked kept paper, what `select` takes when
    nothing is pinned) is one the question's annotation names, and where the first such
    paper ranks among those kept."""
    first, reciprocal, kept = 0, 0.0, 0
    for item, ids in zip(items, ranked, strict=True):
        right = set(item["papers"])
        at = next((i for i, paper in enumerate(ids, 1) if paper in right), None)
        first += at == 1
        kept += at is not None
        reciprocal += 1 / at if at else 0.0
    n = len(items)
    print(
        f"\nprimary paper on {n} on-topic questions: right {first} ({first / n:.0%}), "
        f"a right paper kept {kept} ({kept / n:.0%}), MRR {reciprocal / n:.3f}"
    )


def main() -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import LeaveOneOut, cross_val_predict

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=Path, default=REPO / "bench" / "coverage_questions.yaml"
    )
    parser.add_argument("--json", type=Path, help="also write every question's signals here")
    args = parser.parse_args()
    data = yaml.safe_load(args.questions.read_text("utf-8"))
    ctx = Context(settings=Settings(), cache=StageCache(None))
    rows, labels, near = [], [], []
    ranked: list[list[str]] = []
    for label, key in ((1, "on_topic"), (0, "off_topic")):
        for item in data[key]:
            rows.append(signals(ctx, item["question"], ranked if label else None))
            labels.append(label)
            near.append(bool(item.get("near")))
    demo = load_questions(REPO / "questions", REPO).questions
    demo_rows = np.array([signals(ctx, q.question) for q in demo])
    x, y = np.array(rows), np.array(labels)
    print(f"code {code_version()} · {int(y.sum())} on-topic, {int((1 - y).sum())} off-topic")
    print("\nsignal | AUROC | on-topic median | off-topic median")
    for i, name in enumerate(SIGNALS):
        sign = -1 if name == "unknown" else 1
        print(
            f"{name} | {roc_auc_score(y, sign * x[:, i]):.3f} | "
            f"{np.median(x[y == 1, i]):.3f} | {np.median(x[y == 0, i]):.3f}"
        )
    print("\nmodel | LOO accuracy | on-topic flagged | off-topic missed (near) | demo flagged")
    for model in MODELS:
        cols = [SIGNALS.index(s) for s in model]
        fitted = LogisticRegression(max_iter=1000)
        held = cross_val_predict(fitted, x[:, cols], y, cv=LeaveOneOut(), method="predict_proba")
        p = held[:, 1]
        demo_p = fitted.fit(x[:, cols], y).predict_proba(demo_rows[:, cols])[:, 1]
        missed = (p >= 0.5) & (y == 0)
        print(
            f"{' + '.join(model)} | {((p >= 0.5) == y).mean():.3f} | "
            f"{int(((p < 0.5) & (y == 1)).sum())} | {int(missed.sum())} "
            f"({int((missed & np.array(near)).sum())}) | "
            f"{int((demo_p < 0.5).sum())} of {len(demo)}: "
            + ", ".join(f"{q.slug} {v:.2f}" for q, v in zip(demo, demo_p, strict=True) if v < 0.5)
        )
    primary_report(data["on_topic"], ranked)
    if args.json:
        out = {"questions": rows, "labels": labels, "near": near, "demo": demo_rows.tolist()}
        args.json.write_text(json.dumps(out), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

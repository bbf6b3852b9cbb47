"""Which local ranker puts the pinned papers higher for their questions: BM25 or TF-IDF?

Usage: .venv/bin/python bench/ranking.py [questions_dir]

For every question file that pins a `paper`, ranks the whole bundled corpus for the question
text with each ranker of the `local` source and prints the pinned paper's rank, then the
mean rank and mean reciprocal rank per ranker.
"""

from __future__ import annotations

import sys
from pathlib import Path

from generator.questions import load_questions
from generator.sources.local import LocalSource

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


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("questions"))

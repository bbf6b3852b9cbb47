"""The options behind the verifier, measured on a SciFact-format split (docs/verification.md).

Usage:
    .venv/bin/python bench/verification_options.py --data ../shared/eval/scifact [--split dev]
        [--json FILE]

Prints three tables, each row one option, computed with the product's own functions:
  retrieval  nDCG@10 and recall@50 of every local ranker (generator.drafting.ranking.make_ranker)
  over
             the split's corpus, claim as the query;
  evidence   for every cited abstract: evidence P@1 (the sentence picked lies in a rationale)
             and AUROC (the abstract's score separates those with evidence from those
             without), for each similarity alone (its best sentence), the shipped strength mix
             (best sentence), and the shipped selector (the sentence the product shows);
  stance     AUROC of P(contradiction) on abstracts with evidence (CONTRADICT = positive), for
             the lexical cues alone, the negated-claim probe alone, and the shipped rules judge,
             all on the sentence the product shows.
The shipped weights (generator/drafting/verifier/weights.json) were fitted on the dev split: rows
that use
them are in-sample there; `sovereign eval scifact --fit` prints the cross-validated figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import code_version  # noqa: E402
from generator.drafting.ranking import make_ranker  # noqa: E402
from generator.drafting.stages.verify import paper_sentences  # noqa: E402
from generator.drafting.verifier import load_weights, make_encoder  # noqa: E402
from generator.drafting.verifier.features import STANCE_FEATURES  # noqa: E402
from generator.drafting.verifier.scoring import Similarities, choose, similarities  # noqa: E402
from generator.drafting.verifier.stance import RulesStanceJudge  # noqa: E402
from generator.evaluation.data import load_split  # noqa: E402
from generator.evaluation.metrics import auroc, ndcg_at, recall_at  # noqa: E402
from generator.evaluation.scifact import _rationale, split_background  # noqa: E402


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def retrieval(split, index_dir: Path) -> list[dict]:
    ids = list(split.docs)
    texts = [f"{d.title}. {' '.join(d.sentences)}" for d in split.docs.values()]
    claims = [c for c in split.claims if split.qrels.get(c.id)]
    rows = []
    for name in ("tfidf", "bm25", "dense", "hybrid"):
        started = time.perf_counter()
        ranker = make_ranker(name, texts, f"bench-{split.fingerprint}", index_dir)
        ndcg, recall = [], []
        for claim in claims:
            ranked = [ids[i] for i, _ in ranker.top(claim.text, 50)]
            ndcg.append(ndcg_at(ranked, split.qrels[claim.id], 10))
            recall.append(recall_at(ranked, split.qrels[claim.id], 50))
        rows.append(
            {
                "option": name,
                "ndcg_at_10": round(float(np.mean(ndcg)), 4),
                "recall_at_50": round(float(np.mean(recall)), 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    return rows


def evidence_and_stance(split, index_dir: Path) -> tuple[list[dict], list[dict]]:
    weights = load_weights().for_backend("minilm")
    encoder = make_encoder("minilm", index_dir)
    background = split_background(split)
    judge = RulesStanceJudge(weights, encoder)
    picks: dict[str, list[int]] = {}
    scores: dict[str, list[float]] = {}
    has, rationales, labels, shown = [], [], [], []
    for pair in split.pairs():
        ours = paper_sentences(pair.doc.paper)
        if not ours:
            continue
        sem, lex, cov = similarities([pair.claim.text], ours, encoder, background)
        sims = Similarities(sem[0] if sem is not None else None, lex[0], cov[0])
        mixed = sims.mixed(weights.mix)
        candidates = {
            "TF-IDF cosine (seeds)": sims.lexical,
            "MiniLM cosine": sims.semantic,
            "claim-term coverage": sims.coverage,
            "0.6·MiniLM + 0.4·TF-IDF": 0.6 * sims.semantic + 0.4 * sims.lexical,
            "shipped mix (best sentence)": mixed,
        }
        for name, values in candidates.items():
            picks.setdefault(name, []).append(int(np.argmax(values)))
            scores.setdefault(name, []).append(float(values.max()))
        chosen = choose(ours, sims, weights)
        picks.setdefault("shipped selector (shown)", []).append(chosen)
        scores.setdefault("shipped selector (shown)", []).append(float(mixed[chosen]))
        has.append(pair.label != "NEI")
        rationales.append(_rationale(pair, ours))
        labels.append(pair.label)
        shown.append((pair.claim.text, ours[chosen]))
    evidence = []
    for name in picks:
        hits = [p in r for p, r, h in zip(picks[name], rationales, has, strict=True) if h]
        evidence.append(
            {
                "option": name,
                "evidence_p_at_1": round(float(np.mean(hits)), 4),
                "auroc": _rounded(auroc(has, scores[name])),
            }
        )
    keep = [i for i, label in enumerate(labels) if label != "NEI"]
    contra = [labels[i] == "CONTRADICT" for i in keep]
    features = judge.features([shown[i] for i in keep])
    probe = features[:, STANCE_FEATURES.index("negated_claim_closer")]
    cues = features.copy()
    cues[:, STANCE_FEATURES.index("negated_claim_closer")] = judge.model.mean[-1]
    stance = [
        {"option": "negated-claim probe alone", "auroc": _rounded(auroc(contra, probe))},
        {
            "option": "lexical cues alone (shipped weights)",
            "auroc": _rounded(auroc(contra, judge.model.probability(cues))),
        },
        {
            "option": "rules judge (cues + probe, shipped)",
            "auroc": _rounded(auroc(contra, judge.model.probability(features))),
        },
    ]
    return evidence, stance


def show(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    keys = list(rows[0])
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of the split's files")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--index", type=Path, default=REPO / ".cache" / "sovereign" / "index")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    split = load_split(
        args.data / "corpus.jsonl",
        args.data / f"claims_{args.split}.jsonl",
        args.data / f"qrels_{args.split}.tsv",
    )
    print(f"code {code_version()} · split {args.split}: {len(split.claims)} claims")
    figures = {"retrieval": retrieval(split, args.index)}
    figures["evidence"], figures["stance"] = evidence_and_stance(split, args.index)
    for name, rows in figures.items():
        show(name, rows)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

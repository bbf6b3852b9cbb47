"""Does the claim extractor keep the right sentences? Precision and recall on gold labels.

Usage:
    .venv/bin/python bench/claims.py [--gold FILE ...] [--json FILE]
    .venv/bin/python bench/claims.py --fit generator/drafting/verifier/roles.json

bench/claim_sentences.yaml (development: every 6th corpus record from 0) and
bench/claim_sentences_holdout.yaml (held out: every 6th from 3, never used for fitting) label
every sentence of their abstracts as finding, contribution or background. The script first
checks each labelled `text` is still the sentence generator.drafting.textutil.split_sentences gives
at
that index (exit 2 naming the paper and index if not: the splitter changed, relabel). For each
gold file it then runs the product's sentence-role classifier
(generator.drafting.stages.extract.classify)
and rule_extract (default ExtractSettings), and prints, with gold "claim" = finding or
contribution, beside the cue-phrase rules the extractor used before (a sentence is a claim when
1.5 × contribution cues + finding cues − 1.5 × background cues > 0):
  classify   precision, recall and F1 of "predicted kind is not None"
  kept       the same for the sentences rule_extract keeps (at most max_claims per paper)
  confusion  gold label x predicted kind (finding, contribution, None) and kind agreement
and lists the false positives and false negatives so the patterns can be read.

--fit OUT refits the role model on the development file (--gold, first) and writes it to OUT,
printing figures for held-out papers by 5-fold cross-validation grouped by paper.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import code_version  # noqa: E402
from generator.drafting.corpus import load_corpus  # noqa: E402
from generator.drafting.models import Paper  # noqa: E402
from generator.drafting.stages.extract import CLAIM_AT, classify, rule_extract  # noqa: E402
from generator.drafting.textutil import split_sentences  # noqa: E402
from generator.drafting.verifier.cues import (  # noqa: E402
    BACKGROUND,
    CONTRIBUTION,
    FINDING,
    NEVER,
    hits,
)
from generator.drafting.verifier.roles import ROLES, features, fit  # noqa: E402
from generator.inputs.settings import ExtractSettings  # noqa: E402

LABELS = ("finding", "contribution", "background")
PREDICTED = ("finding", "contribution", None)
CLAIM = frozenset({"finding", "contribution"})


def scores(gold: list[bool], predicted: list[bool]) -> dict[str, float | int]:
    """Precision, recall and F1 of `predicted` against `gold`, with the counts."""
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    fp = sum(p and not g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g and not p for g, p in zip(gold, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def show(name: str, s: dict[str, float | int]) -> None:
    print(
        f"{name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
        f"{s['tp']} | {s['fp']} | {s['fn']}"
    )


def load_gold(path: Path, papers: dict[str, Paper]) -> list[dict[str, Any]]:
    """The labelled sentences of `path`, each with its abstract's sentences; SystemExit(2)
    when a label is unknown or a sentence no longer matches the splitter."""
    items = yaml.safe_load(path.read_text("utf-8"))["sentences"]
    out = []
    for item in items:
        paper_id, index, label = str(item["paper"]), int(item["index"]), item["label"]
        if label not in LABELS:
            raise SystemExit(f"{path}: {paper_id} #{index}: unknown label {label!r}")
        paper = papers.get(paper_id)
        if paper is None:
            raise SystemExit(f"{path}: paper {paper_id} is not in the corpus")
        sentences = split_sentences(paper.abstract)
        if index >= len(sentences) or sentences[index] != item["text"]:
            now = sentences[index] if index < len(sentences) else "(no such sentence)"
            raise SystemExit(
                f"{path}: paper {paper_id} sentence {index} no longer matches the splitter (it "
                f"has {len(sentences)} sentences now).\n  labelled: {item['text']}\n  "
                f"splitter: {now}\nRelabel this paper."
            )
        out.append({**item, "paper": paper_id, "paper_obj": paper, "sentences": sentences})
    return out


def cue_rules(sentence: str) -> bool:
    """The extractor's former rule: a claim when the cue score is positive."""
    c, f = len(hits(CONTRIBUTION, sentence)), len(hits(FINDING, sentence))
    b = len(hits(BACKGROUND, sentence))
    return bool(c or f) and 1.5 * c + f - 1.5 * b > 0 and not NEVER.search(sentence)


def feature_rows(items: list[dict[str, Any]]) -> np.ndarray:
    return np.array([features(i["text"], int(i["index"]), len(i["sentences"])) for i in items])


def fit_command(items: list[dict[str, Any]], out: Path, name: str) -> int:
    """Refit the role model on `items`, print grouped cross-validated figures, write `out`."""
    from sklearn.model_selection import GroupKFold

    rows, labels = feature_rows(items), [i["label"] for i in items]
    groups = [i["paper"] for i in items]
    predicted: list[str | None] = [None] * len(items)
    for train, test in GroupKFold(n_splits=5).split(rows, labels, groups):
        model = fit(rows[train], [labels[i] for i in train], "fold")
        for i, probs in zip(test, model.probabilities(rows[test]), strict=True):
            claim = 1 - probs[2] >= CLAIM_AT and not NEVER.search(items[i]["text"])
            predicted[i] = ROLES[int(np.argmax(probs[:2]))] if claim else None
    gold = [label in CLAIM for label in labels]
    show_header()
    show("cross-validated role model", scores(gold, [p is not None for p in predicted]))
    show("cue rules (before)", scores(gold, [cue_rules(i["text"]) for i in items]))
    papers = len(set(groups))
    model = fit(rows, labels, f"{len(items)} labelled sentences of {papers} abstracts ({name})")
    out.write_text(json.dumps(model.to_json(), indent=1) + "\n", "utf-8")
    print(f"role model written to {out}")
    return 0


def show_header() -> None:
    print("\nclaim = finding|contribution | precision | recall | F1 | TP | FP | FN")


def evaluate(path: Path, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Figures of the shipped role model and of rule_extract on one gold file."""
    settings = ExtractSettings()
    roles: dict[str, list[Any]] = {}
    kept: dict[str, set[int]] = {}
    rows = []
    for item in items:
        paper_id, index = item["paper"], int(item["index"])
        if paper_id not in kept:
            roles[paper_id] = classify(item["sentences"])
            extraction = rule_extract(item["paper_obj"], settings)
            kept[paper_id] = {c.sentence_index for c in extraction.claims}
        role = roles[paper_id][index]
        rows.append(
            {
                "paper": paper_id,
                "index": index,
                "label": item["label"],
                "kind": role.kind,
                "probability": role.probability,
                "cues": list(role.cues),
                "kept": index in kept[paper_id],
                "rules": cue_rules(item["text"]),
                "text": item["text"],
            }
        )
    gold = [r["label"] in CLAIM for r in rows]
    classified = scores(gold, [r["kind"] is not None for r in rows])
    chosen = scores(gold, [r["kept"] for r in rows])
    before = scores(gold, [r["rules"] for r in rows])
    counts = Counter(r["label"] for r in rows)
    confusion = Counter((r["label"], r["kind"]) for r in rows)
    both = [r for r in rows if r["label"] in CLAIM and r["kind"] is not None]
    agree = sum(r["label"] == r["kind"] for r in both)

    print(f"\n{path.name}: {len(rows)} sentences of {len(kept)} papers")
    print("gold: " + ", ".join(f"{label} {counts[label]}" for label in LABELS))
    show_header()
    show("classify (kind not None)", classified)
    show(f"rule_extract (kept, max_claims {settings.max_claims})", chosen)
    show("cue rules (before)", before)
    print("\ngold \\ predicted | " + " | ".join(str(k) for k in PREDICTED))
    for label in LABELS:
        print(f"{label} | " + " | ".join(str(confusion[label, k]) for k in PREDICTED))
    print(
        f"kind agreement where both call it a claim: {agree} of {len(both)}"
        + (f" ({agree / len(both):.3f})" if both else "")
    )
    false_pos = [r for r in rows if r["kind"] is not None and r["label"] not in CLAIM]
    false_neg = [r for r in rows if r["kind"] is None and r["label"] in CLAIM]
    for title, errors in (("false positives", false_pos), ("false negatives", false_neg)):
        print(f"\n{title} ({len(errors)}): paper #index gold→predicted P(claim) cues")
        for r in errors:
            print(
                f"{r['paper']} #{r['index']} {r['label']}→{r['kind']} {r['probability']:.2f} "
                f"[{', '.join(r['cues'])}] {r['text'][:100]}"
            )
    return {
        "gold": dict(counts),
        "classify": classified,
        "kept": chosen,
        "cue_rules": before,
        "confusion": {f"{g}|{k}": n for (g, k), n in sorted(confusion.items(), key=str)},
        "kind_agreement": {"agree": agree, "of": len(both)},
        "false_positives": false_pos,
        "false_negatives": false_neg,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gold",
        type=Path,
        nargs="+",
        default=[
            path
            for path in (
                REPO / "bench" / "claim_sentences.yaml",
                REPO / "bench" / "claim_sentences_holdout.yaml",
            )
            if path.exists()
        ],
    )
    parser.add_argument("--json", type=Path, help="also write the figures and errors here")
    parser.add_argument("--fit", type=Path, metavar="OUT", help="refit the role model")
    args = parser.parse_args()
    papers = {p.id: p for p in load_corpus()}
    try:
        gold = {path: load_gold(path, papers) for path in args.gold}
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"code {code_version()}")
    if args.fit:
        first = args.gold[0]
        return fit_command(gold[first], args.fit, first.name)
    report = {path.name: evaluate(path, items) for path, items in gold.items()}
    if args.json:
        args.json.write_text(json.dumps({"code": code_version(), **report}, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

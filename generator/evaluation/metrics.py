"""The measures of `sovereign eval`: retrieval (nDCG@10, recall@50) and verification
(evidence P@1, AUROC, the confusion of claim states against gold labels)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

STATES = ("supported", "contradicted", "related", "no_evidence")
LABELS = ("SUPPORT", "CONTRADICT", "NEI")


def ndcg_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    gains = [relevant.get(doc, 0) for doc in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def recall_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 50) -> float:
    wanted = {d for d, g in relevant.items() if g > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


@dataclass(frozen=True)
class Judged:
    """What the product showed for one gold pair."""

    label: str
    rationale: frozenset[int]  # our sentence indices that lie in a gold rationale
    chosen: int | None  # our sentence index shown as evidence
    strength: float
    state: str


def auroc(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve; None when only one class is present (it is undefined)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if len(set(labels)) == 2 else None


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def verification_measures(judged: Sequence[Judged]) -> dict[str, object]:
    with_evidence = [j for j in judged if j.label != "NEI"]
    confusion = {label: dict.fromkeys(STATES, 0) for label in LABELS}
    for j in judged:
        confusion[j.label][j.state] += 1

    def shown_supported(label: str) -> float | None:
        row = confusion[label]
        total = sum(row.values())
        return round(row["supported"] / total, 4) if total else None

    shown = sum(confusion[label]["supported"] for label in LABELS)
    return {
        "evidence_p_at_1": round(
            sum(j.chosen in j.rationale for j in with_evidence) / len(with_evidence), 4
        )
        if with_evidence
        else None,
        "auroc": _rounded(auroc([j.label != "NEI" for j in judged], [j.strength for j in judged])),
        "contradicted_shown_supported": shown_supported("CONTRADICT"),
        "supported_shown_supported": shown_supported("SUPPORT"),
        "nei_shown_supported": shown_supported("NEI"),
        "supported_precision": round(confusion["SUPPORT"]["supported"] / shown, 4)
        if shown
        else None,
        "pairs": len(judged),
        "pairs_with_evidence": len(with_evidence),
        "confusion": confusion,
    }

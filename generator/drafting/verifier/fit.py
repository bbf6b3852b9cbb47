"""Fit the verifier's weights on labelled claim–abstract pairs (a SciFact-format split).

What is fitted, per semantic backend:
1. the selector: a logistic model over sentence features, trained to find annotated rationale
   sentences among an abstract's sentences;
2. the semantic weight of evidence strength, chosen for the best AUROC (evidence vs none);
3. the calibration: isotonic regression of "had evidence" on strength;
4. the stance model: a logistic model over cue features, trained on pairs with evidence
   (CONTRADICT = 1), on the sentence the selector chose;
5. the thresholds: related where calibrated confidence reaches 0.5; supported and the
   contradiction cut-off chosen on cross-validated stance probabilities to keep the share of
   contradicted pairs shown as supported at or under `max_contradicted_supported`, with as
   many supported pairs shown as supported as that allows.

`cross_validate` repeats the whole fit on grouped folds (a claim's pairs stay together) and
measures on the held-out claims: the figure to expect on claims never seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from generator.drafting.verifier.coverage import TermWeights
from generator.drafting.verifier.features import (
    SELECTOR_FEATURES,
    STANCE_FEATURES,
    selector_features,
)
from generator.drafting.verifier.scoring import Encoder, Similarities, choose, similarities
from generator.drafting.verifier.stance import RulesStanceJudge, StanceVerdict, state_of
from generator.drafting.verifier.weights import BackendWeights, Calibration, Linear, Thresholds

MAX_CONTRADICTED_SUPPORTED = 0.20
MIN_SUPPORTED_PRECISION = 0.80
CONTRADICTS_AT = 0.5  # P(contradiction) from which evidence is shown as contradicting
FOLDS = 5


@dataclass(frozen=True)
class Example:
    """One labelled pair, on our sentence split."""

    group: str  # the claim: folds keep a claim's pairs together
    claim: str
    sentences: tuple[str, ...]
    rationale: frozenset[int]  # indices into `sentences`
    label: str  # SUPPORT, CONTRADICT or NEI


@dataclass(frozen=True)
class Measured:
    """Per example: its sentences' similarities to the claim and selector features."""

    sims: Similarities
    selector_rows: np.ndarray


def measure(
    examples: Sequence[Example], encoder: Encoder | None, background: TermWeights
) -> list[Measured]:
    out = []
    for ex in examples:
        semantic, lexical, coverage = similarities([ex.claim], ex.sentences, encoder, background)
        sims = Similarities(semantic[0] if semantic is not None else None, lexical[0], coverage[0])
        rows = selector_features(ex.sentences, sims.semantic, sims.lexical, sims.coverage)
        out.append(Measured(sims, rows))
    return out


def _fit_linear(rows: np.ndarray, labels: np.ndarray, names: tuple[str, ...], c: float) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((rows - mean) / scale, labels)
    return Linear(names, mean, scale, model.coef_[0], float(model.intercept_[0]))


def _chosen(ex: Example, m: Measured, weights: BackendWeights) -> int:
    return choose(ex.sentences, m.sims, weights)


def _strength(ex: Example, m: Measured, weights: BackendWeights) -> float:
    """Strength of the sentence chosen as evidence (the one the page shows)."""
    return float(m.sims.mixed(weights.mix)[_chosen(ex, m, weights)])


def _mixes(semantic: bool) -> list[dict[str, float]]:
    """Candidate strength mixes: weights in steps of 0.1 summing to 1."""
    steps = [round(x / 10, 1) for x in range(11)]
    found = []
    for a in steps if semantic else [0.0]:
        for b in steps:
            c = round(1 - a - b, 1)
            if c >= 0:
                found.append({"semantic": a, "lexical": b, "coverage": c})
    return found


def _auroc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """AUROC, 0.5 (chance) when only one class is present, so it can rank candidates."""
    from generator.evaluation.metrics import auroc

    found = auroc(labels, scores)
    return 0.5 if found is None else found


def _choose_thresholds(
    strengths: np.ndarray, stance: np.ndarray, labels: Sequence[str], related: float
) -> tuple[float, float]:
    """(supported strength, support_below): as many SUPPORT pairs shown supported as the
    limits allow: CONTRADICT pairs shown supported at most MAX_CONTRADICTED_SUPPORTED, and at
    least MIN_SUPPORTED_PRECISION of the pairs shown supported truly supported."""
    labels_a = np.asarray(labels)
    support, contra = labels_a == "SUPPORT", labels_a == "CONTRADICT"
    best = (-1.0, float(strengths.max()) + 1e-6, 0.0)
    for s in np.unique(np.quantile(strengths, np.linspace(0, 0.98, 80))):
        s = max(float(s), related)
        for c in np.linspace(0.05, CONTRADICTS_AT, 19):
            shown = (strengths >= s) & (stance < c)
            if shown.sum() < 10:
                continue
            cs = shown[contra].mean() if contra.any() else 0.0
            ss = shown[support].mean() if support.any() else 0.0
            precision = support[shown].mean()
            if (
                cs <= MAX_CONTRADICTED_SUPPORTED
                and precision >= MIN_SUPPORTED_PRECISION
                and ss > best[0]
            ):
                best = (ss, s, float(c))
    return best[1], best[2]


def fit(
    examples: Sequence[Example],
    measured: Sequence[Measured],
    encoder: Encoder | None,
    stance_probabilities: np.ndarray | None = None,
) -> BackendWeights:
    """Weights fitted on `examples`. `stance_probabilities` (cross-validated, one per example)
    choose the thresholds; without them the in-sample ones do."""
    from sklearn.isotonic import IsotonicRegression

    with_evidence = [i for i, ex in enumerate(examples) if ex.label != "NEI"]
    rows = np.vstack([measured[i].selector_rows for i in with_evidence])
    hits = np.concatenate(
        [
            [j in examples[i].rationale for j in range(len(examples[i].sentences))]
            for i in with_evidence
        ]
    )
    selector = _fit_linear(rows, hits.astype(int), SELECTOR_FEATURES, 1.0)
    placeholder = Thresholds(0.0, 0.0, CONTRADICTS_AT, CONTRADICTS_AT)
    calibration = Calibration(np.array([0.0, 1.0]), np.array([0.0, 1.0]))

    def weights(mix: dict[str, float], stance: Linear | None = None) -> BackendWeights:
        return BackendWeights(mix, selector, stance or _identity_stance(), calibration, placeholder)

    has = [ex.label != "NEI" for ex in examples]

    def auroc_of(mix: dict[str, float]) -> tuple[float, float]:
        w = weights(mix)
        found = [_strength(ex, m, w) for ex, m in zip(examples, measured, strict=True)]
        return _auroc(has, found), -max(mix.values())  # ties: the more even mix

    mix = max(_mixes(encoder is not None), key=auroc_of)
    partial = weights(mix)
    strengths = np.array(
        [_strength(ex, m, partial) for ex, m in zip(examples, measured, strict=True)]
    )
    iso = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(strengths, has)
    calibration = Calibration(np.asarray(iso.X_thresholds_), np.asarray(iso.y_thresholds_))

    judge = RulesStanceJudge(partial, encoder)
    pairs = [_chosen_pair(examples[i], measured[i], partial) for i in with_evidence]
    stance_rows = judge.features(pairs)
    contradicts = np.array([examples[i].label == "CONTRADICT" for i in with_evidence], int)
    stance = _fit_linear(stance_rows, contradicts, STANCE_FEATURES, 0.03)

    related = calibration.strength_for(0.5)
    fitted = BackendWeights(mix, selector, stance, calibration, placeholder)
    if stance_probabilities is None:
        full = RulesStanceJudge(fitted, encoder)
        stance_probabilities = np.array(
            [_probability(full, ex, m) for ex, m in zip(examples, measured, strict=True)]
        )
    supported, support_below = _choose_thresholds(
        strengths, stance_probabilities, [ex.label for ex in examples], related
    )
    thresholds = Thresholds(related, supported, CONTRADICTS_AT, support_below)
    return BackendWeights(mix, selector, stance, calibration, thresholds)


def _identity_stance() -> Linear:
    n = len(STANCE_FEATURES)
    return Linear(STANCE_FEATURES, np.zeros(n), np.ones(n), np.zeros(n), 0.0)


def _chosen_pair(ex: Example, m: Measured, weights: BackendWeights) -> tuple[str, str]:
    return ex.claim, ex.sentences[_chosen(ex, m, weights)]


def _probability(judge: RulesStanceJudge, ex: Example, m: Measured) -> float:
    verdict = judge.judge([_chosen_pair(ex, m, judge.weights)])[0]
    return float(verdict.probability or 0.0)


@dataclass(frozen=True)
class Outcome:
    """What the verifier shows for one example."""

    chosen: int
    strength: float
    confidence: float
    state: str


def apply(weights: BackendWeights, ex: Example, m: Measured, encoder: Encoder | None) -> Outcome:
    """The product's decision for one example, from fitted weights (used to score folds)."""
    chosen = _chosen(ex, m, weights)
    strength = _strength(ex, m, weights)
    verdict: StanceVerdict | None = None
    if strength >= weights.thresholds.supported:
        verdict = RulesStanceJudge(weights, encoder).judge([(ex.claim, ex.sentences[chosen])])[0]
    return Outcome(
        chosen,
        strength,
        float(weights.calibration(strength)),
        state_of(strength, verdict, weights.thresholds),
    )


def cross_validate(
    examples: Sequence[Example], measured: Sequence[Measured], encoder: Encoder | None
) -> tuple[list[Outcome], np.ndarray]:
    """Held-out outcomes for every example (each from a fit on the other folds), and the
    held-out stance probabilities (for choosing the final thresholds)."""
    from sklearn.model_selection import GroupKFold

    groups = [ex.group for ex in examples]
    outcomes: list[Outcome | None] = [None] * len(examples)
    probabilities = np.zeros(len(examples))
    for train, test in GroupKFold(FOLDS).split(np.zeros(len(examples)), groups=groups):
        sub = [examples[i] for i in train]
        weights = fit(sub, [measured[i] for i in train], encoder)
        judge = RulesStanceJudge(weights, encoder)
        for i in test:
            outcomes[i] = apply(weights, examples[i], measured[i], encoder)
            probabilities[i] = _probability(judge, examples[i], measured[i])
    return [o for o in outcomes if o is not None], probabilities

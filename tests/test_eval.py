"""`sovereign eval scifact`: split loading, gold-rationale alignment, measures, the command."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.drafting.textutil import split_sentences
from generator.drafting.verifier import load_weights
from generator.evaluation.data import Doc, EvalInputError, align, load_split
from generator.evaluation.metrics import (
    LABELS,
    STATES,
    Judged,
    ndcg_at,
    recall_at,
    verification_measures,
)

# (drug, what it changes): one abstract each; the claims about them are made up.
TOPICS = [
    ("Metformin", "insulin sensitivity"),
    ("Aspirin", "platelet aggregation"),
    ("Vitamin D", "bone mineral density"),
    ("Aerobic exercise", "hippocampal volume"),
    ("Atorvastatin", "LDL cholesterol"),
    ("Caffeine", "reaction speed"),
    ("Melatonin", "sleep onset latency"),
    ("Lithium", "suicide risk"),
    ("Omega-3 supplementation", "triglyceride levels"),
    ("Semaglutide", "body weight"),
    ("Probiotic yogurt", "gut microbial diversity"),
    ("Tamoxifen", "breast cancer recurrence"),
    ("Nicotine patches", "smoking abstinence"),
    ("Zinc lozenges", "cold duration"),
]


@dataclass(frozen=True)
class SplitFiles:
    corpus: Path
    claims: Path
    qrels: Path
    pairs: int

    def args(self) -> list[str]:
        return [
            "--corpus",
            str(self.corpus),
            "--claims",
            str(self.claims),
            "--qrels",
            str(self.qrels),
        ]


def abstract(drug: str, target: str, finding: str) -> list[str]:
    return [
        f"The effect of {drug.lower()} on {target} in adults is debated.",
        f"We randomised adults to {drug.lower()} or placebo for twelve weeks.",
        finding,
        "Adverse events were rare and mild in both groups of participants.",
    ]


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def make_split(folder: Path, topics: int) -> SplitFiles:
    """A SciFact-format split: per topic one abstract and one claim citing it. Claims cycle
    through SUPPORT, SUPPORT, CONTRADICT, NEI; one extra abstract is cited by nobody."""
    folder.mkdir(parents=True, exist_ok=True)
    docs, claims, qrels = [], [], ["query-id\tcorpus-id\tscore"]
    for n, (drug, target) in enumerate(TOPICS[:topics]):
        doc_id, claim_id = 1000 + n, n + 1
        kind = ("SUPPORT", "SUPPORT", "CONTRADICT", "NEI")[n % 4]
        finding = f"{drug} increased {target} compared with placebo."
        text = {
            "SUPPORT": f"{drug} increases {target}.",
            "CONTRADICT": f"{drug} decreases {target}.",
            "NEI": f"{drug} changes how patients rate their quality of life.",
        }[kind]
        docs.append(
            {
                "doc_id": doc_id,
                "title": f"{drug} and {target}",
                "abstract": abstract(drug, target, finding),
                "structured": False,
            }
        )
        evidence = {} if kind == "NEI" else {str(doc_id): [{"sentences": [2], "label": kind}]}
        claims.append(
            {"id": claim_id, "claim": text, "evidence": evidence, "cited_doc_ids": [doc_id]}
        )
        qrels.append(f"{claim_id}\t{doc_id}\t1")
    docs.append(
        {
            "doc_id": 9999,
            "title": "Glacier retreat in the Alps",
            "abstract": ["Alpine glaciers lost a third of their volume since 1980."],
        }
    )
    return SplitFiles(
        write_lines(folder / "corpus.jsonl", docs),
        write_lines(folder / "claims_dev.jsonl", claims),
        _write(folder / "qrels_dev.tsv", "\n".join(qrels) + "\n"),
        pairs=topics,
    )


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path: Path) -> SplitFiles:
    return make_split(tmp_path / "split", 6)


def eval_command(root: Path, files: SplitFiles, *extra: str) -> int:
    return main(["--root", str(root), "eval", "scifact", *files.args(), *extra])


# --- metrics --------------------------------------------------------------------------------


def test_ndcg_at_a_hand_computed_case() -> None:
    relevant = {"b": 1, "c": 1}
    # DCG = 0 + 1/log2(3) + 1/log2(4); ideal DCG = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert ndcg_at(["a", "b", "c"], relevant, 10) == pytest.approx(expected)
    assert ndcg_at(["b", "c", "a"], relevant, 10) == pytest.approx(1.0)
    assert ndcg_at(["a", "b", "c"], relevant, 1) == 0.0
    assert ndcg_at(["b"], {"b": 2, "c": 1}, 10) == pytest.approx(2 / (2 + 1 / math.log2(3)))
    assert ndcg_at(["a"], {}, 10) == 0.0


def test_recall_at() -> None:
    relevant = {"b": 1, "d": 1, "e": 0}  # a zero score is not relevant
    assert recall_at(["a", "b", "c", "d"], relevant, 2) == 0.5
    assert recall_at(["a", "b", "c", "d"], relevant, 50) == 1.0
    assert recall_at(["e"], relevant, 50) == 0.0
    assert recall_at(["a"], {}, 50) == 0.0


def test_verification_measures_count_states_against_labels() -> None:
    judged = [
        Judged("SUPPORT", frozenset({1}), 1, 0.9, "supported"),
        Judged("SUPPORT", frozenset({2}), 0, 0.7, "related"),
        Judged("CONTRADICT", frozenset({0}), 0, 0.8, "supported"),
        Judged("CONTRADICT", frozenset({3}), 3, 0.6, "contradicted"),
        Judged("CONTRADICT", frozenset({1}), None, 0.0, "no_evidence"),
        Judged("NEI", frozenset(), 0, 0.5, "supported"),
        Judged("NEI", frozenset(), 2, 0.1, "no_evidence"),
    ]
    measures = verification_measures(judged)
    confusion = measures["confusion"]
    assert confusion == {
        "SUPPORT": {"supported": 1, "contradicted": 0, "related": 1, "no_evidence": 0},
        "CONTRADICT": {"supported": 1, "contradicted": 1, "related": 0, "no_evidence": 1},
        "NEI": {"supported": 1, "contradicted": 0, "related": 0, "no_evidence": 1},
    }
    assert measures["pairs"] == 7 and measures["pairs_with_evidence"] == 5
    assert measures["evidence_p_at_1"] == pytest.approx(3 / 5, abs=1e-4)
    assert measures["contradicted_shown_supported"] == pytest.approx(1 / 3, abs=1e-4)
    assert measures["supported_shown_supported"] == 0.5
    assert measures["nei_shown_supported"] == 0.5
    assert measures["supported_precision"] == pytest.approx(1 / 3, abs=1e-4)
    # strengths of pairs with evidence against the NEI ones (0.5, 0.1): 8 of 10 pairs won
    assert measures["auroc"] == pytest.approx(0.8)


def test_verification_measures_without_a_label() -> None:
    measures = verification_measures([Judged("NEI", frozenset(), 0, 0.2, "related")])
    assert measures["evidence_p_at_1"] is None
    assert measures["contradicted_shown_supported"] is None
    assert measures["supported_precision"] is None


# --- alignment ------------------------------------------------------------------------------


def test_align_maps_our_sentences_onto_differently_split_gold_ones() -> None:
    gold = (
        "We gave aspirin, e.g.",  # the gold split breaks after the abbreviation …
        "in low doses, to adults.",
        "Bleeding risk rose. Stroke risk fell.",  # … and keeps two sentences together
    )
    doc = Doc("7", "Aspirin", gold)
    ours = split_sentences(doc.paper.abstract)
    assert ours == [
        "We gave aspirin, e.g. in low doses, to adults.",
        "Bleeding risk rose.",
        "Stroke risk fell.",
    ]
    assert align(doc, ours) == [frozenset({0, 1}), frozenset({2}), frozenset({2})]
    assert align(doc, ["Not in this abstract.", "Stroke risk fell."]) == [
        frozenset(),
        frozenset({2}),
    ]


def test_align_follows_repeated_sentences_in_order() -> None:
    doc = Doc("8", "Repeats", ("It worked.", "Then we tried again.", "It worked."))
    assert align(doc, ["It worked.", "Then we tried again.", "It worked."]) == [
        frozenset({0}),
        frozenset({1}),
        frozenset({2}),
    ]


# --- loading --------------------------------------------------------------------------------


def test_load_split(small: SplitFiles) -> None:
    split = load_split(small.corpus, small.claims, small.qrels)
    assert len(split.docs) == 7 and len(split.claims) == 6
    assert (
        split.docs["1000"].sentences[2]
        == "Metformin increased insulin sensitivity compared with placebo."
    )
    assert split.qrels["1"] == {"1000": 1}  # the header line is skipped
    labels = [(p.claim.id, p.doc.id, p.label, p.rationale) for p in split.pairs()]
    assert labels[:4] == [
        ("1", "1000", "SUPPORT", frozenset({2})),
        ("2", "1001", "SUPPORT", frozenset({2})),
        ("3", "1002", "CONTRADICT", frozenset({2})),
        ("4", "1003", "NEI", frozenset()),
    ]
    again = load_split(small.corpus, small.claims, small.qrels)
    assert again.fingerprint == split.fingerprint and len(split.fingerprint) == 16


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_bad_json_names_the_file_and_line(small: SplitFiles) -> None:
    lines = _lines(small.corpus)
    lines[2] = '{"doc_id": 5, "title": "cut off\n'
    small.corpus.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(EvalInputError, match=rf"^{small.corpus}:3: not JSON"):
        load_split(small.corpus, small.claims, small.qrels)


def _edit_claim(small: SplitFiles, index: int, change: Callable[[dict[str, Any]], object]) -> None:
    """Apply `change` to the claim record on line `index + 1` of the claims file."""
    lines = _lines(small.claims)
    record = json.loads(lines[index])
    change(record)
    lines[index] = json.dumps(record) + "\n"
    small.claims.write_text("".join(lines), encoding="utf-8")


def test_missing_field_names_the_file_line_and_field(small: SplitFiles) -> None:
    _edit_claim(small, 1, lambda record: record.pop("claim"))
    with pytest.raises(EvalInputError) as caught:
        load_split(small.corpus, small.claims, small.qrels)
    assert str(caught.value).startswith(f"{small.claims}:2: field 'claim' must be str")


def test_unknown_doc_in_evidence_is_named(small: SplitFiles) -> None:
    unknown = {"424242": [{"sentences": [0], "label": "SUPPORT"}]}
    _edit_claim(small, 0, lambda record: record.update(evidence=unknown))
    with pytest.raises(EvalInputError, match=rf"^{small.claims}:1: .*unknown doc 424242"):
        load_split(small.corpus, small.claims, small.qrels)


@pytest.mark.parametrize(
    ("which", "text", "message"),
    [
        (
            "corpus",
            '{"doc_id": 1, "title": "T", "abstract": "not a list"}\n',
            ":1: field 'abstract'",
        ),
        ("corpus", '{"title": "T", "abstract": ["One."]}\n', ":1: field 'doc_id' is missing"),
        ("corpus", "[1, 2]\n", ":1: expected an object"),
        ("corpus", "\n", ": no documents"),
        (
            "claims",
            '{"id": 1, "claim": "C", "cited_doc_ids": [5]}\n',
            ":1: cited_doc_ids not in the corpus",
        ),
        ("claims", "", ": no claims"),
        (
            "qrels",
            "query-id\tcorpus-id\tscore\n1\t1000\n",
            ":2: expected query-id, corpus-id, score",
        ),
        ("qrels", "query-id\tcorpus-id\tscore\n1\t1000\thigh\n", ":2: score must be an integer"),
    ],
)
def test_malformed_files_are_named(small: SplitFiles, which: str, text: str, message: str) -> None:
    path = getattr(small, which)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EvalInputError) as caught:
        load_split(small.corpus, small.claims, small.qrels)
    assert str(caught.value).startswith(f"{path}{message}")


def test_mixed_labels_for_one_doc_are_rejected(small: SplitFiles) -> None:
    mixed = {"sentences": [1], "label": "CONTRADICT"}
    _edit_claim(small, 0, lambda record: record["evidence"]["1000"].append(mixed))
    with pytest.raises(EvalInputError, match=rf"^{small.claims}:1: evidence for 1000 has labels"):
        load_split(small.corpus, small.claims, small.qrels)


# --- the command ----------------------------------------------------------------------------

MEASURES = (
    "ndcg_at_10",
    "recall_at_50",
    "evidence_p_at_1",
    "auroc",
    "contradicted_shown_supported",
    "supported_shown_supported",
)


def test_eval_json_report(
    tmp_path: Path, small: SplitFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    assert eval_command(tmp_path, small, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    for key in (*MEASURES, "confusion", "wall_seconds", "peak_memory_mb"):
        assert key in report
    for key in MEASURES:
        assert 0.0 <= report[key] <= 1.0, key
    assert report["ndcg_at_10"] >= 0.9  # every claim names its abstract's drug and outcome
    assert report["recall_at_50"] == 1.0
    assert report["wall_seconds"] >= 0.0 and report["peak_memory_mb"] > 0.0
    confusion = report["confusion"]
    assert set(confusion) == set(LABELS)
    assert all(set(row) == set(STATES) for row in confusion.values())
    assert sum(sum(row.values()) for row in confusion.values()) == small.pairs == report["pairs"]
    assert sum(confusion["NEI"].values()) == 1
    assert report["split"] == {
        "claims": 6,
        "documents": 7,
        "fingerprint": report["split"]["fingerprint"],
    }
    assert report["settings"] == {
        "ranker": "hybrid",
        "verify_backend": "minilm",
        "stance_judge": "rules",
    }
    # the supported claims restate their abstract's finding
    assert confusion["SUPPORT"]["supported"] >= 1
    assert report["evidence_p_at_1"] >= 0.5


def test_eval_table(
    tmp_path: Path,
    small: SplitFiles,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert eval_command(tmp_path, small) == 0
    out = capsys.readouterr().out
    for name in (*MEASURES, "wall time", "peak memory", "SUPPORT", "CONTRADICT", "NEI"):
        assert name in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_eval_with_a_malformed_file_exits_2(
    tmp_path: Path, small: SplitFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    small.qrels.write_text("query-id\tcorpus-id\tscore\n1\t1000\tyes\n", encoding="utf-8")
    assert eval_command(tmp_path, small, "--json") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"error: {small.qrels}:2:" in captured.err


@pytest.mark.parametrize("missing", ["corpus", "claims", "qrels"])
def test_eval_with_a_missing_file_exits_2(
    tmp_path: Path, small: SplitFiles, missing: str, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = getattr(small, missing)
    gone.unlink()
    assert eval_command(tmp_path, small, "--json") == 2
    assert f"error: {gone}: cannot read" in capsys.readouterr().err


def test_eval_fit_writes_loadable_weights_for_both_backends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = make_split(tmp_path / "split", len(TOPICS))
    out = tmp_path / "fitted" / "weights.json"
    assert eval_command(tmp_path, files, "--fit", str(out)) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"weights written to {out}")
    weights = load_weights(out)
    assert set(weights.backends) == {"minilm", "tfidf"}
    assert weights.fitted_on.startswith(f"{len(TOPICS)} claims, {len(TOPICS)} claim–abstract pairs")
    assert weights.measured["folds"] == 5
    for name, backend in weights.backends.items():
        assert sum(backend.mix.values()) == pytest.approx(1.0)
        assert backend.thresholds.related <= backend.thresholds.supported or math.isinf(
            backend.thresholds.related
        )
        held_out = weights.measured["cross_validated"][name]
        assert held_out["pairs"] == len(TOPICS)
        assert sum(sum(row.values()) for row in held_out["confusion"].values()) == len(TOPICS)
    assert weights.backends["tfidf"].mix["semantic"] == 0.0

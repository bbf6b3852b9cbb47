"""Planted bad drafts: a model that praises everything and writes defective claims on
127.0.0.1, and the gates that keep every such draft from being approved."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.drafting.corpus import load_corpus
from generator.drafting.models import Question
from generator.evaluation.coverage import OffTopic, OnTopic, QuestionSet
from generator.evaluation.planted import PlantedLlm
from generator.evaluation.tribunal import DEFECTS, Planted, build, evaluate
from generator.inputs.settings import Settings

# Questions whose papers the bundled corpus holds (bench/coverage_questions.yaml style).
QUESTIONS = QuestionSet(
    on_topic=(
        OnTopic(
            question="Does sparse upcycling of a dense checkpoint into a mixture-of-experts "
            "model beat training the sparse model from scratch for the same compute?",
            papers=("2212.05055",),
        ),
        OnTopic(
            question="Can the weights of trillion-parameter sparse expert models be compressed "
            "below one bit per parameter with little accuracy loss?",
            papers=("2310.16795",),
        ),
    ),
    off_topic=(
        OffTopic(
            question="How accurately do deep learning structure predictors fold proteins "
            "whose sequences have few homologues, compared with physics-based methods?"
        ),
    ),
)


def test_no_planted_draft_is_approved() -> None:
    report = evaluate(QUESTIONS, Settings(), per_defect=1)
    assert report["planted"] == len(DEFECTS)
    assert report["planted_approved"] == 0
    for name in DEFECTS:
        row = report["defects"][name]
        assert row["drafts"] == 1, name
        assert row["caught"] == 1, name
        assert row["mean_tribunal_score"] in (None, 9.5), name  # the praise did reach the page
    gates = {name: set(report["defects"][name]["gates"]) for name in DEFECTS}
    assert "not covered" in gates["off-topic question"]
    assert "claims not in the paper" in gates["negated claims"]
    assert "claims not in the paper" in gates["altered numbers"]
    assert "no abstract" in gates["missing abstract"]


@pytest.fixture(scope="module")
def planted() -> PlantedLlm:
    with PlantedLlm() as fake:
        yield fake


def test_a_praising_model_still_cannot_approve_an_off_topic_draft(
    planted: PlantedLlm, tmp_path: Path
) -> None:
    question = Question(slug="off", question=QUESTIONS.off_topic[0].question, path="off.yaml")
    draft = build(Planted("off-topic question", question), Settings(), planted, tmp_path, 0)
    assert {r.score for r in draft.final.tribunal.roles} == {9.5}
    assert all(r.judge.startswith("LLM planted-praise") for r in draft.final.tribunal.roles)
    assert draft.final.tribunal.verdict == "APPROVE"
    assert draft.decision.policy == "ESCALATE_TO_OWNER"
    assert draft.decision.reason.startswith("gate “not covered”")


def test_negated_and_altered_claims_are_dropped_and_counted(
    planted: PlantedLlm, tmp_path: Path
) -> None:
    item = QUESTIONS.on_topic[0]
    question = Question(slug="q", question=item.question, path="q.yaml")
    faithful = build(Planted("good", question), Settings(), planted, tmp_path, 1)
    assert faithful.extraction.claims and not faithful.extraction.dropped
    abstract = faithful.selection.primary.abstract
    assert all(c.text in abstract for c in faithful.extraction.claims)
    negated = build(Planted("negated claims", question, "negate"), Settings(), planted, tmp_path, 2)
    assert negated.extraction.dropped
    assert all(" — " in d for d in negated.extraction.dropped)  # each with its reason
    assert any("contradicts" in d or "turned around" in d for d in negated.extraction.dropped)
    altered = build(
        Planted("altered numbers", question, "numbers"), Settings(), planted, tmp_path, 3
    )
    assert altered.extraction.dropped
    assert altered.decision.gates[0].name in {"claims not in the paper", "no supported claim"}
    assert "claims not in the paper" in [g.name for g in altered.decision.gates]


def test_answer_statements_are_quote_gated(planted: PlantedLlm, tmp_path: Path) -> None:
    """The planted model writes one faithful statement, one negated and one with an invented
    figure: the gate keeps a statement only when its cited sentence states it, and counts the
    rest."""
    item = QUESTIONS.on_topic[0]
    question = Question(slug="q", question=item.question, path="q.yaml")
    draft = build(Planted("good", question), Settings(), planted, tmp_path, 4)
    answer = draft.answer
    assert answer.method.startswith("written by planted-praise")
    papers = {p.id: p for p in load_corpus()}
    written = [s for s in answer.statements if s.text]
    for s in written:
        assert s.sentence in papers[s.paper_id].abstract  # the cited sentence is quoted too
    assert len(written) == 1 and answer.dropped == 2
    assert written[0].text == written[0].sentence[:300]
    assert not draft.failures

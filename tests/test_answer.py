"""The Answer and coverage: yes/no/mixed from quoted statements, "not covered" for questions the
sources do not address, and the gates that keep such drafts from being approved."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from generator.drafting.models import Question, Statement
from generator.drafting.pipeline import Context, run_question
from generator.drafting.stages.answer import hypothesis, summary_line, verdict_of
from generator.drafting.verifier.stance import StanceVerdict
from generator.inputs.questions import load_questions
from generator.inputs.settings import Settings
from generator.machinery.cache import StageCache

REPO = Path(__file__).resolve().parents[1]

# The off-topic questions of issue 13: the bundled corpus covers Mixture-of-Experts only.
OFF_TOPIC = {
    "climate": "How well do deep generative models downscale coarse climate model output to "
    "kilometre-scale precipitation, and how is their uncertainty calibrated?",
    "proteins": "How accurately do deep learning structure predictors fold proteins whose "
    "sequences have few homologues, compared with physics-based methods?",
    "speech": "Which self-supervised pretraining methods most reduce word error rates of "
    "speech recognition systems for low-resource languages?",
    "quantisation": "How much accuracy do large language models lose when their weights are "
    "quantised to 4 bits after training, and which rounding schemes limit the loss?",
    "molecules": "Which graph neural network architectures best predict quantum-chemical "
    "properties of small molecules from their molecular graphs?",
}
# Questions of the demo that the corpus answers: all but the two "SMoES" seed questions, which
# ask for zero-shot and latency comparisons on benchmarks no abstract of the corpus reports.
ON_TOPIC_DEMO = (
    "anyexperts-scaling-routing-signatures",
    "anyexperts-scaling-smoe-dropout",
    "aux-loss-free-load-balancing",
    "expert-pruning-and-merging",
    "expert-specialization-routing",
    "fine-grained-moe-scaling-laws",
    "moe-serving-offloading",
    "sparse-upcycling-vs-scratch",
    "anyexperts-representational-collapse",
)


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(settings=Settings(), cache=StageCache(None))


@pytest.mark.parametrize(
    "question, claim",
    [
        ("Do sparse models beat dense ones?", "Sparse models beat dense ones"),
        ("Does upcycling help?", "Upcycling help"),
        ("Can experts be pruned without loss?", "Experts be pruned without loss"),
        (
            "Do experts specialise by topic, and does the router stay stable?",
            "Experts specialise by topic, and the router stay stable",
        ),
        ("How do scaling laws change with granularity?", None),
        ("Which serving technique is fastest?", None),
        ("To what extent does routing matter?", None),
    ],
)
def test_a_yes_no_question_is_read_as_the_claim_it_asks_about(
    question: str, claim: str | None
) -> None:
    assert hypothesis(question) == claim


def statement(stance: str) -> Statement:
    return Statement(
        sentence="s",
        paper_id="p",
        paper_title="t",
        stance=stance,  # type: ignore[arg-type]
        strength=0.5,
    )


@pytest.mark.parametrize(
    "stances, polar, verdict",
    [
        (["supports", "related"], True, "yes"),
        (["contradicts"], True, "no"),
        (["supports", "contradicts"], True, "mixed"),
        (["unclear", "related"], True, "not_answered"),
        ([], True, "not_answered"),
        (["answers", "related"], False, "answered"),
        (["related"], False, "not_answered"),
    ],
)
def test_verdict_follows_the_statements(stances: list[str], polar: bool, verdict: str) -> None:
    statements = [statement(s) for s in stances]
    assert verdict_of(statements, polar=polar) == verdict
    line = summary_line(verdict_of(statements, polar=polar), statements, 3, 12)
    assert line.split(":")[0] in {
        "Yes",
        "No",
        "Mixed",
        "Answered in part",
        "Not answered",
        "Not answered by the 12 papers searched",
    }


class FixedJudge:
    """A stance judge that reads every statement the same way."""

    def __init__(self, stance: str):
        self.stance = stance
        self.name = f"fixed-{stance}"
        self.pairs: list[tuple[str, str]] = []

    def describe(self) -> str:
        return self.name

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[StanceVerdict]:
        self.pairs += pairs
        return [StanceVerdict(self.stance, None, self.name, "fixed") for _ in pairs]  # type: ignore[arg-type]


def demo(slug: str) -> Question:
    questions = load_questions(REPO / "questions", REPO).questions
    return next(q for q in questions if q.slug == slug)


def test_upcycling_question_is_answered_from_the_upcycling_paper(ctx: Context) -> None:
    draft = run_question(demo("sparse-upcycling-vs-scratch"), ctx)
    answer = draft.answer
    assert answer.hypothesis and answer.hypothesis.startswith("Sparse upcycling")
    assert 1 <= len(answer.statements) <= 5
    judged = [s for s in answer.statements if s.stance in ("supports", "contradicts")]
    assert judged, "the upcycling paper's result should be read against the question"
    assert any(s.paper_id == "2212.05055" for s in judged)
    assert answer.verdict in ("yes", "mixed")
    papers = {r.paper.id for r in draft.final.search.papers} | {draft.selection.primary.id}
    for s in answer.statements:
        assert s.paper_id in papers  # every statement quotes a retrieved paper
        paper = next(
            p
            for p in (*[r.paper for r in draft.final.search.papers], draft.selection.primary)
            if p.id == s.paper_id
        )
        assert s.sentence in paper.abstract  # quoted, not written


def test_the_stance_judge_decides_yes_or_no(ctx: Context) -> None:
    from generator.drafting.stages.answer import answer

    draft = run_question(demo("sparse-upcycling-vs-scratch"), ctx)
    papers = [r.paper for r in draft.final.search.papers]
    args = (
        draft.question.question,
        papers,
        draft.selection.coverage,
        ctx.relevance,
        ctx.verify_weights,
        ctx.verify_encoder,
        ctx.verify_background,
    )
    against = FixedJudge("contradicts")
    assert answer(*args, against).verdict == "no"  # type: ignore[arg-type]
    assert against.pairs and all(claim == draft.answer.hypothesis for claim, _ in against.pairs)
    assert answer(*args, FixedJudge("supports")).verdict == "yes"  # type: ignore[arg-type]
    assert answer(*args, FixedJudge("unclear")).verdict == "not_answered"  # type: ignore[arg-type]


@pytest.mark.parametrize("topic", sorted(OFF_TOPIC))
def test_off_topic_questions_are_not_covered_and_never_approved(ctx: Context, topic: str) -> None:
    question = Question(slug=f"off-{topic}", question=OFF_TOPIC[topic], path="q.yaml")
    draft = run_question(question, ctx)
    assert not draft.selection.coverage.covered
    assert draft.answer.verdict == "not_covered"
    assert draft.answer.summary.startswith("Not covered by the ")
    assert draft.answer.statements == ()
    assert draft.decision.policy == "ESCALATE_TO_OWNER"
    assert draft.decision.gates[0].name == "not covered"
    assert draft.decision.reason.startswith("gate “not covered”")
    synthesizer = next(r for r in draft.final.tribunal.roles if r.role == "SYNTHESIZER")
    signals = {s.name: s for s in synthesizer.signals}
    assert signals["answer"].normalized == 0.0
    assert signals["coverage"].detail.endswith("not covered")
    # absolute signals: an unrelated paper cannot make the draft look like an answer
    assert synthesizer.score < draft.final.tribunal.approve_at


@pytest.mark.parametrize("slug", ON_TOPIC_DEMO)
def test_on_topic_demo_questions_are_covered(ctx: Context, slug: str) -> None:
    draft = run_question(demo(slug), ctx)
    assert draft.selection.coverage.covered
    assert draft.answer.verdict != "not_covered"
    assert "not covered" not in [g.name for g in draft.decision.gates]
    assert draft.selection.primary.abstract.strip()


def test_rationales_name_distinct_weakest_and_strongest_signals(ctx: Context) -> None:
    for slug in ON_TOPIC_DEMO[:3]:
        for role in run_question(demo(slug), ctx).final.tribunal.roles:
            if "Weakest signal:" in role.rationale:
                weakest = role.rationale.split("Weakest signal: ")[1].split(" (")[0]
                strongest = role.rationale.split("Strongest: ")[1].split(" (")[0]
                assert weakest != strongest, role.rationale
            else:
                assert "All its signals stand at" in role.rationale
            assert role.judge.startswith("rules")


def test_run_prints_the_answer_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from generator.cli import main
    from tests.conftest import make_project

    project = make_project(tmp_path / "p", questions=["sparse-upcycling-vs-scratch.yaml"])
    assert main(["--root", str(project), "run", "sparse-upcycling-vs-scratch"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("sparse-upcycling-vs-scratch: "))
    assert line.startswith("sparse-upcycling-vs-scratch: Answer: ")
    assert "Policy: ESCALATE_TO_OWNER" in line or "Policy: AUTO_APPROVE" in line

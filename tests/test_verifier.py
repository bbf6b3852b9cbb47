"""The verifier: lexicon and coverage, scoring, claim states, stance judges and `verify`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from generator.drafting.llm import LlmClient, LlmError, prompt_version
from generator.drafting.llm.stance import LlmStanceJudge
from generator.drafting.models import Claim, Paper, Verification
from generator.drafting.stages.verify import paper_sentences, verify
from generator.drafting.verifier import load_weights, make_encoder
from generator.drafting.verifier.coverage import TermWeights, terms
from generator.drafting.verifier.lexicon import anchors, negate, polarity
from generator.drafting.verifier.scoring import Encoder, Similarities, choose, score, similarities
from generator.drafting.verifier.stance import RulesStanceJudge, StanceVerdict, state_of
from generator.drafting.verifier.weights import Thresholds
from generator.inputs.settings import LlmSettings, ServicesSettings, VerifySettings
from generator.machinery.http import ServiceError, Services

from .fake_llm import FakeLlm, register_fake_llm, valid

CLAIM = "Expert choice routing improves training convergence by more than two times."
RESTATED = (
    "Expert choice routing improves training convergence more than twofold over top-k gating."
)
OTHER_CLAIM = "Our method balances the load across experts without auxiliary losses."

KEY_ENV = "SOVEREIGN_TEST_STANCE_KEY"
KEY = "sk-test-stance-4f1c"

# Deterministic hypothesis runs with no deadline (no wall-clock dependence) and no database.
fast_settings = settings(max_examples=300, deadline=None, derandomize=True, database=None)


def paper(ident: str, *sentences: str, title: str = "A paper") -> Paper:
    return Paper(id=ident, title=title, abstract=" ".join(sentences))


def claim(text: str, index: int = 0) -> Claim:
    return Claim(text=text, sentence_index=index, kind="finding")


PRIMARY = paper(
    "primary",
    "We propose a sparse routing method for mixture-of-experts language models.",
    CLAIM,
    OTHER_CLAIM,
)
EVIDENCE = paper(
    "evidence",
    "Large language models are expensive to train at scale.",
    "We compare several routing strategies for sparse expert layers.",
    RESTATED,
    "Results hold across model sizes from 100M to 8B parameters.",
    title="Routing strategies compared",
)
BREAD = paper(
    "bread",
    "Sourdough bread needs a mature starter culture.",
    "The dough is folded several times during bulk fermentation.",
    "Baking in a covered pot keeps the crust moist early on.",
)
GARDEN = paper(
    "garden",
    "Tomato plants need full sun for most of the day.",
    "Water the soil deeply but not too often in summer.",
    "Mulch keeps the roots cool and reduces weeds.",
)


@pytest.fixture(scope="module")
def encoder() -> Encoder | None:
    """The local MiniLM encoder (vectors kept in memory only)."""
    return make_encoder("minilm", None)


class FixedJudge:
    """A stance judge that gives the same stance for every pair, and records what it saw."""

    def __init__(self, stance: str, name: str = "fake"):
        self.stance = stance
        self.name = name
        self.seen: list[tuple[str, str]] = []

    def describe(self) -> str:
        return f"{self.name}: always {self.stance}"

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[StanceVerdict]:
        self.seen.extend(pairs)
        return [StanceVerdict(self.stance, None, self.name, "fixed") for _ in pairs]  # type: ignore[arg-type]


class BrokenJudge:
    """A stance judge whose service fails."""

    name = "llm"

    def describe(self) -> str:
        return "llm: a service that fails"

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[StanceVerdict]:
        raise ServiceError("llm", "HTTP 503 after 3 attempts", 503)


# --- lexicon --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        (
            "Metformin does not increase insulin sensitivity.",
            "Metformin increase insulin sensitivity.",
        ),
        ("There is no benefit of vitamin C.", "There is benefit of vitamin C."),
        ("Statins reduce LDL cholesterol.", "Statins increase LDL cholesterol."),
        ("Aspirin increases bleeding risk.", "Aspirin decreases bleeding risk."),
        ("The larger model is better.", "The smaller model is better."),  # first match only
        ("The model is robust to noise.", "The model is not robust to noise."),
        ("Birds sing at dawn.", "It is not true that Birds sing at dawn."),
    ],
)
def test_negate(text: str, negated: str) -> None:
    assert negate(text) == negated


def test_polarity_flips_under_negation() -> None:
    assert polarity("Metformin increases insulin sensitivity.") == 1
    assert polarity("Metformin does not increase insulin sensitivity.") == -1
    assert polarity("Metformin decreases insulin sensitivity.") == -1
    assert polarity("Metformin did not reduce insulin sensitivity.") == 1
    assert polarity("Patients were enrolled in March.") == 0
    for text in ("Statins reduce LDL cholesterol.", "Aspirin increases bleeding risk."):
        assert polarity(negate(text)) == -polarity(text) != 0


def test_polarity_with_anchors_counts_changes_near_the_claims_subject() -> None:
    subject = anchors("Metformin increases insulin sensitivity.")
    assert {"metfo", "insul", "sensi"} <= subject
    assert not subject & {"incre"}  # direction words are not anchors
    far = "Insulin sensitivity rose, " + "and " * 10 + "body weight decreased and fell."
    assert polarity(far) == -1  # one up, two down
    assert polarity(far, subject) > 0  # only the rise is said of the claim's subject


# --- coverage -------------------------------------------------------------------------------


def test_terms_are_stemmed_content_words() -> None:
    assert terms("The patients were treated with ALDH1 inhibitors.") == {
        "patient",
        "treat",
        "aldh1",
        "inhibitor",
    }


def test_coverage_weighs_rare_terms_over_common_ones() -> None:
    background = TermWeights(
        [
            "Patients with breast cancer were followed for five years.",
            "We enrolled patients from three hospitals.",
            "Outcomes of patients improved after surgery.",
            "ALDH1 is a marker of stem cells in patients with tumours.",
        ]
    )
    assert background.size == 4
    assert background.idf("patient") < background.idf("aldh1") < background.idf("relaps")
    wanted = terms("ALDH1 expression predicts relapse in patients.")
    specific = background.coverage(wanted, terms("High ALDH1 expression predicted early relapse."))
    common = background.coverage(wanted, terms("Patients were treated in three hospitals."))
    assert 0.0 < common < specific < 1.0
    assert (
        background.coverage(wanted, terms("ALDH1 expression predicts relapse in patients.")) == 1.0
    )
    assert background.coverage(frozenset(), terms("anything at all")) == 0.0


# --- scoring --------------------------------------------------------------------------------


def test_similarities_of_a_restated_claim(encoder: Encoder | None) -> None:
    sentences = paper_sentences(EVIDENCE)
    background = TermWeights([EVIDENCE.abstract, BREAD.abstract, GARDEN.abstract])
    semantic, lexical, coverage = similarities([CLAIM], sentences, encoder, background)
    assert semantic is not None
    for matrix in (semantic, lexical, coverage):
        assert matrix.shape == (1, len(sentences))
        assert ((matrix >= 0) & (matrix <= 1 + 1e-6)).all()
        assert int(np.argmax(matrix[0])) == 2
    tfidf_only = similarities([CLAIM], sentences, None, background)
    assert tfidf_only[0] is None
    assert np.allclose(tfidf_only[1], lexical) and np.allclose(tfidf_only[2], coverage)


def test_choose_picks_among_the_near_strongest_only() -> None:
    weights = load_weights().for_backend("tfidf")
    sentences = ["One two three four.", "Five six seven eight.", "Nine ten eleven twelve."]
    sims = Similarities(None, np.array([0.0, 0.9, 0.1]), np.array([0.0, 0.9, 0.1]))
    assert choose(sentences, sims, weights) == 1


def test_score_chooses_the_restating_sentence(encoder: Encoder | None) -> None:
    weights = load_weights().for_backend("minilm")
    pools = [paper_sentences(p) for p in (BREAD, EVIDENCE, GARDEN)]
    [scored] = score([CLAIM], pools, weights, encoder)
    assert scored.best is not None
    assert (scored.best.paper, scored.best.sentence) == (1, 2)
    assert scored.best.strength >= weights.thresholds.supported
    assert sorted(f.paper for f in scored.findings) == [0, 1, 2]
    strengths = [f.strength for f in scored.findings]
    assert strengths == sorted(strengths, reverse=True)
    assert scored.tfidf_max > 0.4


# --- claim states ---------------------------------------------------------------------------

EDGES = Thresholds(related=0.3, supported=0.6, contradiction=0.5, support_below=0.45)


def verdict(stance: str, probability: float | None = None) -> StanceVerdict:
    return StanceVerdict(stance, probability, "test")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("strength", "given", "state"),
    [
        (0.0, None, "no_evidence"),
        (0.2999, verdict("supports", 0.0), "no_evidence"),
        (0.2999, verdict("contradicts"), "no_evidence"),
        (0.3, None, "related"),
        (0.5999, verdict("supports", 0.0), "related"),
        (0.5999, verdict("contradicts", 0.9), "related"),
        (0.6, None, "related"),
        (0.6, verdict("supports", None), "supported"),
        (0.6, verdict("supports", 0.4499), "supported"),
        (0.6, verdict("supports", 0.45), "supported"),  # the judge decides, not the state
        (0.6, verdict("contradicts", 0.5), "contradicted"),
        (0.6, verdict("contradicts", None), "contradicted"),
        (0.6, verdict("unclear"), "related"),
        (1.0, verdict("unclear"), "related"),
        (1.0, verdict("supports", 0.1), "supported"),
    ],
)
def test_state_of_at_the_thresholds_edges(
    strength: float, given: StanceVerdict | None, state: str
) -> None:
    assert state_of(strength, given, EDGES) == state


unit = st.floats(min_value=0.0, max_value=1.0)


@fast_settings
@given(
    strength=unit,
    stance=st.sampled_from(["supports", "contradicts", "unclear"]),
    probability=st.none() | unit,
    cuts=st.lists(unit, min_size=2, max_size=2).map(sorted),
    support_below=unit,
)
def test_only_agreeing_strong_evidence_is_supported(
    strength: float,
    stance: str,
    probability: float | None,
    cuts: list[float],
    support_below: float,
) -> None:
    thresholds = Thresholds(cuts[0], cuts[1], 0.5, support_below)
    state = state_of(strength, verdict(stance, probability), thresholds)
    if stance != "supports" or strength < thresholds.supported:
        assert state != "supported"
    if stance == "contradicts":
        assert state in ("contradicted", "related", "no_evidence")
    assert (state == "no_evidence") == (strength < thresholds.related)


# --- verify ---------------------------------------------------------------------------------


def run(
    claims: list[Claim],
    papers: list[Paper],
    encoder: Encoder | None,
    judge: object = None,
    backend: str = "minilm",
) -> Verification:
    options = VerifySettings(backend=backend)  # type: ignore[arg-type]
    return verify(claims, papers, PRIMARY, options, encoder, judge)  # type: ignore[arg-type]


def test_a_restated_claim_is_supported_by_that_sentence(encoder: Encoder | None) -> None:
    supported = run([claim(CLAIM)], [PRIMARY, BREAD, EVIDENCE, GARDEN], encoder).checks[0]
    unrelated = run([claim(CLAIM)], [PRIMARY, BREAD, GARDEN], encoder).checks[0]
    assert supported.state == "supported" and supported.verified
    assert supported.evidence is not None
    assert supported.evidence.sentence == RESTATED
    assert supported.evidence.paper_id == "evidence"
    assert supported.evidence.paper_title == "Routing strategies compared"
    assert supported.evidence.judge == "rules" and supported.evidence.stance == "supports"
    assert supported.evidence.semantic is not None and supported.evidence.semantic > 0.8
    assert unrelated.state == "no_evidence" and not unrelated.verified
    assert supported.confidence > unrelated.confidence
    assert supported.confidence > 0.5


def test_the_primary_papers_own_sentences_are_never_evidence(encoder: Encoder | None) -> None:
    own = [claim(s, i) for i, s in enumerate(paper_sentences(PRIMARY))]
    result = run(own, [PRIMARY, BREAD, GARDEN], encoder)
    assert len(result.checks) == 3
    assert all(c.evidence is None or c.evidence.paper_id != "primary" for c in result.checks)
    assert all(c.state == "no_evidence" for c in result.checks)
    assert (result.papers_compared, result.sentences_compared) == (2, 6)


def test_no_other_papers_means_no_evidence(encoder: Encoder | None) -> None:
    result = run([claim(CLAIM), claim(OTHER_CLAIM, 1)], [PRIMARY], encoder)
    assert [c.state for c in result.checks] == ["no_evidence", "no_evidence"]
    assert all(c.evidence is None and c.confidence == 0.0 for c in result.checks)
    assert result.verified_count == 0 and result.count("no_evidence") == 2
    assert (result.papers_compared, result.sentences_compared) == (0, 0)
    assert run([claim(CLAIM)], [], encoder).checks[0].state == "no_evidence"


def test_tfidf_backend_needs_no_encoder() -> None:
    assert make_encoder("tfidf", None) is None
    result = run([claim(CLAIM)], [PRIMARY, BREAD, EVIDENCE], None, backend="tfidf")
    check = result.checks[0]
    assert check.state == "supported"
    assert check.evidence is not None and check.evidence.sentence == RESTATED
    assert check.evidence.semantic is None
    assert result.semantic_method is None


def test_a_contradicting_judge_means_never_verified(encoder: Encoder | None) -> None:
    judge = FixedJudge("contradicts")
    result = run([claim(CLAIM), claim(OTHER_CLAIM, 1)], [PRIMARY, EVIDENCE, BREAD], encoder, judge)
    strong, weak = result.checks
    assert judge.seen == [(CLAIM, RESTATED)]  # only strong evidence is judged
    assert strong.state == "contradicted" and not strong.verified
    assert strong.evidence is not None
    assert (strong.evidence.stance, strong.evidence.judge) == ("contradicts", "fake")
    assert weak.state != "supported" and weak.evidence is not None and weak.evidence.judge == ""
    assert result.verified_count == 0 and result.count("contradicted") == 1


def test_an_unclear_verdict_leaves_strong_evidence_related(encoder: Encoder | None) -> None:
    result = run([claim(CLAIM)], [PRIMARY, EVIDENCE], encoder, FixedJudge("unclear"))
    check = result.checks[0]
    assert check.state == "related" and not check.verified
    assert check.evidence is not None and check.evidence.stance == "unclear"


def test_a_failing_judge_falls_back_to_the_rules_judge(encoder: Encoder | None) -> None:
    result = run([claim(CLAIM)], [PRIMARY, EVIDENCE], encoder, BrokenJudge())
    check = result.checks[0]
    assert check.state == "supported"
    assert check.evidence is not None and check.evidence.judge == "rules"
    [failure] = result.failures
    assert "stance judge llm failed" in failure and "HTTP 503" in failure
    assert "rules judge decided" in failure


def test_no_failures_without_judging(encoder: Encoder | None) -> None:
    """Weak evidence never reaches the judge, so a broken one costs nothing."""
    result = run([claim(CLAIM)], [PRIMARY, BREAD], encoder, BrokenJudge())
    assert result.failures == ()


# --- rules stance judge ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["minilm", "tfidf"])
def test_rules_judge_reads_a_negated_claim_as_contradicted(backend: str) -> None:
    weights = load_weights().for_backend(backend)
    judge = RulesStanceJudge(weights, make_encoder(backend, None))
    evidence = "Metformin increases insulin sensitivity in mice."
    agrees, negated = judge.judge(
        [
            ("Metformin increases insulin sensitivity.", evidence),
            ("Metformin does not increase insulin sensitivity.", evidence),
        ]
    )
    assert agrees.probability is not None and negated.probability is not None
    assert negated.probability > agrees.probability
    assert agrees.stance == "supports" and negated.stance == "contradicts"
    assert negated.judge == "rules" and negated.reason.startswith("P(contradiction) ")
    cues = ("negation on one side only", "a null finding on one side only", "negated claim")
    assert any(cue in negated.reason for cue in cues)  # the cue that decided is named
    assert agrees.reason.startswith("agrees, P(contradiction) ")
    assert judge.judge([]) == []


def test_rules_judge_is_unclear_between_its_thresholds() -> None:
    weights = load_weights().for_backend("minilm")
    judge = RulesStanceJudge(weights, make_encoder("minilm", None))
    pairs = [
        ("Metformin increases insulin sensitivity.", "Metformin increases insulin sensitivity."),
        ("Metformin does not increase insulin sensitivity.", "Metformin increases it."),
        ("Exercise lowers blood pressure.", "Exercise raised blood pressure in two trials."),
    ]
    t = weights.thresholds
    for verdict in judge.judge(pairs):
        assert verdict.probability is not None
        expected = (
            "contradicts"
            if verdict.probability >= t.contradiction
            else "unclear"
            if verdict.probability >= t.support_below
            else "supports"
        )
        assert verdict.stance == expected


# --- LLM stance judge -----------------------------------------------------------------------


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeLlm:
    return register_fake_llm(httpserver, FakeLlm(key=KEY))


@pytest.fixture
def llm_judge(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[LlmStanceJudge]:
    """An LLM stance judge asking the fake server (one retry for unusable answers)."""
    monkeypatch.setenv(KEY_ENV, KEY)
    settings = LlmSettings.model_validate(
        {
            "base_url": httpserver.url_for("/"),
            "api_key_env": KEY_ENV,
            "retries": 1,
            "backoff": 0.01,
            "max_backoff": 0.05,
        }
    )
    services = Services(ServicesSettings(llm=settings), cache_dir=None)
    yield LlmStanceJudge(LlmClient(services.get("llm"), settings))
    services.close()


def judgement(pair: int, stance: str, reason: str = "") -> dict[str, object]:
    return {"pair": pair, "stance": stance, "reason": reason}


PAIRS = [
    ("Drug A lowers blood pressure.", "Drug A reduced systolic pressure by 10 mmHg."),
    ("Drug B raises heart rate.", "Drug B had no effect on heart rate."),
    ("Drug C is used in asthma.", "Asthma prevalence rose in cities."),
]


def test_llm_judge_returns_verdicts_in_pair_order(fake: FakeLlm, llm_judge: LlmStanceJudge) -> None:
    shuffled = [
        judgement(3, "unclear", "a different finding"),
        judgement(1, "supports", "same finding"),
        judgement(2, "contradicts", "no effect"),
    ]
    fake.answer(valid({"judgements": shuffled}))
    verdicts = llm_judge.judge(PAIRS)
    assert [(v.stance, v.reason, v.judge, v.probability) for v in verdicts] == [
        ("supports", "same finding", "llm", None),
        ("contradicts", "no effect", "llm", None),
        ("unclear", "a different finding", "llm", None),
    ]
    [request] = fake.requests
    user = request["messages"][1]["content"]
    data = user.split('<data name="pairs">', 1)[1].split("</data>", 1)[0]
    assert json.loads(data) == [
        {"pair": n, "claim": text, "evidence": evidence}
        for n, (text, evidence) in enumerate(PAIRS, 1)
    ]
    assert llm_judge.describe().endswith(f"prompt {prompt_version('stance')}")
    assert llm_judge.judge([]) == []
    assert len(fake.requests) == 1  # no pairs, no request


@pytest.mark.parametrize(
    "answers",
    [
        [judgement(1, "supports"), judgement(3, "unclear")],  # pair 2 skipped
        [judgement(1, "supports"), judgement(1, "unclear"), judgement(3, "unclear")],  # 1 twice
        [judgement(n, "supports") for n in (1, 2, 3, 3)],  # 3 twice
        [judgement(n, "supports") for n in (1, 2, 3, 4)],  # a pair that was not asked
    ],
)
def test_llm_judge_rejects_an_answer_that_is_not_one_per_pair(
    fake: FakeLlm, llm_judge: LlmStanceJudge, answers: list[dict[str, object]]
) -> None:
    fake.answer(valid({"judgements": answers}), valid({"judgements": answers}))
    with pytest.raises(LlmError, match="judge each of pairs 1–3 exactly once"):
        llm_judge.judge(PAIRS)
    assert len(fake.requests) == 2  # asked once more with the reason, then gave up


def test_llm_judge_asks_again_when_a_pair_is_skipped(
    fake: FakeLlm, llm_judge: LlmStanceJudge
) -> None:
    skipped = [judgement(1, "supports"), judgement(3, "unclear")]
    whole = [judgement(1, "supports"), judgement(2, "contradicts"), judgement(3, "unclear")]
    fake.answer(valid({"judgements": skipped}), valid({"judgements": whole}))
    verdicts = llm_judge.judge(PAIRS)
    assert [v.stance for v in verdicts] == ["supports", "contradicts", "unclear"]
    assert len(fake.requests) == 2


def test_llm_judge_retries_an_answer_that_fails_the_schema(
    fake: FakeLlm, llm_judge: LlmStanceJudge
) -> None:
    bad = {"judgements": [judgement(1, "agrees")]}
    fake.answer(valid(bad), valid(bad))
    with pytest.raises(LlmError, match="does not match the schema"):
        llm_judge.judge(PAIRS[:1])
    assert len(fake.requests) == 2  # asked once more with the reason, then gave up


def test_verify_with_the_llm_judge(
    fake: FakeLlm, llm_judge: LlmStanceJudge, encoder: Encoder | None
) -> None:
    fake.answer(valid({"judgements": [judgement(1, "supports", "states the same speed-up")]}))
    result = run([claim(CLAIM)], [PRIMARY, EVIDENCE, BREAD], encoder, llm_judge)
    check = result.checks[0]
    assert check.state == "supported"
    assert check.evidence is not None
    assert (check.evidence.judge, check.evidence.reason) == ("llm", "states the same speed-up")
    assert check.evidence.contradiction is None
    assert result.stance_method.startswith("LLM: ")
    assert result.failures == ()
    assert len(fake.requests) == 1


def test_verify_falls_back_when_the_llm_answer_is_unusable(
    fake: FakeLlm, llm_judge: LlmStanceJudge, encoder: Encoder | None
) -> None:
    wrong = {"judgements": [judgement(2, "contradicts")]}
    fake.answer(valid(wrong), valid(wrong))
    result = run([claim(CLAIM)], [PRIMARY, EVIDENCE], encoder, llm_judge)
    check = result.checks[0]
    assert check.evidence is not None and check.evidence.judge == "rules"
    assert check.state == "supported"
    [failure] = result.failures
    assert failure.startswith("stance judge llm failed")
    assert "judge each of pairs 1–1 exactly once" in failure


def test_terms_split_compounds_and_drop_function_words() -> None:
    found = terms("Does SMoES-based hard-routing, e.g. DeepSeek-V3 with 671B at 0.84, compare?")
    assert {"rout", "hard", "smoe", "deepseek", "v3", "671b", "0.84"} <= found
    assert not found & {"doe", "does", "e", "g", "e.g", "hard-rout"}

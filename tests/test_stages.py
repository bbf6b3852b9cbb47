"""Unit tests of the pipeline stage functions, on small real data (the bundled corpus)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence

import pytest

from generator.drafting.corpus import load_corpus
from generator.drafting.embedders import make_embedder
from generator.drafting.models import (
    Answer,
    AnswerVerdict,
    Claim,
    ClaimCheck,
    ClaimState,
    Coverage,
    Decision,
    Evidence,
    Extraction,
    Paper,
    Plan,
    Question,
    RankedPaper,
    RoleReview,
    SearchResult,
    Selection,
    Signal,
    Statement,
    TribunalResult,
    Verification,
)
from generator.drafting.sources.local import LocalSource
from generator.drafting.stages.decide import decide
from generator.drafting.stages.extract import CLAIM_AT, SentenceRole, classify, extract, method
from generator.drafting.stages.plan import keyphrases, plan, revision_plan
from generator.drafting.stages.review import measure, review
from generator.drafting.stages.search import search
from generator.drafting.stages.select import SelectError, named_terms, select
from generator.drafting.stages.verify import paper_sentences, verify
from generator.drafting.textutil import split_sentences
from generator.drafting.tribunal import Brief, Votes
from generator.drafting.tribunal.rules import WEIGHTS, RulesTribunal
from generator.drafting.verifier import make_encoder
from generator.drafting.verifier.coverage import TermWeights
from generator.drafting.verifier.relevance import Relevance, load_relevance
from generator.drafting.verifier.scoring import Encoder
from generator.drafting.verifier.stance import StanceVerdict
from generator.inputs.settings import (
    ExtractSettings,
    PlanSettings,
    PolicySettings,
    ReviewSettings,
    SelectSettings,
    VerifySettings,
)

ANYEXPERTS = "2511.18314"
SMOE_DROPOUT = "2303.01610"
ANYEXPERTS_QUESTION = (
    "To what extent does AnyExperts' dynamic expert allocation mitigate compute waste in "
    "multimodal MoE models compared with fixed top-k routing?"
)
COOKING = (
    "Slow-roasting tomatoes with garlic and fresh basil makes a rich pasta sauce "
    "for family dinners."
)


@pytest.fixture(scope="module")
def corpus() -> tuple[Paper, ...]:
    return load_corpus()


@pytest.fixture(scope="module")
def by_id(corpus: tuple[Paper, ...]) -> dict[str, Paper]:
    return {p.id: p for p in corpus}


def paper(pid: str, abstract: str, title: str = "A paper about experts") -> Paper:
    return Paper(id=pid, title=title, abstract=abstract)


def claim(text: str, index: int = 0, kind: str = "finding") -> Claim:
    return Claim(text=text, sentence_index=index, kind=kind)  # type: ignore[arg-type]


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9](?:[a-z0-9\-']*[a-z0-9])?", text.lower()))


# --- plan -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4, 6])
def test_plan_gives_exactly_the_configured_number_of_distinct_queries(n: int) -> None:
    result = plan(Question(slug="q", question=ANYEXPERTS_QUESTION), PlanSettings(queries=n))
    assert result.origin == "keyphrases"
    assert len(result.queries) == n
    assert len({q.lower() for q in result.queries}) == n


def test_plan_queries_use_only_words_of_the_question() -> None:
    result = plan(Question(slug="q", question=ANYEXPERTS_QUESTION), PlanSettings(queries=4))
    vocabulary = words(ANYEXPERTS_QUESTION)
    for query in result.queries:
        assert words(query) <= vocabulary, query
        assert not words(query) & {"to", "what", "extent", "does", "in", "with", "compared"}, query


def test_plan_first_query_is_the_question_keywords_in_order() -> None:
    result = plan(Question(slug="q", question=ANYEXPERTS_QUESTION), PlanSettings(queries=4))
    assert result.queries[0] == (
        "AnyExperts dynamic expert allocation mitigate compute waste multimodal MoE models "
        "fixed top-k routing"
    )


def test_plan_is_deterministic() -> None:
    question = Question(slug="q", question=ANYEXPERTS_QUESTION)
    assert plan(question, PlanSettings()) == plan(question, PlanSettings())


def test_plan_of_a_one_keyword_question_gives_one_query() -> None:
    result = plan(Question(slug="q", question="What is MoE?"), PlanSettings(queries=4))
    assert result.queries == ("MoE",)


def test_pinned_queries_are_used_verbatim() -> None:
    pinned = ("Expert  LOAD balancing", "auxiliary-loss-free routing", "z-loss")
    question = Question(slug="q", question=ANYEXPERTS_QUESTION, queries=pinned)
    for n in (1, 4, 12):
        result = plan(question, PlanSettings(queries=n))
        assert result == Plan(queries=pinned, origin="question-file")


def test_keyphrases_break_at_stop_words_and_punctuation() -> None:
    assert keyphrases("How does expert load balancing affect MoE training stability?") == [
        "expert load balancing",
        "MoE training stability",
    ]


def test_revision_plan_adds_claim_derived_queries() -> None:
    first = plan(Question(slug="q", question=ANYEXPERTS_QUESTION), PlanSettings(queries=4))
    claims = [
        "AnyExperts achieves comparable accuracy with 40% fewer real expert activations.",
        "The virtual share is capped at a small maximum.",
    ]
    broader = revision_plan(first, claims, PlanSettings(queries=4))
    assert broader.origin == first.origin
    assert broader.queries[:4] == first.queries
    added = broader.queries[4:]
    assert len(added) == 2
    assert "fewer real expert" in added[0]
    assert "virtual share" in added[1]
    for query, text in zip(added, claims, strict=True):
        assert words(query) <= words(text)


def test_revision_plan_skips_duplicates_and_caps_the_total() -> None:
    first = Plan(queries=("expert load balancing",), origin="keyphrases")
    claims = ["Expert load balancing", "expert load balancing."] + [
        f"Routing variant number{i} reduces token dropping." for i in range(10)
    ]
    broader = revision_plan(first, claims, PlanSettings(queries=2))
    assert len(broader.queries) == 4  # at most twice the configured number
    assert len({q.lower() for q in broader.queries}) == 4
    assert broader.queries[0] == "expert load balancing"


def test_revision_plan_without_claims_keeps_the_plan() -> None:
    first = Plan(queries=("a b", "c d"), origin="question-file")
    assert revision_plan(first, [], PlanSettings()) == first


# --- extract --------------------------------------------------------------------------------


BACKGROUND_FIRST = "Mixture-of-Experts models have shown promise for scaling language models."
PROPOSAL = "We propose FlexRoute, a router that assigns experts by token difficulty."
RESULT = "FlexRoute achieves 30% lower latency than top-2 routing on eight GPUs."


def role_in_context(sentence: str, at: int) -> SentenceRole:
    """The role of `sentence` placed at `at` in a short abstract of typical sentences."""
    sentences = [BACKGROUND_FIRST, PROPOSAL, RESULT, RESULT]
    sentences[at] = sentence
    return classify(sentences)[at]


@pytest.mark.parametrize(
    "sentence",
    [
        "Sparsely-activated Mixture-of-Experts have shown promise in scaling language models, "
        "yet they are prone to representation collapse.",
        "Sparsely-activated Mixture-of-Experts (SMoEs) have shown promise to mitigate the issue "
        "of training efficiency, yet they are prone to redundant experts.",
        "However, existing approaches rely on rigid routing strategies.",
        "Expert routing remains poorly understood in large models.",
        "The sky over the data centre was grey that morning.",
    ],
)
def test_background_sentences_are_not_claims(sentence: str) -> None:
    for at in (0, 1):
        if at == 1 and sentence.startswith("The sky"):
            continue  # a cue-less sentence mid-abstract reads as describing the method
        role = role_in_context(sentence, at)
        assert role.kind is None, at
        assert role.probability < CLAIM_AT


@pytest.mark.parametrize(
    "sentence",
    [
        "We propose SMoE-Dropout, a plug-and-play training framework for transformers.",
        "In this paper we introduce routing signatures for sparse transformers.",
        "This paper presents a budget-aware dynamic routing framework.",
    ],
)
def test_proposals_are_contributions(sentence: str) -> None:
    role = role_in_context(sentence, 1)
    assert role.kind == "contribution"
    assert role.probability >= CLAIM_AT
    assert role.cues


@pytest.mark.parametrize(
    "sentence",
    [
        "Our model achieves 80% memory saving compared with dense baselines.",
        "We show that routing collapses without the auxiliary loss.",
        "Experiments demonstrate a 2.3x speedup on eight GPUs.",
    ],
)
def test_results_are_findings(sentence: str) -> None:
    assert role_in_context(sentence, 3).kind == "finding"


@pytest.mark.parametrize(
    "sentence",
    [
        "Can we propose a routing method that achieves 80% memory saving?",
        "Does our novel model outperform dense baselines by 10%?",
        "Our code is publicly available at https://github.com/example/moe.",
        "We release our novel framework on GitHub for everyone to use.",
        "Code and models are available for the novel 80% faster approach.",
    ],
)
def test_questions_and_code_links_are_never_claims(sentence: str) -> None:
    for at in range(4):
        assert role_in_context(sentence, at).kind is None


def test_very_short_sentences_are_never_claims() -> None:
    assert role_in_context("We propose MoE.", 1).kind is None


def test_sentence_roles_use_the_fitted_model() -> None:
    """The same sentence reads differently by its place: a proposal opening an abstract is
    less likely a claim than the same proposal after the motivation."""
    first = classify([PROPOSAL, BACKGROUND_FIRST, RESULT])[0]
    second = classify([BACKGROUND_FIRST, PROPOSAL, RESULT])[1]
    assert first.probability < second.probability
    assert "fitted on" in method()


ABSTRACT = (
    "Mixture-of-Experts models have shown promise for scaling. "  # 0 background
    "However, existing routers are prone to collapse. "  # 1 background
    "We propose FlexRoute, a router that assigns experts by token difficulty. "  # 2 contribution
    "Is a fixed top-k really necessary? "  # 3 question
    "Moreover, FlexRoute achieves 30% lower latency than top-2 routing. "  # 4 finding
    "The router is a small linear layer. "  # 5 describes the method: a contribution
    "Code is available at https://github.com/example/flexroute."  # 6 code link
)


def test_extract_takes_findings_and_contributions_in_order() -> None:
    result = extract(paper("0000.00001", ABSTRACT), ExtractSettings())
    assert [(c.sentence_index, c.kind) for c in result.claims] == [
        (2, "contribution"),
        (4, "finding"),
        (5, "contribution"),
    ]
    assert (
        result.claims[0].text
        == "We propose FlexRoute, a router that assigns experts by token difficulty."
    )
    assert (
        result.claims[1].text == "FlexRoute achieves 30% lower latency than top-2 routing."
    )  # "Moreover, " is dropped
    assert result.sentences == 7
    assert result.background_skipped == 4
    assert result.method


def test_extract_respects_max_claims_keeping_the_strongest_in_order() -> None:
    abstract = (
        "Results show a 5% gain on one benchmark. "  # 0: weaker finding
        "We propose a novel router that achieves a 40% speedup and 2x lower memory. "  # 1: best
        "Our experiments demonstrate significant improvements of 3% on all eight tasks."  # 2
    )
    one = extract(paper("0000.00002", abstract), ExtractSettings(max_claims=1))
    assert [c.sentence_index for c in one.claims] == [1]
    two = extract(paper("0000.00002", abstract), ExtractSettings(max_claims=2))
    assert [c.sentence_index for c in two.claims] == [1, 2]
    three = extract(paper("0000.00002", abstract), ExtractSettings(max_claims=3))
    assert [c.sentence_index for c in three.claims] == [0, 1, 2]


def test_extract_on_real_abstracts(by_id: dict[str, Paper]) -> None:
    anyexperts = extract(by_id[ANYEXPERTS], ExtractSettings())
    indices = [c.sentence_index for c in anyexperts.claims]
    assert indices == sorted(indices)
    assert 0 not in indices and 1 not in indices and 2 not in indices  # motivation sentences
    assert anyexperts.claims[0].kind == "contribution"
    assert "we propose AnyExperts" in anyexperts.claims[0].text
    smoe = extract(by_id[SMOE_DROPOUT], ExtractSettings())
    assert not any("have shown promise" in c.text for c in smoe.claims)
    assert any(c.kind == "contribution" and "SMoE-Dropout" in c.text for c in smoe.claims)


def test_extract_of_an_empty_abstract() -> None:
    result = extract(paper("0000.00003", ""), ExtractSettings())
    assert result.claims == ()
    assert result.sentences == 0
    assert result.background_skipped == 0


# --- verify ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def retrieved(by_id: dict[str, Paper], corpus: tuple[Paper, ...]) -> list[Paper]:
    """The AnyExperts paper and a handful of other corpus papers."""
    others = [p for p in corpus if p.id != ANYEXPERTS][:8]
    return [by_id[ANYEXPERTS], *others]


@pytest.fixture(scope="module")
def encoder() -> Encoder | None:
    """The semantic model of the default verify backend (local MiniLM)."""
    return make_encoder(VerifySettings().backend, None)


@pytest.fixture(scope="module")
def relevance(encoder: Encoder | None, corpus: tuple[Paper, ...]) -> Relevance:
    """The shipped relevance model of the default verify backend over the bundled corpus."""
    return Relevance(
        load_relevance(VerifySettings().backend), encoder, TermWeights(p.text for p in corpus)
    )


class ContradictingJudge:
    """A stance judge that reads every evidence sentence as contradicting its claim."""

    name = "llm"

    def describe(self) -> str:
        return "llm: reads every sentence as contradicting"

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[StanceVerdict]:
        return [StanceVerdict("contradicts", None, self.name, "says the opposite") for _ in pairs]


def test_claim_copied_from_another_paper_is_supported_by_that_paper(
    retrieved: list[Paper], encoder: Encoder | None
) -> None:
    primary, source = retrieved[0], retrieved[3]
    copied = split_sentences(source.abstract)[2]
    result = verify([claim(copied)], retrieved, primary, VerifySettings(), encoder)
    check = result.checks[0]
    assert check.state == "supported"
    assert check.verified
    assert check.evidence is not None
    assert check.evidence.paper_id == source.id
    assert check.evidence.paper_title == source.title
    assert check.evidence.sentence == copied
    assert check.evidence.score == pytest.approx(1.0, abs=1e-3)
    assert (check.evidence.judge, check.evidence.stance) == ("rules", "supports")
    assert check.confidence > 0.5  # calibrated: the strongest evidence is the likeliest real
    assert check.tfidf == pytest.approx(1.0, abs=1e-3)  # the seeds' measure, kept beside it


def test_unrelated_claim_has_no_evidence(retrieved: list[Paper], encoder: Encoder | None) -> None:
    result = verify([claim(COOKING)], retrieved, retrieved[0], VerifySettings(), encoder)
    check = result.checks[0]
    assert check.state == "no_evidence"
    assert not check.verified
    assert check.tfidf < 0.15
    assert check.evidence is None or check.evidence.judge == ""  # too weak to judge stance


def test_a_contradicting_judge_makes_strong_evidence_contradicted(
    retrieved: list[Paper], encoder: Encoder | None
) -> None:
    primary, source = retrieved[0], retrieved[3]
    copied = split_sentences(source.abstract)[2]
    claims = [claim(copied), claim(COOKING, 1)]
    result = verify(
        claims, retrieved, primary, VerifySettings(), encoder, judge=ContradictingJudge()
    )
    strong, weak = result.checks
    assert strong.state == "contradicted" and not strong.verified
    assert strong.evidence is not None
    assert (strong.evidence.stance, strong.evidence.judge) == ("contradicts", "llm")
    assert strong.evidence.reason == "says the opposite"
    assert weak.state == "no_evidence"  # weak evidence is never sent to the judge
    assert result.count("contradicted") == 1 and result.verified_count == 0


def test_primary_paper_is_never_its_own_evidence(
    retrieved: list[Paper], encoder: Encoder | None
) -> None:
    primary = retrieved[0]
    own = [claim(s, i) for i, s in enumerate(split_sentences(primary.abstract))]
    result = verify(own, retrieved, primary, VerifySettings(), encoder)
    assert len(result.checks) == len(own)
    assert all(c.evidence is None or c.evidence.paper_id != primary.id for c in result.checks)
    # a verbatim self-match would be strength 1.0
    assert all(c.evidence is None or c.evidence.score < 0.99 for c in result.checks)
    assert result.papers_compared == len(retrieved) - 1
    pool = [s for p in retrieved[1:] for s in paper_sentences(p)]
    assert pool
    assert result.sentences_compared == len(pool)


def test_paper_sentences_skip_titles_and_fragments() -> None:
    other = paper(
        "2", "Short one. This sentence is long enough to count.", title="Routing in sparse experts"
    )
    assert paper_sentences(other) == ["This sentence is long enough to count."]


def test_seeds_threshold_is_shown_not_used(retrieved: list[Paper], encoder: Encoder | None) -> None:
    claims = extract(retrieved[0], ExtractSettings()).claims
    low = verify(claims, retrieved, retrieved[0], VerifySettings(threshold=0.05), encoder)
    high = verify(claims, retrieved, retrieved[0], VerifySettings(threshold=0.9), encoder)
    assert (low.threshold, high.threshold) == (0.05, 0.9)
    assert [c.state for c in low.checks] == [c.state for c in high.checks]
    assert [c.tfidf for c in low.checks] == [c.tfidf for c in high.checks]


def test_states_follow_evidence_strength_and_stance(
    retrieved: list[Paper], encoder: Encoder | None
) -> None:
    from generator.drafting.verifier import load_weights

    weights = load_weights().for_backend(VerifySettings().backend)
    claims = extract(retrieved[0], ExtractSettings()).claims
    result = verify(claims, retrieved, retrieved[0], VerifySettings(), encoder)
    assert [c.claim for c in result.checks] == list(claims)
    for check in result.checks:
        assert check.verified == (check.state == "supported")
        evidence = check.evidence
        if evidence is None or evidence.score < weights.thresholds.related:
            assert check.state == "no_evidence"
        elif evidence.score < weights.thresholds.supported:
            assert check.state == "related" and evidence.judge == ""
        else:
            assert evidence.judge == "rules"
            assert check.state != "no_evidence"
        if check.state in ("supported", "contradicted"):
            assert evidence is not None and evidence.score >= weights.thresholds.supported
        if evidence is not None:
            expected = float(weights.calibration(evidence.score))
            assert check.confidence == pytest.approx(expected, abs=1e-3)
    assert result.calibration and result.stance_method


def test_no_pool_means_no_evidence(retrieved: list[Paper], encoder: Encoder | None) -> None:
    primary = retrieved[0]
    claims = [claim(COOKING), claim(split_sentences(primary.abstract)[3], 3)]
    result = verify(claims, [primary], primary, VerifySettings(), encoder)
    assert [(c.state, c.confidence, c.evidence, c.tfidf) for c in result.checks] == [
        ("no_evidence", 0.0, None, 0.0)
    ] * 2
    assert result.papers_compared == 0
    assert result.sentences_compared == 0
    assert result.verified_count == 0
    assert result.count("no_evidence") == 2


def test_no_claims_gives_no_checks(retrieved: list[Paper], encoder: Encoder | None) -> None:
    result = verify([], retrieved, retrieved[0], VerifySettings(ngram_max=1), encoder)
    assert result.checks == ()
    assert result.method and result.calibration


# --- select ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anyexperts_search() -> SearchResult:
    question = Question(slug="q", question=ANYEXPERTS_QUESTION)
    the_plan = plan(question, PlanSettings())
    return asyncio.run(
        search(question, the_plan, [LocalSource()], make_embedder(), per_query=20, keep=12)
    )


def test_named_terms_are_rare_specific_names(corpus: tuple[Paper, ...]) -> None:
    assert named_terms(ANYEXPERTS_QUESTION, corpus, 0.05) == ["AnyExperts"]
    question = "Does FooBarNet beat MoE and GShard-style routing on 7B or 13B models?"
    assert named_terms(question, corpus, 0.05) == ["FooBarNet", "GShard-style"]
    assert "MoE" in named_terms(question, corpus, 1.0)  # common, counted only with max_df = 1
    assert named_terms("how do sparse experts route tokens?", corpus, 1.0) == []


def test_well_matched_pinned_paper_is_not_flagged(
    anyexperts_search: SearchResult,
    by_id: dict[str, Paper],
    corpus: tuple[Paper, ...],
    relevance: Relevance,
) -> None:
    question = Question(slug="q", question=ANYEXPERTS_QUESTION, paper=ANYEXPERTS)
    rank = LocalSource().rank_of(ANYEXPERTS_QUESTION, ANYEXPERTS)
    assert rank is not None and rank[0] <= anyexperts_search.keep
    selection = select(
        question,
        anyexperts_search,
        by_id[ANYEXPERTS],
        corpus,
        rank,
        make_embedder(),
        relevance,
        SelectSettings(),
    )
    assert selection.primary.id == ANYEXPERTS
    assert selection.pinned
    assert not selection.mismatch
    assert selection.mismatch_reasons == ()
    assert selection.named_terms == ("AnyExperts",)
    assert selection.named_terms_found == ("AnyExperts",)
    assert selection.rank_in_retrieved == 1
    assert selection.relevance == max(r.relevance for r in anyexperts_search.papers) > 0
    assert selection.match >= selection.coverage.threshold
    assert selection.coverage.covered
    assert selection.corpus_rank == rank[0]
    assert selection.corpus_size == len(corpus)


def test_pinned_paper_ranked_beyond_keep_is_flagged(
    anyexperts_search: SearchResult,
    by_id: dict[str, Paper],
    corpus: tuple[Paper, ...],
    relevance: Relevance,
) -> None:
    question = Question(slug="q", question=ANYEXPERTS_QUESTION, paper=ANYEXPERTS)
    selection = select(
        question,
        anyexperts_search,
        by_id[ANYEXPERTS],
        corpus,
        (40, len(corpus)),
        make_embedder(),
        relevance,
        SelectSettings(),
    )
    assert selection.mismatch
    assert selection.mismatch_reasons == (
        f"the pinned paper ranks 40 of {len(corpus)} in the corpus for this question; "
        "the search keeps the top 12",
    )


def test_pinned_paper_naming_none_of_the_questions_terms_is_flagged(
    anyexperts_search: SearchResult,
    by_id: dict[str, Paper],
    corpus: tuple[Paper, ...],
    relevance: Relevance,
) -> None:
    question = Question(slug="q", question=ANYEXPERTS_QUESTION, paper=SMOE_DROPOUT)
    selection = select(
        question,
        anyexperts_search,
        by_id[SMOE_DROPOUT],
        corpus,
        (3, len(corpus)),
        make_embedder(),
        relevance,
        SelectSettings(),
    )
    assert selection.mismatch
    assert selection.mismatch_reasons == (
        "the question names AnyExperts; the paper mentions none of them",
    )
    assert selection.named_terms_found == ()
    assert selection.relevance < max(r.relevance for r in anyexperts_search.papers)
    assert selection.match < selection.coverage.probability


def test_worst_ranked_pinned_paper_gets_every_reason(
    anyexperts_search: SearchResult,
    by_id: dict[str, Paper],
    corpus: tuple[Paper, ...],
    relevance: Relevance,
) -> None:
    source = LocalSource()
    ranks = {p.id: source.rank_of(ANYEXPERTS_QUESTION, p.id) for p in corpus}
    worst = max(ranks, key=lambda pid: ranks[pid][0])  # type: ignore[index]
    question = Question(slug="q", question=ANYEXPERTS_QUESTION, paper=worst)
    selection = select(
        question,
        anyexperts_search,
        by_id[worst],
        corpus,
        ranks[worst],
        make_embedder(),
        relevance,
        SelectSettings(),
    )
    assert selection.mismatch
    assert len(selection.mismatch_reasons) == 3
    assert selection.mismatch_reasons[0].startswith(
        "the pinned paper addresses the question with probability 0.0"
    )
    assert selection.mismatch_reasons[1].startswith(
        f"the pinned paper ranks {len(corpus)} of {len(corpus)}"
    )
    assert selection.rank_in_retrieved is None


def test_pinned_paper_not_retrieved_without_corpus_rank(
    anyexperts_search: SearchResult,
    by_id: dict[str, Paper],
    corpus: tuple[Paper, ...],
    relevance: Relevance,
) -> None:
    retrieved = {r.paper.id for r in anyexperts_search.papers}
    outsider = next(p for p in corpus if p.id not in retrieved and "AnyExperts" not in p.text)
    question = Question(slug="q", question=ANYEXPERTS_QUESTION, paper=outsider.id)
    selection = select(
        question,
        anyexperts_search,
        outsider,
        corpus,
        None,
        make_embedder(),
        relevance,
        SelectSettings(),
    )
    assert selection.rank_in_retrieved is None
    assert "the pinned paper is not among the 12 papers retrieved" in selection.mismatch_reasons


def test_unpinned_primary_is_the_most_probable_with_an_abstract(
    anyexperts_search: SearchResult, corpus: tuple[Paper, ...], relevance: Relevance
) -> None:
    question = Question(slug="q", question=ANYEXPERTS_QUESTION)
    selection = select(
        question,
        anyexperts_search,
        None,
        corpus,
        None,
        make_embedder(),
        relevance,
        SelectSettings(),
    )
    kept = [r.paper for r in anyexperts_search.papers]
    probability = [
        m.probability for m in relevance.matches(ANYEXPERTS_QUESTION, [p.text for p in kept])
    ]
    assert selection.primary == kept[probability.index(max(probability))]
    assert selection.match == max(probability) == selection.coverage.probability
    assert selection.coverage.covered
    assert not selection.pinned
    assert selection.corpus_rank is None
    # a paper without an abstract is never the primary, however probable
    blank = kept[probability.index(max(probability))].model_copy(update={"abstract": ""})
    papers = tuple(
        r.model_copy(update={"paper": blank}) if r.paper.id == blank.id else r
        for r in anyexperts_search.papers
    )
    without = select(
        question,
        anyexperts_search.model_copy(update={"papers": papers}),
        None,
        corpus,
        None,
        make_embedder(),
        relevance,
        SelectSettings(),
    )
    assert without.primary.id != blank.id
    assert without.primary.abstract


def test_select_errors(
    anyexperts_search: SearchResult, corpus: tuple[Paper, ...], relevance: Relevance
) -> None:
    pinned_missing = Question(slug="q", question=ANYEXPERTS_QUESTION, paper="9999.99999")
    with pytest.raises(SelectError, match=r"9999\.99999 was not found"):
        select(
            pinned_missing,
            anyexperts_search,
            None,
            corpus,
            None,
            make_embedder(),
            relevance,
            SelectSettings(),
        )
    empty = anyexperts_search.model_copy(update={"papers": ()})
    with pytest.raises(SelectError, match="no paper was retrieved"):
        select(
            Question(slug="q", question=ANYEXPERTS_QUESTION),
            empty,
            None,
            corpus,
            None,
            make_embedder(),
            relevance,
            SelectSettings(),
        )
    blank = tuple(
        r.model_copy(update={"paper": r.paper.model_copy(update={"abstract": " "})})
        for r in anyexperts_search.papers
    )
    with pytest.raises(SelectError, match="has an abstract"):
        select(
            Question(slug="q", question=ANYEXPERTS_QUESTION),
            anyexperts_search.model_copy(update={"papers": blank}),
            None,
            corpus,
            None,
            make_embedder(),
            relevance,
            SelectSettings(),
        )


# --- review and the rules tribunal ----------------------------------------------------------


def selection_of(
    primary: Paper,
    relevance: float = 0.3,
    mismatch: bool = False,
    match: float = 0.5,
    coverage: float | None = None,
) -> Selection:
    probability = match if coverage is None else coverage
    return Selection(
        primary=primary,
        pinned=False,
        match=match,
        coverage=Coverage(
            covered=probability >= 0.5,
            probability=probability,
            best_paper=primary.id,
            papers=12,
            threshold=0.5,
            method="m",
        ),
        relevance=relevance,
        rank_in_retrieved=2,
        mismatch=mismatch,
        mismatch_reasons=("the question names X; the paper mentions none of them",)
        if mismatch
        else (),
    )


def answer_of(strong: int = 0, verdict: AnswerVerdict = "answered") -> Answer:
    """An answer with `strong` statements bearing on the question (and one merely related)."""
    statement = Statement(
        sentence="s", paper_id="A", paper_title="t", stance="answers", strength=0.5
    )
    related = statement.model_copy(update={"stance": "related"})
    return Answer(
        verdict=verdict,
        summary="Answered in part."
        if verdict != "not_covered"
        else "Not covered by the 12 papers searched.",
        statements=(*[statement] * strong, related),
        hypothesis=None,
        papers=12,
        method="m",
    )


def signals_of(
    selection: Selection,
    extraction: Extraction,
    search: SearchResult,
    verification: Verification,
    answer: Answer | None = None,
) -> dict[str, Signal]:
    return measure(selection, extraction, search, verification, answer or answer_of(1))


def search_of(papers: list[Paper], keep: int = 12) -> SearchResult:
    return SearchResult(
        papers=tuple(RankedPaper(paper=p, relevance=0.5) for p in papers),
        queries=("q",),
        per_query=(),
        pool_size=len(papers),
        keep=keep,
        sources=("local",),
        relevance_model="tfidf",
    )


def check(state: ClaimState, confidence: float = 0.0, paper_id: str | None = None) -> ClaimCheck:
    """A claim check in `state`, its evidence (if any) from `paper_id`."""
    judged = state in ("supported", "contradicted")
    evidence = (
        Evidence(
            sentence="s",
            paper_id=paper_id,
            paper_title="t",
            score=0.7,
            stance="contradicts" if state == "contradicted" else "supports",
            judge="rules" if judged else "",
        )
        if paper_id
        else None
    )
    return ClaimCheck(
        claim=claim(f"claim {state} {confidence} {paper_id}"),
        state=state,
        confidence=confidence,
        evidence=evidence,
        tfidf=0.3,
    )


def verification_of(checks: list[ClaimCheck], threshold: float = 0.15) -> Verification:
    return Verification(
        checks=tuple(checks),
        threshold=threshold,
        method="m",
        papers_compared=3,
        sentences_compared=30,
    )


def extraction_of(n: int) -> Extraction:
    return Extraction(
        claims=tuple(claim(f"c{i}", i) for i in range(n)),
        sentences=n,
        background_skipped=0,
        method="m",
    )


PRIMARY = paper("0000.00010", "We propose a router that balances the load of experts.")


def test_measure_signals_from_a_hand_built_verification() -> None:
    verification = verification_of(
        [
            check("supported", 0.9, "A"),
            check("supported", 0.6, "B"),
            check("related", 0.95, "A"),
            check("contradicted", 0.92, "C"),
            check("no_evidence"),
        ]
    )
    signals = signals_of(
        selection_of(PRIMARY, relevance=0.3),
        extraction_of(5),
        search_of([PRIMARY] * 6, keep=12),
        verification,
    )
    values = {name: (s.value, s.normalized) for name, s in signals.items()}
    assert values["supported_fraction"] == (0.4, 0.4)
    assert values["mean_confidence"] == (0.75, 0.75)  # of the two supported claims only
    assert values["strong_support"] == (0.2, 0.2)  # 0.9; the related 0.95 does not count
    assert values["contradicted"] == (0.8, 0.8)  # 1 − 1/5
    assert (
        values["evidence_diversity"][0] == 2
    )  # A and B; related A and contradicting C add nothing
    assert values["evidence_diversity"][1] == pytest.approx(2 / 3)
    assert values["question_match"] == (0.5, 0.5)  # absolute: the calibrated match itself
    assert values["coverage"] == (0.5, 0.5)
    assert values["answer"] == (1, 0.5)  # one strong statement; full marks at two
    assert values["pairing"] == (1.0, 1.0)
    assert values["retrieval_depth"] == (6, 0.5)
    assert values["claim_yield"] == (5, 1.0)  # clipped at full marks
    details = {name: s.detail for name, s in signals.items()}
    assert details["supported_fraction"] == "2 of 5 claims supported by another paper's evidence"
    assert details["mean_confidence"] == (
        "mean calibrated confidence 0.75 over the evidence of 2 supported claims; "
        "full marks at 1.00"
    )
    assert details["strong_support"] == "1 of 5 claims supported with calibrated confidence ≥ 0.80"
    assert details["contradicted"] == (
        "1 of 5 claims contradicted by another paper's evidence; scored 1 − 1/5"
    )
    assert (
        details["evidence_diversity"]
        == "supported claims rest on 2 distinct papers; full marks at 3"
    )
    assert all(s.weight == 0 for s in signals.values())


@pytest.mark.parametrize("state", ["contradicted", "related", "no_evidence"])
def test_only_supported_claims_count_in_the_drafts_favour(state: ClaimState) -> None:
    """Same confidence and evidence paper; only the state differs."""
    args = (selection_of(PRIMARY), extraction_of(2), search_of([PRIMARY] * 12))
    both = signals_of(*args, verification_of([check("supported", 0.95, "A")] * 2))
    one = signals_of(
        *args, verification_of([check("supported", 0.95, "A"), check(state, 0.95, "B")])
    )
    none = signals_of(*args, verification_of([check(state, 0.95, "B")] * 2))
    for name in ("supported_fraction", "strong_support"):
        assert (both[name].value, one[name].value, none[name].value) == (1.0, 0.5, 0.0), name
    assert [s["mean_confidence"].value for s in (both, one, none)] == [0.95, 0.95, 0.0]
    assert [s["evidence_diversity"].value for s in (both, one, none)] == [1, 1, 0]
    contradicted = [s["contradicted"].normalized for s in (both, one, none)]
    assert contradicted == ([1.0, 0.5, 0.0] if state == "contradicted" else [1.0, 1.0, 1.0])
    scores = [{r.role: r.score for r in RulesTribunal().score(s)} for s in (both, one, none)]
    for role in ("SKEPTIC", "VALIDATOR"):
        assert scores[0][role] > scores[1][role] > scores[2][role], role


def test_a_contradicted_claim_costs_the_skeptic_more_than_an_unsupported_one() -> None:
    args = (selection_of(PRIMARY), extraction_of(2), search_of([PRIMARY] * 12))
    related = signals_of(
        *args, verification_of([check("supported", 0.9, "A"), check("related", 0.9, "B")])
    )
    contradicted = signals_of(
        *args, verification_of([check("supported", 0.9, "A"), check("contradicted", 0.9, "B")])
    )
    skeptic = {
        name: next(r.score for r in RulesTribunal().score(s) if r.role == "SKEPTIC")
        for name, s in (("related", related), ("contradicted", contradicted))
    }
    assert skeptic["contradicted"] == pytest.approx(skeptic["related"] - 10 * 0.2 * 0.5)


def test_measure_flags_mismatch_and_handles_empty_input() -> None:
    signals = signals_of(
        selection_of(PRIMARY, relevance=0.0, mismatch=True, match=0.0),
        extraction_of(0),
        search_of([], keep=12),
        verification_of([]),
        answer_of(0, "not_covered"),
    )
    assert {name: s.normalized for name, s in signals.items()} == dict.fromkeys(signals, 0.0)
    assert signals["pairing"].detail == "question–paper mismatch flagged"


def test_measure_clips_normalised_values() -> None:
    verification = verification_of([check("supported", 1.0, paper) for paper in "ABCD"])
    signals = signals_of(
        selection_of(PRIMARY, relevance=0.6, match=1.0),
        extraction_of(9),
        search_of([PRIMARY] * 12, keep=12),
        verification,
        answer_of(3),
    )
    assert {name: s.normalized for name, s in signals.items()} == dict.fromkeys(signals, 1.0)
    assert signals["evidence_diversity"].value == 4


def test_each_role_weights_sum_to_one_over_measured_signals() -> None:
    measured = set(
        signals_of(
            selection_of(PRIMARY),
            extraction_of(1),
            search_of([PRIMARY]),
            verification_of([check("supported", 0.9, "A")]),
        )
    )
    assert set(WEIGHTS) == {"SKEPTIC", "VALIDATOR", "SYNTHESIZER"}
    for role, (focus, weights) in WEIGHTS.items():
        assert sum(weights.values()) == pytest.approx(1.0), role
        assert set(weights) <= measured, role
        assert all(w > 0 for w in weights.values()), role
        assert focus


def uniform_signals(value: float) -> dict[str, Signal]:
    names = {name for _, weights in WEIGHTS.values() for name in weights}
    return {n: Signal(name=n, value=value, normalized=value, weight=0, detail=n) for n in names}


@pytest.mark.parametrize("value, expected", [(0.0, 0.0), (0.5, 5.0), (1.0, 10.0)])
def test_rules_tribunal_scores_are_ten_times_the_weighted_sum(
    value: float, expected: float
) -> None:
    reviews = RulesTribunal().score(uniform_signals(value))
    assert [r.role for r in reviews] == ["SKEPTIC", "VALIDATOR", "SYNTHESIZER"]
    assert [r.score for r in reviews] == [expected] * 3
    for r in reviews:
        assert [s.weight for s in r.signals] == list(WEIGHTS[r.role][1].values())


def test_rules_tribunal_weighs_one_signal_by_its_weight() -> None:
    signals = uniform_signals(0.0)
    signals["supported_fraction"] = signals["supported_fraction"].model_copy(
        update={"normalized": 1.0}
    )
    scores = {r.role: r.score for r in RulesTribunal().score(signals)}
    assert scores == {"SKEPTIC": 2.5, "VALIDATOR": 4.5, "SYNTHESIZER": 0.0}
    skeptic = next(r for r in RulesTribunal().score(signals) if r.role == "SKEPTIC")
    assert "Strongest: supported fraction" in skeptic.rationale


BRIEF = Brief(question="q", paper_title="t", checks=())


class FixedTribunal:
    """A stand-in tribunal whose three roles give fixed scores."""

    name = "fixed"

    def __init__(self, *scores: float):
        self.scores = scores

    def describe(self) -> str:
        return "fixed scores"

    def review(self, signals: dict[str, Signal], brief: Brief) -> Votes:
        roles = ("SKEPTIC", "VALIDATOR", "SYNTHESIZER")
        return Votes(
            roles=tuple(
                RoleReview(role=role, score=score, signals=(), rationale="-")  # type: ignore[arg-type]
                for role, score in zip(roles, self.scores, strict=True)
            )
        )


@pytest.mark.parametrize(
    "scores, verdict",
    [
        ((6.5, 6.5, 6.5), "APPROVE"),  # exactly approve_at
        ((10.0, 10.0, 10.0), "APPROVE"),
        ((6.4, 6.4, 6.4), "REVISE"),  # just below approve_at
        ((4.0, 4.0, 4.0), "REVISE"),  # exactly reject_below is not a rejection
        ((3.9, 3.9, 3.9), "REJECT"),
        ((0.0, 0.0, 0.0), "REJECT"),
        ((9.0, 6.0, 4.5), "APPROVE"),  # mean 6.5
        ((2.0, 4.0, 6.0), "REVISE"),  # mean 4.0
    ],
)
def test_verdict_thresholds(scores: tuple[float, ...], verdict: str) -> None:
    result = review(1, {}, FixedTribunal(*scores), ReviewSettings(), BRIEF)
    assert result.verdict == verdict
    assert result.score == round(sum(scores) / 3, 1)
    assert result.round == 1
    assert (result.approve_at, result.reject_below) == (6.5, 4.0)
    assert result.backend == "fixed scores"


def test_verdict_thresholds_follow_the_settings() -> None:
    strict = ReviewSettings(approve_at=8.0, reject_below=7.0)
    assert review(0, {}, FixedTribunal(7.5, 7.5, 7.5), strict, BRIEF).verdict == "REVISE"
    assert review(0, {}, FixedTribunal(6.9, 6.9, 6.9), strict, BRIEF).verdict == "REJECT"
    assert review(0, {}, FixedTribunal(8.0, 8.0, 8.0), strict, BRIEF).verdict == "APPROVE"


def test_review_with_the_rules_tribunal_end_to_end() -> None:
    signals = signals_of(
        selection_of(PRIMARY, relevance=0.6, match=1.0),
        extraction_of(3),
        search_of([PRIMARY] * 12),
        verification_of([check("supported", 1.0, paper) for paper in "ABC"]),
        answer_of(2),
    )
    result = review(0, signals, RulesTribunal(), ReviewSettings(), BRIEF)
    assert result.score == 10.0
    assert result.verdict == "APPROVE"


# --- decide ---------------------------------------------------------------------------------


def tribunal_of(verdict: str, score: float, round_index: int = 0) -> TribunalResult:
    return TribunalResult(
        round=round_index,
        roles=(),
        score=score,
        verdict=verdict,  # type: ignore[arg-type]
        backend="rules",
        approve_at=6.5,
        reject_below=4.0,
    )


SUPPORTED_2_OF_3 = verification_of(
    [check("supported", 0.9, "A"), check("supported", 0.85, "B"), check("related", 0.6, "A")]
)


def decide_of(
    tribunal: TribunalResult,
    selection: Selection,
    verification: Verification,
    settings: PolicySettings,
    extraction: Extraction | None = None,
    answer: Answer | None = None,
    failures: list[str] | None = None,
) -> Decision:
    return decide(
        tribunal,
        selection,
        extraction or extraction_of(len(verification.checks)),
        verification,
        answer or answer_of(1),
        settings,
        failures,
    )


def test_approve_is_auto_approved() -> None:
    decision = decide_of(
        tribunal_of("APPROVE", 7.5), selection_of(PRIMARY), SUPPORTED_2_OF_3, PolicySettings()
    )
    assert decision.policy == "AUTO_APPROVE"
    assert decision.reason == "tribunal APPROVE 7.5/10: 2 of 3 claims supported"
    assert decision.gates == ()


@pytest.mark.parametrize("verdict, score", [("REVISE", 4.3), ("REJECT", 2.1)])
def test_revise_and_reject_escalate(verdict: str, score: float) -> None:
    for escalate_on_mismatch in (True, False):
        decision = decide_of(
            tribunal_of(verdict, score),
            selection_of(PRIMARY),
            SUPPORTED_2_OF_3,
            PolicySettings(escalate_on_mismatch=escalate_on_mismatch),
        )
        assert decision.policy == "ESCALATE_TO_OWNER"
        assert decision.reason == f"tribunal {verdict} {score}/10: 2 of 3 claims supported"


def test_escalation_after_a_revision_round_says_so() -> None:
    decision = decide_of(
        tribunal_of("REVISE", 4.3, round_index=1),
        selection_of(PRIMARY),
        SUPPORTED_2_OF_3,
        PolicySettings(),
    )
    assert (
        decision.reason == "tribunal REVISE 4.3/10 after revision round 1: 2 of 3 claims supported"
    )


def test_reason_names_contradicted_claims_and_never_counts_them_supported() -> None:
    verification = verification_of(
        [check("supported", 0.9, "A"), check("contradicted", 0.95, "B"), check("no_evidence")]
    )
    decision = decide_of(
        tribunal_of("REVISE", 5.0), selection_of(PRIMARY), verification, PolicySettings()
    )
    assert decision.reason == "tribunal REVISE 5.0/10: 1 of 3 claims supported, 1 contradicted"


def test_approve_with_mismatch_escalates_when_policy_says_so() -> None:
    decision = decide_of(
        tribunal_of("APPROVE", 7.0),
        selection_of(PRIMARY, mismatch=True),
        SUPPORTED_2_OF_3,
        PolicySettings(escalate_on_mismatch=True),
    )
    assert decision.policy == "ESCALATE_TO_OWNER"
    assert decision.reason == (
        "gate “primary mismatch”: the question names X; the paper mentions none of them; "
        "tribunal APPROVE 7.0/10, 2 of 3 claims supported"
    )
    assert [g.name for g in decision.gates] == ["primary mismatch"]


def test_approve_with_mismatch_is_auto_approved_when_policy_allows() -> None:
    decision = decide_of(
        tribunal_of("APPROVE", 7.0),
        selection_of(PRIMARY, mismatch=True),
        SUPPORTED_2_OF_3,
        PolicySettings(escalate_on_mismatch=False),
    )
    assert decision.policy == "AUTO_APPROVE"


NO_ABSTRACT = paper("0000.00011", "")


@pytest.mark.parametrize(
    "gate, changes",
    [
        ("not covered", {"selection": selection_of(PRIMARY, match=0.1, coverage=0.2)}),
        ("no abstract", {"selection": selection_of(NO_ABSTRACT, match=0.9)}),
        (
            "claims not in the paper",
            {
                "extraction": extraction_of(3).model_copy(
                    update={"dropped": ("The paper proves the Riemann hypothesis.",)}
                )
            },
        ),
        (
            "no supported claim",
            {"verification": verification_of([check("related", 0.6, "A"), check("no_evidence")])},
        ),
        ("partial data", {"failures": ["arxiv failed for query “q”: HTTP 503"]}),
    ],
)
def test_no_score_overrides_a_gate(gate: str, changes: dict) -> None:
    """A perfect tribunal score still escalates, and the reason names the gate."""
    args = {
        "selection": selection_of(PRIMARY, match=0.9),
        "verification": SUPPORTED_2_OF_3,
        "extraction": None,
        "failures": None,
        **changes,
    }
    decision = decide_of(
        tribunal_of("APPROVE", 10.0),
        args["selection"],
        args["verification"],
        PolicySettings(escalate_on_mismatch=False),
        extraction=args["extraction"],
        failures=args["failures"],
    )
    assert decision.policy == "ESCALATE_TO_OWNER"
    assert [g.name for g in decision.gates] == [gate]
    assert decision.reason.startswith(f"gate “{gate}”: ")
    assert "tribunal APPROVE 10.0/10" in decision.reason


def test_several_gates_are_all_recorded_and_the_first_named() -> None:
    decision = decide_of(
        tribunal_of("APPROVE", 9.0),
        selection_of(PRIMARY, match=0.1, coverage=0.1, mismatch=True),
        verification_of([check("no_evidence")]),
        PolicySettings(),
    )
    assert [g.name for g in decision.gates] == [
        "not covered",
        "primary mismatch",
        "no supported claim",
    ]
    assert decision.reason.startswith("gate “not covered”: ")
    assert "; also “primary mismatch”, “no supported claim”; tribunal APPROVE 9.0/10" in (
        decision.reason
    )


# --- search: concurrency and failures ---------------------------------------------------------


class _SlowSource:
    """A source that takes a fixed time per query; one query fails."""

    name = "slow"

    def __init__(self, papers, delay: float):
        self.papers, self.delay = papers, delay

    def fingerprint(self) -> str:
        return "slow"

    async def search(self, query: str, limit: int):
        await asyncio.sleep(self.delay)
        if "fail" in query:
            raise RuntimeError("HTTP 503 from slow source")
        return list(self.papers[:limit])

    async def fetch(self, paper_id: str):
        return None


def test_search_runs_queries_concurrently_and_records_failures() -> None:
    papers = list(load_corpus()[:5])
    source = _SlowSource(papers + papers[:2], delay=0.3)  # duplicates must merge
    plan = Plan(queries=("a", "b", "c", "fail here"), origin="keyphrases")
    question = Question(slug="q", question="How do experts route tokens?")
    started = time.perf_counter()
    result = asyncio.run(search(question, plan, [source], make_embedder(), per_query=10, keep=3))
    elapsed = time.perf_counter() - started
    assert elapsed < 0.9, f"4 queries of 0.3 s took {elapsed:.2f} s: not concurrent"
    assert result.pool_size == 5 and len(result.papers) == 3
    failed = [h for h in result.per_query if h.error]
    assert len(failed) == 1 and failed[0].query == "fail here" and "503" in failed[0].error
    assert [r.relevance for r in result.papers] == sorted(
        (r.relevance for r in result.papers), reverse=True
    )

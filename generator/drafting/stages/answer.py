"""answer: a direct answer to the question, quoted from the papers searched.

Offline the answer is extractive. A yes/no question is turned into the claim it asks about
(its hypothesis); every sentence of the papers that address the question (relevance model) is
scored against it with the verifier's evidence strength, background sentences set aside; the
strongest sentences that bear on it, at most two per paper and five in all, become the
statements. A statement that reports a finding (the extractor's sentence classifier) and
reaches the verifier's "related" strength against the hypothesis is read by the stance judge:
supporting findings alone answer "yes", contradicting ones alone "no", both "mixed". For
an open question ("how", "which") findings that bear on it answer it in part. Statements that
only propose or describe are shown as related. No finding: "not answered"; no paper
addressing the question at all: "not covered".

With a language model the statements may be written in its words, but quote-gated: the model
is offered the sentences that bear most on the question and must cite one per statement; a
statement the cited sentence does not state (verifier/grounding.py) is dropped and counted.
Stances and the verdict are still read by the verifier, never taken from the model.

BEARS_ON is measured on bench/coverage_questions.yaml (`bench/answer.py`): with the minilm
backend the best sentence of every paper annotated as addressing an on-topic question reaches
strength 0.35, while 97% of off-topic questions find no sentence that strong in the papers
searched (TF-IDF backend: 0.2 reached by 93%, passed by 6% of off-topic questions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.drafting.models import (
    Answer,
    AnswerVerdict,
    Coverage,
    Paper,
    Statement,
    StatementStance,
)
from generator.drafting.stages.extract import NEVER, classify
from generator.drafting.textutil import split_sentences

if TYPE_CHECKING:
    from generator.drafting.llm.client import LlmClient
    from generator.drafting.verifier.coverage import TermWeights
    from generator.drafting.verifier.grounding import Grounder
    from generator.drafting.verifier.relevance import Relevance
    from generator.drafting.verifier.scoring import Encoder
    from generator.drafting.verifier.stance import StanceJudge
    from generator.drafting.verifier.weights import BackendWeights

VERSION = "2"  # 2: verbs agree with their counts
METHOD = (
    "extractive: sentences of the papers that address the question, scored against it by the "
    "verifier's evidence strength; stance judged against the question's claim where strong"
)
MAX_STATEMENTS = 5
PER_PAPER = 2
MIN_WORDS = 6
# Evidence strength at which a sentence bears on the question, per verify backend (measured).
BEARS_ON = {"minilm": 0.35, "tfidf": 0.2}
FINDING_FIRST = 0.05  # ranking bonus for a finding over a sentence that only proposes

_POLAR = re.compile(
    r"^(?:do|does|did|is|are|was|were|can|could|will|would|should|has|have|had|may|might|must)"
    r"\b\s+",
    re.IGNORECASE,
)
_INNER_POLAR = re.compile(
    r",?\s+(and|or|but)\s+(?:do|does|did|is|are|was|were|can|could|will|would|should)\s+",
    re.IGNORECASE,
)


def hypothesis(question: str) -> str | None:
    """The claim a yes/no question asks about ("Do X reach Y?" → "X reach Y"); None for an
    open question ("How …", "Which …", "To what extent …")."""
    text = " ".join(question.split()).rstrip("?").strip()
    if not _POLAR.match(text):
        return None
    claim = _POLAR.sub("", text, count=1)
    claim = _INNER_POLAR.sub(lambda m: f", {m.group(1)} ", claim)
    return claim[:1].upper() + claim[1:]


@dataclass(frozen=True)
class Candidate:
    paper: Paper
    sentence: str
    strength: float
    finding: bool


def candidates(papers: Sequence[Paper]) -> list[tuple[Paper, str, bool]]:
    """Sentences that could state an answer (long enough, no questions or links, not
    background by the extractor's sentence-role model), and whether each reports a finding."""
    found = []
    for paper in papers:
        sentences = split_sentences(paper.abstract)
        for sentence, role in zip(sentences, classify(sentences), strict=True):
            if len(sentence.split()) < MIN_WORDS or NEVER.search(sentence) or not role.kind:
                continue
            found.append((paper, sentence, role.kind == "finding"))
    return found


def _pick(ranked: list[Candidate], floor: float) -> list[Candidate]:
    """The strongest candidates at or above `floor`, at most PER_PAPER per paper, no repeats."""
    chosen: list[Candidate] = []
    per_paper: dict[str, int] = {}
    seen: set[str] = set()
    for c in ranked:
        key = " ".join(c.sentence.lower().split())
        if c.strength < floor or key in seen or per_paper.get(c.paper.id, 0) >= PER_PAPER:
            continue
        chosen.append(c)
        seen.add(key)
        per_paper[c.paper.id] = per_paper.get(c.paper.id, 0) + 1
        if len(chosen) == MAX_STATEMENTS:
            break
    return chosen


def answer(
    question: str,
    papers: Sequence[Paper],
    coverage: Coverage,
    relevance: Relevance,
    weights: BackendWeights,
    encoder: Encoder | None,
    background: TermWeights,
    judge: StanceJudge,
    backend: str = "minilm",
    llm: LlmClient | None = None,
    grounder: Grounder | None = None,
) -> Answer:
    """The answer to `question` from `papers` (the round's retrieved papers): extractive, or
    written by `llm` and quote-gated by `grounder`.

    Long by design: the extractive and the LLM answer share the scoring of every sentence,
    done once."""
    claim = hypothesis(question)
    n = len(papers)
    if not coverage.covered:
        return Answer(
            verdict="not_covered",
            summary=not_covered_line(coverage, n),
            statements=(),
            hypothesis=claim,
            papers=n,
            method=METHOD,
        )
    matches = relevance.matches(question, [p.text for p in papers])
    addressing = [
        p for p, m in zip(papers, matches, strict=True) if m.probability >= coverage.threshold
    ]
    ranked = rank(claim or question, candidates(addressing), weights, encoder, background)
    chosen = _pick(ranked, BEARS_ON[backend])
    written: dict[int, str] = {}
    dropped, method = 0, METHOD
    failures: tuple[str, ...] = ()
    if llm is not None and grounder is not None:
        offered = [c for c in ranked if c.strength >= BEARS_ON[backend]][:OFFERED]
        kept, dropped, failure = _written(question, offered, llm, grounder)
        if failure:
            failures = (failure,)
        elif kept:
            chosen = [c for c, _ in kept]
            written = {id(c): text for c, text in kept}
        method = (
            f"written by {llm.describe()} (prompt {llm.prompt_version('answer')}) from the "
            f"{len(offered)} sentences that bear most on the question, each statement kept only "
            "when the sentence it cites states it (the verifier's strength, rules stance and "
            "numbers); stances read by the verifier"
        )
    statements = _statements(chosen, claim, weights, judge, written)
    verdict = verdict_of(statements, polar=claim is not None)
    return Answer(
        verdict=verdict,
        summary=summary_line(verdict, statements, len(addressing), n),
        statements=tuple(statements),
        hypothesis=claim,
        papers=n,
        method=f"{method} ({judge.name} stance judge)" if claim else method,
        dropped=dropped,
        failures=failures,
    )


OFFERED = 15  # sentences a language model may cite


def rank(
    target: str,
    pool: list[tuple[Paper, str, bool]],
    weights: BackendWeights,
    encoder: Encoder | None,
    background: TermWeights,
) -> list[Candidate]:
    """Candidates by evidence strength against the question (or its hypothesis), findings a
    little ahead of sentences that only propose or describe."""
    from generator.drafting.verifier.scoring import Similarities, similarities

    mix = weights.mix
    matrices = similarities(
        [target], [s for _, s, _ in pool], encoder, background, lexical=mix["lexical"] > 0
    )
    strength = Similarities.of_row(*matrices).mixed(mix)
    return sorted(
        (
            Candidate(p, s, round(float(v), 4), finding)
            for (p, s, finding), v in zip(pool, strength, strict=True)
        ),
        key=lambda c: -(c.strength + FINDING_FIRST * c.finding),
    )


def _statements(
    chosen: Sequence[Candidate],
    claim: str | None,
    weights: BackendWeights,
    judge: StanceJudge,
    written: dict[int, str],
) -> list[Statement]:
    """The chosen sentences as statements with their stance. A yes/no reading needs evidence
    the verifier would call related to the hypothesis; a finding that merely bears on the
    topic is shown, not judged."""
    judgeable = weights.thresholds.related
    findings = [c for c in chosen if c.finding and c.strength >= judgeable] if claim else []
    verdicts = judge.judge([(claim, c.sentence) for c in findings]) if claim else []
    judged = {id(c): v for c, v in zip(findings, verdicts, strict=True)}
    statements = []
    for c in chosen:
        stance: StatementStance
        reason = ""
        if not c.finding or (claim is not None and id(c) not in judged):
            stance = "related"
        elif claim is None:
            stance = "answers"
        else:
            read = judged[id(c)]
            stance, reason = read.stance, f"{read.judge}: {read.reason}"
        statements.append(
            Statement(
                sentence=c.sentence,
                paper_id=c.paper.id,
                paper_title=c.paper.title,
                stance=stance,
                strength=c.strength,
                reason=reason,
                text=written.get(id(c)),
            )
        )
    return statements


def _written(
    question: str, offered: list[Candidate], llm: LlmClient, grounder: Grounder
) -> tuple[list[tuple[Candidate, str]], int, str | None]:
    """The model's statements that pass the quote gate (with the sentence each cites), how
    many were dropped, and the failure when the model gave no usable answer."""
    from generator.drafting.llm.schemas import AnswerAnswer
    from generator.machinery.http import ServiceError

    if not offered:
        return [], 0, None
    numbered = [
        {"number": i, "paper": c.paper.title, "sentence": c.sentence}
        for i, c in enumerate(offered, 1)
    ]
    try:
        reply = llm.ask(
            "answer",
            {"question": question, "sentences": numbered, "max_statements": MAX_STATEMENTS},
            AnswerAnswer,
        )
    except ServiceError as exc:
        return [], 0, f"LLM answer failed ({exc}); the extractive answer was used instead"
    kept: list[tuple[Candidate, str]] = []
    dropped = 0
    for item in reply.statements:
        cited = offered[item.sentence - 1] if item.sentence <= len(offered) else None
        text = " ".join(item.text.split())
        if cited is None or any(c is cited for c, _ in kept) or len(kept) == MAX_STATEMENTS:
            dropped += 1
            continue
        if grounder.ground([text], [cited.sentence])[0].grounded:
            kept.append((cited, text))
        else:
            dropped += 1
    return kept, dropped, None


def verdict_of(statements: Sequence[Statement], *, polar: bool) -> AnswerVerdict:
    """yes / no / mixed from the stances of a yes/no question's statements; answered for an
    open question with strong statements; otherwise not answered."""
    stances = {s.stance for s in statements}
    if not polar:
        return "answered" if "answers" in stances else "not_answered"
    if "supports" in stances and "contradicts" in stances:
        return "mixed"
    if "supports" in stances:
        return "yes"
    if "contradicts" in stances:
        return "no"
    return "not_answered"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _verb(count: int, verb: str) -> str:
    """The verb agreeing with `count` things: 1 statement supports, 2 statements support."""
    if count != 1:
        return verb
    return f"{verb}es" if verb.endswith(("s", "sh", "ch")) else f"{verb}s"


def not_covered_line(coverage: Coverage, papers: int) -> str:
    best = (
        f"the closest, {coverage.best_paper}, addresses it with probability "
        f"{coverage.probability:.2f}"
        if coverage.best_paper
        else "nothing was retrieved"
    )
    return (
        f"Not covered by the {_n(papers, 'paper')} searched: none addresses the question ({best}; "
        f"a paper counts at ≥ {coverage.threshold:g})."
    )


def summary_line(
    verdict: AnswerVerdict, statements: Sequence[Statement], addressing: int, papers: int
) -> str:
    """The answer in one sentence, from counts and fixed words only."""
    count = {s: sum(st.stance == s for st in statements) for s in ("supports", "contradicts")}
    strong = sum(st.stance != "related" for st in statements)
    sources = len({st.paper_id for st in statements if st.stance != "related"})
    if verdict == "yes":
        return (
            f"Yes: {_n(count['supports'], 'statement')} from {_n(sources, 'paper')} "
            f"{_verb(count['supports'], 'support')} it; none contradicts it."
        )
    if verdict == "no":
        return (
            f"No: {_n(count['contradicts'], 'statement')} from {_n(sources, 'paper')} "
            f"{_verb(count['contradicts'], 'contradict')} it; none supports it."
        )
    if verdict == "mixed":
        return (
            f"Mixed: {_n(count['supports'], 'statement')} {_verb(count['supports'], 'support')} "
            f"it and {count['contradicts']} {_verb(count['contradicts'], 'contradict')} it."
        )
    if verdict == "answered":
        return (
            f"Answered in part: {_n(strong, 'statement')} from {_n(sources, 'paper')} "
            f"{_verb(strong, 'bear')} directly on the question."
        )
    unclear = sum(st.stance == "unclear" for st in statements)
    if unclear:
        return (
            f"Not answered: {_n(unclear, 'statement')} {_verb(unclear, 'bear')} on the question, "
            "but whether they support or contradict it is unclear."
        )
    closest = "; the closest statements only propose or describe" if statements else ""
    return (
        f"Not answered by the {_n(papers, 'paper')} searched: {addressing} "
        f"{_verb(addressing, 'address')} the topic, "
        f"but none of their sentences reports a finding that bears on the question{closest}."
    )

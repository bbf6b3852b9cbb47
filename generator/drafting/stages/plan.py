"""plan: derive search queries from the question (keyphrases), unless the file pins them."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from generator.drafting.models import Plan, Question
from generator.inputs.settings import PlanSettings

if TYPE_CHECKING:
    from generator.drafting.llm.client import LlmClient

VERSION = "1"

# Words that make a question a question but say nothing about its topic.
QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how whether does do did can could would should
    will shall may might is are was were be been being extent impact effect effects compare
    compared comparison relative versus vs like those found such various varying different
    maintain consistent particular specific respect terms way ways role affect affects
    there their they them it its this that these the a an of in on for to from by with and or
    as at into over under between across than then also about against within without per
    e g i.e eg ie""".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-']*[A-Za-z0-9]|[A-Za-z0-9]")
_PHRASE_BREAK = re.compile(r"[,;:?!()\[\]\"“”]|\.(?=\s|$)")
_PAIRS = [(0, 1), (2, 3), (0, 2), (1, 3), (0, 3), (1, 2), (0, 4), (1, 4), (2, 4), (3, 4)]


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return QUESTION_WORDS | ENGLISH_STOP_WORDS


def keyphrases(text: str) -> list[str]:
    """Candidate phrases ranked RAKE-style (word degree / frequency), best first."""
    stop = _stop_words()
    phrases: list[list[str]] = []
    for chunk in _PHRASE_BREAK.split(text):
        current: list[str] = []
        for token in _TOKEN.findall(chunk):
            if token.lower() in stop or (len(token) < 2 and not token.isdigit()):
                if current:
                    phrases.append(current)
                current = []
            else:
                current.append(token)
        if current:
            phrases.append(current)
    phrases = [p[i : i + 4] for p in phrases for i in range(0, len(p), 4)]
    freq: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for phrase in phrases:
        for word in phrase:
            freq[word.lower()] += 1
            degree[word.lower()] += len(phrase)
    scored: dict[str, tuple[float, int]] = {}
    for position, phrase in enumerate(phrases):
        key = " ".join(phrase)
        score = sum(degree[w.lower()] / freq[w.lower()] for w in phrase)
        if key.lower() not in {k.lower() for k in scored}:
            scored[key] = (score, position)
    return sorted(scored, key=lambda k: (-scored[k][0], scored[k][1]))


def plan(question: Question, settings: PlanSettings, llm: LlmClient | None = None) -> Plan:
    """The question file's queries; else the LLM's (when configured); else keyphrases.

    A failing LLM is recorded in `failures` and keyphrase queries are used instead.
    """
    if question.queries:
        return Plan(queries=question.queries, origin="question-file")
    if llm is None:
        return keyphrase_plan(question, settings)
    from generator.drafting.llm.schemas import PlanAnswer
    from generator.machinery.http import ServiceError

    try:
        answer = llm.ask("plan", {"question": question.question, "n": settings.queries}, PlanAnswer)
    except ServiceError as exc:
        failure = f"LLM query planning failed ({exc}); keyphrase queries were used instead"
        return keyphrase_plan(question, settings).model_copy(update={"failures": (failure,)})
    queries = list(dict.fromkeys(" ".join(q.split()) for q in answer.queries))
    return Plan(queries=tuple(queries[: settings.queries]), origin="llm", model=llm.describe())


def keyphrase_plan(question: Question, settings: PlanSettings) -> Plan:
    """Up to `settings.queries` distinct queries: the question's keywords, then phrase pairs."""
    stop = _stop_words()
    words = list(
        dict.fromkeys(t for t in _TOKEN.findall(question.question) if t.lower() not in stop)
    )
    queries: list[str] = [" ".join(words[:16])] if words else [question.question]
    phrases = keyphrases(question.question)
    order = {p: question.question.find(p) for p in phrases}
    for a, b in _PAIRS:
        if len(queries) >= settings.queries:
            break
        if b < len(phrases):
            pair = sorted((phrases[a], phrases[b]), key=order.__getitem__)
            candidate = " ".join(pair)
            if candidate.lower() not in {q.lower() for q in queries}:
                queries.append(candidate)
    for phrase in phrases:  # short questions: single phrases fill the remaining slots
        if len(queries) >= settings.queries:
            break
        if phrase.lower() not in {q.lower() for q in queries}:
            queries.append(phrase)
    return Plan(queries=tuple(queries[: settings.queries]), origin="keyphrases")


def revision_plan(plan: Plan, unverified_claims: list[str], settings: PlanSettings) -> Plan:
    """A broader second attempt: the original queries plus queries aimed at unverified claims."""
    queries = list(plan.queries)
    seen = {q.lower() for q in queries}
    for claim in unverified_claims:
        if len(queries) >= 2 * settings.queries:
            break
        phrases = keyphrases(claim)[:2]
        candidate = " ".join(phrases)
        if candidate and candidate.lower() not in seen:
            queries.append(candidate)
            seen.add(candidate.lower())
    return Plan(queries=tuple(queries), origin=plan.origin)

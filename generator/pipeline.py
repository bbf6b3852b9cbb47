"""Run the stages for one question, each through the stage cache, and assemble the Draft."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property, partial
from typing import Any, TypeVar

from pydantic import BaseModel

from . import __version__
from .cache import StageCache, stage_key
from .models import (
    Decision,
    Draft,
    Extraction,
    Plan,
    Provenance,
    Question,
    Round,
    SearchResult,
    Selection,
    StageRun,
    TribunalResult,
    Verification,
)
from .settings import Settings, corpus_path
from .stages import decide, extract, plan, review, search, select, verify

M = TypeVar("M", bound=BaseModel)


class PipelineError(Exception):
    """A question could not produce a draft; the message says why, for the person."""


def now() -> datetime:
    """The current time, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)


@dataclass
class Context:
    """What every question's run shares: settings, cache, backends, counters."""

    settings: Settings
    cache: StageCache
    executed: Counter[str] = field(default_factory=Counter)
    reused: Counter[str] = field(default_factory=Counter)

    @cached_property
    def sources(self) -> list[Any]:
        from .sources import make_sources

        return make_sources(self.settings)

    @cached_property
    def embedder(self) -> Any:
        from .embedders import make_embedder

        return make_embedder("tfidf", corpus_path(self.settings))

    @cached_property
    def tribunal(self) -> Any:
        from .tribunal import make_tribunal

        return make_tribunal(self.settings.review.backend)

    def source_fingerprints(self) -> list[str]:
        return [s.fingerprint() for s in self.sources]


class _Run:
    """One question's run: calls stages through the cache and records provenance."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.stages: list[StageRun] = []
        self.times: list[datetime] = []

    def stage(
        self,
        name: str,
        version: str,
        inputs: dict[str, Any],
        settings: Any,
        output: type[M],
        compute: Callable[[], M],
    ) -> M:
        dumped_inputs = {k: _dump(v) for k, v in inputs.items()}
        key = stage_key(name, version, dumped_inputs, _dump(settings))
        hit = self.ctx.cache.get(key)
        if hit is not None:
            try:
                result = output.model_validate(hit["output"])
                record = StageRun.model_validate(hit["run"])
            except Exception:  # an entry from an older model shape: recompute it
                pass
            else:
                self.ctx.reused[name] += 1
                self._record(record)
                return result
        started = time.perf_counter()
        result = compute()
        record = StageRun(
            stage=name,
            version=version,
            key=key[:12],
            seconds=round(time.perf_counter() - started, 3),
            ran_at=now().isoformat(),
        )
        self.ctx.executed[name] += 1
        self.ctx.cache.set(
            key, {"output": result.model_dump(mode="json"), "run": record.model_dump()}
        )
        self._record(record)
        return result

    def _record(self, record: StageRun) -> None:
        self.stages.append(record)
        self.times.append(datetime.fromisoformat(record.ran_at))


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    return value


def run_question(question: Question, ctx: Context) -> Draft:
    """Run plan → search → select → extract → verify → review (→ revision) → decide."""
    s = ctx.settings
    run = _Run(ctx)
    fingerprints = ctx.source_fingerprints()

    the_plan = run.stage(
        "plan",
        plan.VERSION,
        {"question": question.question, "queries": list(question.queries)},
        s.plan,
        Plan,
        lambda: plan.plan(question, s.plan),
    )

    def do_search(p: Plan, keep: int, per_query: int, name: str = "search") -> SearchResult:
        return run.stage(
            name,
            search.VERSION,
            {
                "question": question.question,
                "plan": p,
                "sources": fingerprints,
                "embedder": "tfidf",
            },
            {"keep": keep, "per_query": per_query},
            SearchResult,
            lambda: asyncio.run(
                search.search(
                    question, p, ctx.sources, ctx.embedder, per_query=per_query, keep=keep
                )
            ),
        )

    first = do_search(the_plan, s.search.keep, s.search.per_query)
    selection = run.stage(
        "select",
        select.VERSION,
        {
            "question": question.question,
            "paper": question.paper,
            "search": first,
            "sources": fingerprints,
        },
        s.select,
        Selection,
        lambda: _select(question, first, ctx),
    )
    extraction = run.stage(
        "extract",
        extract.VERSION,
        {"paper": selection.primary},
        s.extract,
        Extraction,
        lambda: extract.extract(selection.primary, s.extract),
    )

    def do_round(index: int, result: SearchResult, note: str) -> Round:
        papers = [r.paper for r in result.papers]
        verification = run.stage(
            "verify",
            verify.VERSION,
            {"claims": extraction.claims, "papers": papers, "primary": selection.primary},
            s.verify,
            Verification,
            lambda: verify.verify(extraction.claims, papers, selection.primary, s.verify),
        )
        tribunal = run.stage(
            "review",
            review.VERSION,
            {
                "round": index,
                "selection": selection,
                "extraction": extraction,
                "search": result,
                "verification": verification,
                "tribunal": ctx.tribunal.describe(),
            },
            s.review.model_dump(exclude={"max_revisions", "revision_keep"}),
            TribunalResult,
            lambda: review.review(
                index,
                review.measure(selection, extraction, result, verification),
                ctx.tribunal,
                s.review,
            ),
        )
        return Round(
            index=index, search=result, verification=verification, tribunal=tribunal, note=note
        )

    rounds = [do_round(0, first, "")]
    while rounds[-1].tribunal.verdict == "REVISE" and len(rounds) <= s.review.max_revisions:
        last = rounds[-1]
        unverified = [c.claim.text for c in last.verification.checks if not c.verified]
        previous = Plan(queries=last.search.queries, origin=the_plan.origin)
        broader = run.stage(
            f"plan.round{len(rounds)}",
            plan.VERSION,
            {"plan": previous, "unverified": unverified},
            s.plan,
            Plan,
            partial(plan.revision_plan, previous, unverified, s.plan),
        )
        keep = max(s.review.revision_keep, last.search.keep)
        result = do_search(
            broader, keep, max(s.search.per_query, keep), f"search.round{len(rounds)}"
        )
        note = (
            f"Round {len(rounds)} retried with broader retrieval: {len(broader.queries)} queries "
            f"({len(broader.queries) - len(last.search.queries)} aimed at unverified claims), "
            f"keeping {keep} papers instead of {last.search.keep}."
        )
        rounds.append(do_round(len(rounds), result, note))

    final = rounds[-1]
    decision = run.stage(
        "decide",
        decide.VERSION,
        {"tribunal": final.tribunal, "selection": selection, "verification": final.verification},
        s.policy,
        Decision,
        lambda: decide.decide(final.tribunal, selection, final.verification, s.policy),
    )
    sources = tuple(src.describe() for src in ctx.sources)
    provenance = Provenance(
        generator_version=__version__,
        sources=sources,
        corpus=", ".join(fingerprints),
        relevance_model=first.relevance_model,
        extractor=extraction.method,
        verifier=final.verification.method,
        tribunal=final.tribunal.backend,
        settings_hash=s.digest(),
        stages=tuple(run.stages),
    )
    return Draft(
        slug=question.slug,
        question=question,
        plan=the_plan,
        selection=selection,
        extraction=extraction,
        rounds=tuple(rounds),
        decision=decision,
        ran_on=max(run.times).date() if run.times else date.today(),
        provenance=provenance,
    )


def _select(question: Question, result: SearchResult, ctx: Context) -> Selection:
    pinned = None
    corpus_rank = None
    if question.paper:
        pinned = next((r.paper for r in result.papers if r.paper.id == question.paper), None)
        for source in ctx.sources:
            if pinned is None:
                pinned = asyncio.run(source.fetch(question.paper))
            if corpus_rank is None and hasattr(source, "rank_of"):
                corpus_rank = source.rank_of(question.question, question.paper)
        if pinned is None:
            raise PipelineError(
                f"{question.path}: paper: {question.paper} was not found in any source "
                f"({', '.join(s.name for s in ctx.sources)}); check the id or remove the pin"
            )
    from .corpus import load_corpus

    try:
        return select.select(
            question,
            result,
            pinned,
            load_corpus(corpus_path(ctx.settings)),
            corpus_rank,
            ctx.embedder,
            ctx.settings.select,
        )
    except select.SelectError as exc:
        raise PipelineError(f"{question.path}: {exc}") from None

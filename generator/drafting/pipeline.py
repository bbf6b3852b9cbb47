"""Run the stages for one question, each through the stage cache, and assemble the Draft."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property, lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from generator import __version__
from generator.drafting.models import (
    Answer,
    Decision,
    Draft,
    Extraction,
    Paper,
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
from generator.drafting.stages import answer, decide, extract, plan, review, search, select, verify
from generator.inputs.settings import Settings, corpus_path
from generator.machinery.cache import StageCache, stage_key
from generator.machinery.deadline import question_deadline

if TYPE_CHECKING:
    from generator.drafting.embedders import Embedder
    from generator.drafting.llm.client import LlmClient
    from generator.drafting.sources import Source
    from generator.drafting.tribunal import Tribunal
    from generator.drafting.verifier.coverage import TermWeights
    from generator.drafting.verifier.grounding import Grounder
    from generator.drafting.verifier.relevance import Relevance
    from generator.drafting.verifier.scoring import Encoder
    from generator.drafting.verifier.stance import StanceJudge
    from generator.drafting.verifier.weights import BackendWeights
    from generator.machinery.http import Services

M = TypeVar("M", bound=BaseModel)


class PipelineError(Exception):
    """A question could not produce a draft; the message says why, for the person."""


class NotCached(Exception):
    """A cache-only run met a stage that must be computed."""


def now() -> datetime:
    """The current time, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)


@dataclass
class Context:
    """What every question's run shares: settings, cache, backends (made on first use, so a
    warm build imports and contacts nothing), and thread-safe counters."""

    settings: Settings
    cache: StageCache
    services: Services | None = None
    http_cache: Path | None = None
    cache_only: bool = False
    executed: Counter[str] = field(default_factory=Counter)
    reused: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, counter: Counter[str], name: str) -> None:
        with self._lock:
            counter[name] += 1

    def _services(self) -> Services:
        with self._lock:
            if self.services is None:
                from generator.machinery.http import Services

                self.services = Services(self.settings.services, self.http_cache)
            return self.services

    @property
    def index_dir(self) -> Path | None:
        """Where built corpus indexes are kept: beside the stage cache (None: in memory)."""
        stages = self.cache.directory
        return stages.parent / "index" if stages is not None else None

    @cached_property
    def sources(self) -> list[Source]:
        from generator.drafting.sources import make_sources

        return make_sources(self.settings, self._services, self.index_dir)

    @cached_property
    def embedder(self) -> Embedder:
        from generator.drafting.embedders import make_embedder

        name = self.settings.embedder.backend
        services = self._services() if name != "tfidf" else None
        background = corpus_path(self.settings)
        return make_embedder(name, background, self.settings, services, self.index_dir)

    @cached_property
    def offline_embedder(self) -> Embedder:
        from generator.drafting.embedders import make_embedder

        return make_embedder("tfidf", corpus_path(self.settings), index_dir=self.index_dir)

    @cached_property
    def verify_encoder(self) -> Encoder | None:
        from generator.drafting.verifier import make_encoder

        return make_encoder(self.settings.verify.backend, self.index_dir)

    @cached_property
    def verify_background(self) -> TermWeights:
        """Term weights of the local corpus: which of a claim's terms are specific."""
        from generator.drafting.corpus import load_corpus
        from generator.drafting.verifier.coverage import TermWeights

        return TermWeights(p.text for p in load_corpus(corpus_path(self.settings)))

    @cached_property
    def relevance(self) -> Relevance:
        """Calibrated P(a paper addresses the question), for the verify backend in use."""
        from generator.drafting.verifier.relevance import Relevance, load_relevance

        return Relevance(
            load_relevance(self.settings.verify.backend),
            self.verify_encoder,
            self.verify_background,
        )

    @cached_property
    def verify_weights(self) -> BackendWeights:
        from generator.drafting.verifier import load_weights

        return load_weights().for_backend(self.settings.verify.backend)

    @cached_property
    def grounder(self) -> Grounder:
        """The gate for what a language model writes: the verifier with the rules judge."""
        from generator.drafting.verifier.grounding import Grounder
        from generator.drafting.verifier.stance import RulesStanceJudge

        rules = RulesStanceJudge(self.verify_weights, self.verify_encoder)
        return Grounder(self.verify_weights, self.verify_encoder, self.verify_background, rules)

    @cached_property
    def stance_judge(self) -> StanceJudge:
        if self.settings.stance_judge() == "llm" and self.llm is not None:
            from generator.drafting.llm.stance import LlmStanceJudge

            return LlmStanceJudge(self.llm)
        from generator.drafting.verifier.stance import RulesStanceJudge

        return RulesStanceJudge(self.verify_weights, self.verify_encoder)

    @cached_property
    def llm(self) -> LlmClient | None:
        if "llm" not in self.settings.live_services():
            return None
        from generator.drafting.llm.client import LlmClient

        return LlmClient(self._services().get("llm"), self.settings.services.llm)

    @cached_property
    def tribunal(self) -> Tribunal:
        from generator.drafting.tribunal import make_tribunal

        backend = self.settings.review.backend
        return make_tribunal(backend, self.llm if backend == "llm" else None)

    def backend(self, stage: str) -> str:
        """Which backend (and model, prompt version) a stage uses: part of its cache key."""
        s = self.settings
        llm = self.llm
        if stage == "plan" and s.plan.backend == "llm" and llm:
            return f"{llm.describe()} {llm.prompt_version('plan')}"
        if stage == "extract":
            from generator.drafting.verifier.roles import roles_digest

            roles = f"roles {roles_digest()}"
            if s.extract.backend == "llm" and llm:
                return f"{llm.describe()} {llm.prompt_version('extract')} {roles}"
            return roles
        if stage == "search" and s.embedder.backend != "tfidf":
            return self.embedder.describe()
        if stage == "verify":
            from generator.drafting.verifier import weights_digest

            judge = "llm" if s.stance_judge() == "llm" and llm else "rules"
            if judge == "llm" and llm:
                judge = f"{llm.describe()} {llm.prompt_version('stance')}"
            return f"{s.verify.backend} weights {weights_digest()} stance {judge}"
        if stage == "answer" and s.answer.backend == "llm" and llm:
            return f"{llm.describe()} {llm.prompt_version('answer')}"
        if stage == "select":
            from generator.drafting.verifier.relevance import relevance_digest

            return f"{s.verify.backend} relevance {relevance_digest()}"
        if stage == "review":
            return self.tribunal.describe()
        return "offline"

    @cached_property
    def settings_digest(self) -> str:
        return self.settings.digest()

    def source_fingerprints(self) -> list[str]:
        return [s.fingerprint() for s in self.sources]


class _Run:
    """One question's run: calls stages through the cache and records provenance."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.stages: list[StageRun] = []
        self.times: list[datetime] = []
        self.computed = 0

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
                self.ctx.count(self.ctx.reused, name)
                self._record(record)
                return result
        if self.ctx.cache_only:
            raise NotCached(name)
        started = time.perf_counter()
        result = compute()
        record = StageRun(
            stage=name,
            version=version,
            key=key[:12],
            seconds=round(time.perf_counter() - started, 3),
            ran_at=now().isoformat(),
        )
        self.ctx.count(self.ctx.executed, name)
        self.computed += 1
        # NOTE: an output made while a live backend failed is not cached, so the next build
        # tries the service again instead of repeating the failure forever.
        if not getattr(result, "failures", ()) and not _has_query_errors(result):
            self.ctx.cache.set(
                key, {"output": result.model_dump(mode="json"), "run": record.model_dump()}
            )
        self._record(record)
        return result

    def _record(self, record: StageRun) -> None:
        self.stages.append(record)
        self.times.append(datetime.fromisoformat(record.ran_at))


def _has_query_errors(result: BaseModel) -> bool:
    return isinstance(result, SearchResult) and any(h.error for h in result.per_query)


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    return value


def run_question(question: Question, ctx: Context) -> Draft:
    """Run plan → search → select → extract → verify → review (→ revision) → decide."""
    return run_counted(question, ctx)[0]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The code a draft depends on (every module but the publishing side) and the verifier's
    fitted weights: part of the whole-draft cache key."""
    here = Path(__file__).parent
    package = here.parent
    digest = hashlib.sha256(__version__.encode())
    fitted = [here / "verifier" / name for name in ("weights.json", "relevance.json", "roles.json")]
    for path in sorted([*package.rglob("*.py"), *fitted]):
        if "publishing" not in path.relative_to(package).parts:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def draft_key(question: Question, ctx: Context) -> str:
    """What the whole draft depends on: the question's text, pin and queries, every setting,
    the sources' data and the code. A hit skips the stage-by-stage walk."""
    inputs = {"question": question.question, "paper": question.paper, "queries": question.queries}
    return stage_key(
        "draft", code_digest(), inputs, [ctx.settings_digest, *ctx.source_fingerprints()]
    )


def run_counted(question: Question, ctx: Context) -> tuple[Draft, int]:
    """The draft, and how many of its stages were computed (0: all from the cache)."""
    key = draft_key(question, ctx)
    hit = ctx.cache.get(key)
    if hit is not None:
        try:
            draft = Draft.model_validate(hit["draft"])
        except Exception:  # an entry from an older model shape: walk the stages instead
            pass
        else:
            # the owner's decision, tags and path are read from the question file as it is now
            return draft.model_copy(update={"question": question}), 0
    with question_deadline(ctx.settings.services.question_deadline):
        draft, computed = _run_stages(question, ctx)
    if not draft.failures:
        ctx.cache.set(key, {"draft": draft.model_dump(mode="json")})
    return draft, computed


def _run_stages(question: Question, ctx: Context) -> tuple[Draft, int]:
    """plan → search → select → extract, a first round (verify, answer, review), revision
    rounds while the tribunal asks for one, then the decision; the Draft, and how many stages
    were computed."""
    run = _Run(ctx)
    stages = _Stages(question, ctx, run)
    s = ctx.settings
    the_plan = stages.plan()
    first = stages.search(the_plan, s.search.keep, s.search.per_query)
    selection = stages.select(first)
    extraction = stages.extract(selection)
    first_round = stages.round(0, first, "", selection, extraction)
    rounds = _revise(stages, the_plan, [first_round], selection, extraction)
    draft = Draft(
        slug=question.slug,
        question=question,
        plan=the_plan,
        selection=selection,
        extraction=extraction,
        rounds=tuple(rounds),
        decision=Decision(policy="ESCALATE_TO_OWNER", reason="pending"),
        ran_on=date.today(),
        provenance=_provenance(ctx, first, extraction, rounds[-1], run.stages),
    )
    decision = stages.decide(draft)
    draft = draft.model_copy(
        update={
            "decision": decision,
            "ran_on": max(run.times).date() if run.times else date.today(),
            "provenance": _provenance(ctx, first, extraction, rounds[-1], run.stages),
        }
    )
    return draft, run.computed


def _revise(
    stages: _Stages,
    the_plan: Plan,
    rounds: list[Round],
    selection: Selection,
    extraction: Extraction,
) -> list[Round]:
    """The revision round: while the tribunal says REVISE and revisions remain, plan queries
    aimed at the claims no paper supported, search keeping more papers, and run the round's
    stages again (extraction and selection stay those of the first round)."""
    settings = stages.settings
    while rounds[-1].tribunal.verdict == "REVISE" and len(rounds) <= settings.review.max_revisions:
        last, index = rounds[-1], len(rounds)
        unverified = [c.claim.text for c in last.verification.checks if not c.verified]
        previous = Plan(queries=last.search.queries, origin=the_plan.origin)
        broader = stages.revision_plan(index, previous, unverified)
        keep = max(settings.review.revision_keep, last.search.keep)
        found = stages.search(
            broader, keep, max(settings.search.per_query, keep), f"search.round{index}"
        )
        note = (
            f"Round {index} retried with broader retrieval: {len(broader.queries)} queries "
            f"({len(broader.queries) - len(last.search.queries)} aimed at claims not supported), "
            f"keeping {keep} papers instead of {last.search.keep}."
        )
        rounds.append(stages.round(index, found, note, selection, extraction))
    return rounds


class _Stages:
    """Each stage of one question's run, called through the stage cache with the inputs and
    settings its output depends on (its cache key)."""

    def __init__(self, question: Question, ctx: Context, run: _Run):
        self.question, self.ctx, self.run = question, ctx, run
        self.settings = ctx.settings
        self.fingerprints = ctx.source_fingerprints()

    def plan(self) -> Plan:
        s, question = self.settings, self.question
        return self.run.stage(
            "plan",
            plan.VERSION,
            {"question": question.question, "queries": list(question.queries)},
            {**s.plan.model_dump(), "backend": self.ctx.backend("plan")},
            Plan,
            lambda: plan.plan(question, s.plan, self.ctx.llm if s.plan.backend == "llm" else None),
        )

    def revision_plan(self, index: int, previous: Plan, unverified: list[str]) -> Plan:
        return self.run.stage(
            f"plan.round{index}",
            plan.VERSION,
            {"plan": previous, "unverified": unverified},
            self.settings.plan,
            Plan,
            partial(plan.revision_plan, previous, unverified, self.settings.plan),
        )

    def search(self, p: Plan, keep: int, per_query: int, name: str = "search") -> SearchResult:
        ctx, question = self.ctx, self.question
        return self.run.stage(
            name,
            search.VERSION,
            {
                "question": question.question,
                "plan": p,
                "sources": self.fingerprints,
                "embedder": ctx.backend("search"),
            },
            {"keep": keep, "per_query": per_query},
            SearchResult,
            lambda: asyncio.run(
                search.search(
                    question,
                    p,
                    ctx.sources,
                    ctx.embedder,
                    per_query=per_query,
                    keep=keep,
                    fallback=ctx.offline_embedder,
                )
            ),
        )

    def select(self, found: SearchResult) -> Selection:
        return self.run.stage(
            "select",
            select.VERSION,
            {
                "question": self.question.question,
                "paper": self.question.paper,
                "search": found,
                "sources": self.fingerprints,
                "relevance": self.ctx.backend("select"),
            },
            self.settings.select,
            Selection,
            lambda: _select(self.question, found, self.ctx),
        )

    def extract(self, selection: Selection) -> Extraction:
        s, ctx = self.settings, self.ctx
        return self.run.stage(
            "extract",
            extract.VERSION,
            {"paper": selection.primary},
            {**s.extract.model_dump(), "backend": ctx.backend("extract")},
            Extraction,
            lambda: extract.extract(
                selection.primary,
                s.extract,
                ctx.llm if s.extract.backend == "llm" else None,
                ctx.grounder,
            ),
        )

    def round(
        self,
        index: int,
        found: SearchResult,
        note: str,
        selection: Selection,
        extraction: Extraction,
    ) -> Round:
        """One round: the claims verified against the papers found, the question answered
        from them, the tribunal's review."""
        suffix = f".round{index}" if index else ""
        papers = [r.paper for r in found.papers]
        verification = self.verify(suffix, extraction, papers, selection)
        if selection.primary.id not in {p.id for p in papers}:
            papers = [*papers, selection.primary]
        the_answer = self.answer(suffix, papers, selection)
        tribunal = self.review(
            index, suffix, found, selection, extraction, verification, the_answer
        )
        return Round(
            index=index,
            search=found,
            verification=verification,
            answer=the_answer,
            tribunal=tribunal,
            note=note,
        )

    def verify(
        self, suffix: str, extraction: Extraction, papers: list[Paper], selection: Selection
    ) -> Verification:
        s, ctx = self.settings, self.ctx
        return self.run.stage(
            f"verify{suffix}",
            verify.VERSION,
            {"claims": extraction.claims, "papers": papers, "primary": selection.primary},
            {**s.verify.model_dump(), "embedder": ctx.backend("verify")},
            Verification,
            lambda: verify.verify(
                extraction.claims,
                papers,
                selection.primary,
                s.verify,
                ctx.verify_encoder,
                ctx.stance_judge,
                ctx.verify_background,
            ),
        )

    def answer(self, suffix: str, papers: list[Paper], selection: Selection) -> Answer:
        s, ctx, question = self.settings, self.ctx, self.question
        return self.run.stage(
            f"answer{suffix}",
            answer.VERSION,
            {"question": question.question, "papers": papers, "coverage": selection.coverage},
            {
                "verify": ctx.backend("verify"),
                "relevance": ctx.backend("select"),
                "answer": ctx.backend("answer"),
            },
            Answer,
            lambda: answer.answer(
                question.question,
                papers,
                selection.coverage,
                ctx.relevance,
                ctx.verify_weights,
                ctx.verify_encoder,
                ctx.verify_background,
                ctx.stance_judge,
                s.verify.backend,
                ctx.llm if s.answer.backend == "llm" else None,
                ctx.grounder,
            ),
        )

    def review(
        self,
        index: int,
        suffix: str,
        found: SearchResult,
        selection: Selection,
        extraction: Extraction,
        verification: Verification,
        the_answer: Answer,
    ) -> TribunalResult:
        s, ctx = self.settings, self.ctx
        return self.run.stage(
            f"review{suffix}",
            review.VERSION,
            {
                "round": index,
                "selection": selection,
                "extraction": extraction,
                "search": found,
                "verification": verification,
                "answer": the_answer,
                "tribunal": ctx.backend("review"),
            },
            s.review.model_dump(exclude={"max_revisions", "revision_keep"}),
            TribunalResult,
            lambda: review.review(
                index,
                review.measure(selection, extraction, found, verification, the_answer),
                ctx.tribunal,
                s.review,
                _brief(self.question, selection.primary, verification),
            ),
        )

    def decide(self, draft: Draft) -> Decision:
        """The publication policy over the final round, given what failed on the way."""
        final, policy = draft.rounds[-1], self.settings.policy
        selection, extraction, failures = draft.selection, draft.extraction, draft.failures
        return self.run.stage(
            "decide",
            decide.VERSION,
            {
                "tribunal": final.tribunal,
                "selection": selection,
                "extraction": extraction,
                "verification": final.verification,
                "answer": final.answer,
                "failures": failures,
            },
            policy.for_drafts(),
            Decision,
            lambda: decide.decide(
                final.tribunal,
                selection,
                extraction,
                final.verification,
                final.answer,
                policy,
                failures,
            ),
        )


def _brief(question: Question, primary: Paper, verification: Verification) -> Any:
    from generator.drafting.tribunal import Brief

    return Brief(question=question.question, paper_title=primary.title, checks=verification.checks)


def _provenance(
    ctx: Context,
    first: SearchResult,
    extraction: Extraction,
    final: Round,
    stages: list[StageRun],
) -> Provenance:
    return Provenance(
        generator_version=__version__,
        sources=tuple(_describe(src) for src in ctx.sources),
        corpus=", ".join(ctx.source_fingerprints()),
        relevance_model=first.relevance_model,
        extractor=extraction.method,
        verifier=final.verification.method,
        tribunal=final.tribunal.backend,
        settings_hash=ctx.settings.digest(),
        stages=tuple(stages),
    )


def _describe(source: Source) -> str:
    describe = getattr(source, "describe", None)
    return describe() if callable(describe) else source.name


def _select(question: Question, result: SearchResult, ctx: Context) -> Selection:
    pinned = None
    corpus_rank = None
    problems: list[str] = []
    if question.paper:
        from generator.machinery.http import ServiceError

        pinned = next((r.paper for r in result.papers if r.paper.id == question.paper), None)
        for source in ctx.sources:
            if pinned is None:
                try:
                    pinned = asyncio.run(source.fetch(question.paper))
                except ServiceError as exc:
                    problems.append(str(exc))
            rank_of = getattr(source, "rank_of", None)
            if corpus_rank is None and rank_of is not None:
                corpus_rank = rank_of(question.question, question.paper)
        if pinned is None:
            why = f" ({'; '.join(problems)})" if problems else ""
            raise PipelineError(
                f"{question.path}: paper: {question.paper} was not found in any source "
                f"({', '.join(s.name for s in ctx.sources)}){why}; check the id or remove the pin"
            )
    from generator.drafting.corpus import load_corpus
    from generator.machinery.http import ServiceError

    def choose(embedder: Embedder) -> Selection:
        return select.select(
            question,
            result,
            pinned,
            load_corpus(corpus_path(ctx.settings)),
            corpus_rank,
            embedder,
            ctx.relevance,
            ctx.settings.select,
        )

    try:
        try:
            return choose(ctx.embedder)
        except ServiceError:  # the search already recorded this embedder's failure
            return choose(ctx.offline_embedder)
    except select.SelectError as exc:
        failed = [f"{h.source}: {h.error}" for h in result.per_query if h.error]
        why = f" (sources failed: {'; '.join(dict.fromkeys(failed))})" if failed else ""
        raise PipelineError(f"{question.path}: {exc}{why}") from None

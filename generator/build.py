"""The build lifecycle, in order:

1. load settings and question files (invalid files are reported, the rest go on);
2. run the pipeline for each question through the stage cache (`run_pipeline`);
3. work out each draft's standing and write pages, JSON, index and review queue
   (`generator.publishing.writers`);
4. render the PDFs that changed, in parallel (`generator.publishing.writers.render_pdfs`);
5. build the site (MkDocs or Zensical) into a temporary folder and swap it into place
   (`build_site`).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from generator.drafting.models import Draft, Question
from generator.drafting.pipeline import Context, NotCached, PipelineError, run_counted
from generator.inputs.settings import Settings
from generator.machinery.cache import StageCache
from generator.machinery.outputs import swap_directory


@dataclass(frozen=True)
class Failure:
    """A question that produced no draft, and why."""

    question: Question
    message: str


@dataclass
class PipelineReport:
    """What the pipeline step produced for a set of questions."""

    drafts: list[Draft] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    computed: int = 0
    from_cache: int = 0

    def summary(self) -> str:
        return (
            f"{self.computed + self.from_cache} drafts ({self.computed} computed, "
            f"{self.from_cache} from cache) · "
            f"{len(self.failures)} failed"
        )


PROCESS_MIN_PER_JOB = 8  # uncached questions per worker before processes beat their start-up


def run_pipeline(
    questions: list[Question],
    settings: Settings,
    cache: StageCache,
    on_progress: Callable[[Question, Draft | None], None] | None = None,
    context: Context | None = None,
    jobs: int = 1,
) -> PipelineReport:
    """Run every question; a failing question is reported and the others go on.

    Drafts whose stages are all cached are read back first, in this process (a warm build
    imports and computes nothing). The rest run `jobs` at a time: in processes when the build
    is offline and there is enough CPU-bound work, otherwise in threads, so live I/O overlaps
    under the services' shared rate limiters.

    Long by design: the cached, the pooled and the threaded paths share one progress display
    and one report.
    """
    ctx = context or Context(settings=settings, cache=cache)
    report = PipelineReport()
    lock = threading.Lock()

    def record(question: Question, draft: Draft | None, computed: int, error: str | None) -> None:
        with lock:
            if error is not None:
                report.failures.append(Failure(question, error))
            elif draft is not None:
                report.drafts.append(draft)
                if computed:
                    report.computed += 1
                else:
                    report.from_cache += 1
        if on_progress:
            on_progress(question, draft)

    probe = Context(settings=ctx.settings, cache=ctx.cache, cache_only=True)
    pending: list[Question] = []
    for question in questions:
        try:
            draft, _ = run_counted(question, probe)
        except NotCached:
            pending.append(question)
        else:
            record(question, draft, 0, None)

    def one(question: Question) -> None:
        try:
            draft, computed = run_counted(question, ctx)
        except PipelineError as exc:
            record(question, None, 0, str(exc))
        else:
            record(question, draft, computed, None)

    offline = not ctx.settings.live_services()
    if jobs > 1 and offline and len(pending) >= PROCESS_MIN_PER_JOB * jobs and ctx.cache.directory:
        _in_processes(pending, ctx, jobs, record)
    elif jobs <= 1 or len(pending) <= 1:
        for question in pending:
            one(question)
    else:
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="question")
        try:
            list(pool.map(one, pending))
        finally:
            # NOTE: on Ctrl-C, questions not yet started are cancelled; those running finish
            # their current stage (a stage writes nothing but its cache entry).
            pool.shutdown(wait=True, cancel_futures=True)
    report.drafts.sort(key=lambda d: d.slug)
    report.failures.sort(key=lambda f: f.question.slug)
    return report


_WORKER: Context | None = None


def _worker_start(settings_json: str, cache_dir: str) -> None:
    global _WORKER
    from generator.machinery.workers import worker_setup

    worker_setup()
    _WORKER = Context(
        settings=Settings.model_validate_json(settings_json), cache=StageCache(Path(cache_dir))
    )


def _worker_run(question_json: str) -> tuple[str | None, int, str | None]:
    """(draft JSON, stages computed, error) for one question, in a worker process."""
    assert _WORKER is not None
    question = Question.model_validate_json(question_json)
    try:
        draft, computed = run_counted(question, _WORKER)
    except PipelineError as exc:
        return None, 0, str(exc)
    return draft.model_dump_json(), computed, None


def _in_processes(
    questions: list[Question],
    ctx: Context,
    jobs: int,
    record: Callable[[Question, Draft | None, int, str | None], None],
) -> None:
    """CPU-bound offline stages over `jobs` processes sharing the on-disk stage cache."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    assert ctx.cache.directory is not None
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context("spawn"),
        initializer=_worker_start,
        initargs=(ctx.settings.model_dump_json(), str(ctx.cache.directory)),
    )
    try:
        futures = {pool.submit(_worker_run, q.model_dump_json()): q for q in questions}
        for future in as_completed(futures):
            question = futures[future]
            try:
                draft_json, computed, error = future.result()
            except Exception as exc:  # a worker died
                record(question, None, 0, f"worker failed: {type(exc).__name__}: {exc}")
                continue
            draft = Draft.model_validate_json(draft_json) if draft_json else None
            record(question, draft, computed, error)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def previous_drafts(root: Path, settings: Settings, slugs: set[str] | None = None) -> list[Draft]:
    """Drafts written by earlier builds (site and review area), read back from their JSON;
    only those named in `slugs` when it is given."""
    from generator.publishing.render.markdown import JSON_EXTRAS

    found: dict[str, Draft] = {}
    review = root / settings.paths.review_dir
    folders = [review / "rejected", review, root / settings.paths.docs_dir / "drafts"]
    for folder in folders:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if slugs is not None and path.stem not in slugs:
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                for key in JSON_EXTRAS:
                    data.pop(key, None)
                found[path.stem] = Draft.model_validate(data)
            except (OSError, ValueError):
                continue  # unreadable or from an older format: it is rebuilt next full build
    return list(found.values())


def build_site(root: Path, settings: Settings, *, strict: bool = True) -> Path:
    """Build the site with the engine of `site.engine` into a staging folder, then swap it
    into `site_dir`: a reader never sees half a site. The staging folder has the same name
    every time (builds hold the project lock), so an engine that keys its cache by its output
    folder, as Zensical does, finds its cache warm."""
    import shutil

    from generator.publishing.engines import build_into

    target = root / settings.paths.site_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.building")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        warnings = build_into(root, settings, staging, strict=strict)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for message in warnings:
        print(message, file=sys.stderr)
    swap_directory(staging, target)
    return target

"""Writers: drafts → pages, JSON and PDFs in the public site or the review area; the index.

Where a draft goes depends on its standing (generator/publishing/standing.py):
- published (auto- or owner-approved): `site_src/drafts/<slug>.{md,json,pdf}`;
- awaiting review, stale decision, revision asked: `review/<slug>.{md,json,pdf}`, flagged on
  the index;
- rejected by the owner: `review/rejected/<slug>.{md,json,pdf}`, off the index.
Every version of every draft is archived by content hash in the cache, so a stale decision
can say what changed since the version the owner judged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import __version__
from generator.drafting.models import Draft, Question
from generator.inputs.settings import Settings
from generator.machinery.outputs import prune, write_bytes, write_text
from generator.publishing.ledger import Ledger, Row, StandingRecord, Summary, signature
from generator.publishing.owners import normal
from generator.publishing.render.charts import INDEX_CHARTS, draft_chart_names
from generator.publishing.render.feed import FEED_FILE
from generator.publishing.standing import Standing, standing

if TYPE_CHECKING:
    from generator.publishing.render.charts import Chart

SITE_TITLE = "Research drafts"
PREVIEW_BANNERS = {
    "rejected": "Rejected by the owner — shown only in a preview build.",
    "default": "Not published — awaiting owner review. This page is shown only in a preview build.",
}


@dataclass
class Entry:
    """A draft, what the index shows of it, and where it stands.

    An entry taken from the ledger carries no draft: `draft` loads it (with `load`) only when
    a page or PDF must be rendered again. `digest` identifies the draft's content; `key` the
    inputs it was made from (None when they are not known).
    """

    summary: Summary
    standing: Standing
    digest: str
    key: str | None = None
    load: Callable[[], Entry] | None = None
    _draft: Draft | None = None
    _row: Row | None = None
    _charts: list[Chart] | None = None

    @classmethod
    def of(cls, draft: Draft, where: Standing, key: str | None = None) -> Entry:
        digest = hashlib.sha256(draft.model_dump_json().encode()).hexdigest()
        return cls(Summary.of(draft), where, digest, key, None, draft)

    @classmethod
    def from_row(cls, row: Row, load: Callable[[], Entry]) -> Entry:
        made = cls(row.summary, row.standing.standing(), row.digest, row.key, load)
        made._row = row
        return made

    @property
    def slug(self) -> str:
        return self.summary.slug

    @property
    def draft(self) -> Draft:
        if self._draft is None:
            assert self.load is not None, "an entry without a draft needs a loader"
            # NOTE: the loaded draft replaces everything, so a page is never rendered from one
            # draft and recorded under another's digest.
            fresh = self.load()
            self.summary, self.standing, self.digest = fresh.summary, fresh.standing, fresh.digest
            self._draft, self._row = fresh.draft, None
        return self._draft

    def charts(self, store: Path | None = None) -> list[Chart]:
        """The draft's charts, made once for its pages and its PDF (SVGs drawn by an earlier
        build are read from `store`, the chart folder of the cache)."""
        if self._charts is None:
            from generator.publishing.render.charts import draft_charts

            self._charts = draft_charts(self.draft, store)
        return self._charts

    def row(self) -> Row:
        """The ledger's record of this entry."""
        if self._row is None:
            self._row = Row(
                key=self.key,
                digest=self.digest,
                summary=self.summary,
                standing=StandingRecord.of(self.standing),
            )
        return self._row


@dataclass(frozen=True)
class PdfJob:
    """One PDF to render: the draft, its standing and where the file goes."""

    entry: Entry
    target: Path


def archive_folder(root: Path, settings: Settings) -> Path:
    return root / settings.paths.cache_dir / "drafts"


def archive(folder: Path, draft: Draft, content_hash: str) -> None:
    """Keep every version of every draft, named by content hash (written once)."""
    path = folder / draft.slug / f"{content_hash}.json"
    if not path.exists():
        write_text(path, draft.model_dump_json())


def judged_version(folder: Path, draft: Draft) -> Draft | None:
    """The archived version an owner's decision names, if it is still there."""
    review = draft.question.review
    if review is None or not review.draft_hash:
        return None
    path = folder / draft.slug / f"{review.draft_hash}.json"
    try:
        return Draft.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def entry(root: Path, settings: Settings, draft: Draft, key: str | None = None) -> Entry:
    """Archive the draft, then work out its standing."""
    folder = archive_folder(root, settings)
    where = standing(draft, settings.policy.owners, judged_version(folder, draft))
    archive(folder, draft, where.content_hash)
    return Entry.of(draft, where, key)


def entry_key(root: Path, settings: Settings, question: Question, draft_key: str) -> str:
    """What a published entry depends on: the draft's inputs (`draft_key`), the question file
    as it is now (owner's decision, tags, path), the owners (whose decisions count) and
    whether the version the owner judged is in the archive (the standing's "what changed" is
    worked out from it)."""
    review = question.review
    judged = bool(
        review
        and review.draft_hash
        and (archive_folder(root, settings) / question.slug / f"{review.draft_hash}.json").exists()
    )
    owners = ",".join(sorted(normal(o) for o in settings.policy.owners))
    return signature(draft_key, question.model_dump_json(), str(judged), owners)


def entries(
    root: Path, settings: Settings, drafts: Sequence[Draft], keys: dict[str, str] | None = None
) -> list[Entry]:
    """Archive the drafts, then work out each one's standing."""
    return [entry(root, settings, d, (keys or {}).get(d.slug)) for d in drafts]


def _json(item: Entry) -> str:
    from generator.publishing.render.markdown import render_json

    s = item.standing
    extra: dict[str, Any] = {
        "state": s.state,
        "label": s.label,
        "decision": s.decision.model_dump(mode="json") if s.decision else None,
        "changes_since_decision": list(s.changes),
    }
    return render_json(item.draft, s.content_hash, extra)


def write_outputs(
    root: Path,
    settings: Settings,
    items: Sequence[Entry],
    *,
    preview: bool,
    failures: Sequence[Any] = (),
    with_pdfs: bool = True,
    ledger: Ledger | None = None,
) -> list[PdfJob]:
    """Write every page and JSON, the index and the review queue; return the PDFs to render.

    A page whose draft, standing and templates are unchanged since the ledger's build is
    neither rendered nor written (nor its draft loaded); the ledger is updated in place.
    Without PDFs (`with_pdfs=False`), a PDF still current is kept, with its page's link.

    Long by design: most of it is `put`, which shares the folders, the ledger and the list
    of files to keep with the loop that places each draft.
    """
    ledger = ledger if ledger is not None else Ledger()
    docs = root / settings.paths.docs_dir
    public = docs / "drafts"
    review = root / settings.paths.review_dir
    rejected = review / "rejected"
    kept: dict[Path, set[str]] = {public: set(), review: {"README.md"}, rejected: set()}
    drawn = chart_store(root, settings)
    pdfs: list[PdfJob] = []
    written, pages = ledger.pages, {}

    def put(folder: Path, item: Entry, banner: str | None, pdf: bool) -> None:
        slug = item.slug
        charts = [_chart_file(slug, name) for name in draft_chart_names(item.summary)]
        files = [f"{slug}.md", f"{slug}.json", *charts]
        kept[folder] |= set(files)
        where = str(folder / slug)
        pages_exist = all((folder / name).exists() for name in files)
        if pdf and not with_pdfs:
            # NOTE: a build without PDFs keeps a PDF that is still current, and its page's
            # link, rather than deleting it for the next build to render again.
            target = folder / f"{slug}.pdf"
            pdf = (
                pages_exist
                and written.get(where) == _page_signature(item, banner, True)
                and ledger.pdfs.get(str(target)) == _pdf_signature(item)
                and target.exists()
            )
        unchanged = pages_exist and written.get(where) == _page_signature(item, banner, pdf)
        if not unchanged:
            from generator.publishing.render.charts import figure_html
            from generator.publishing.render.markdown import render_draft

            draft = item.draft  # loads an entry from the ledger, which may update it
            figures = []
            for chart in item.charts(drawn):
                name = _chart_file(slug, chart.name)
                write_text(folder / name, chart.svg)
                kept[folder].add(name)
                figures.append(figure_html(chart, name))
            page = render_draft(
                draft,
                item.standing,
                banner=banner,
                pdf_href=f"{slug}.pdf" if pdf else None,
                charts=figures,
                tags_page="../tags.html" if folder == public else None,
            )
            write_text(folder / f"{slug}.md", page)
            write_text(folder / f"{slug}.json", _json(item))
        pages[where] = _page_signature(item, banner, pdf)
        if pdf:
            kept[folder].add(f"{slug}.pdf")
            pdfs.append(PdfJob(item, folder / f"{slug}.pdf"))

    for item in items:
        state = item.standing.state
        if item.standing.published:
            put(public, item, None, pdf=True)
            continue
        put(rejected if state == "rejected" else review, item, None, pdf=True)
        if preview:
            banner = PREVIEW_BANNERS.get(state, PREVIEW_BANNERS["default"])
            put(public, item, banner, pdf=False)
    for folder, names in kept.items():
        prune(folder, names, (".md", ".json", ".pdf", ".svg"))
    ledger.pages = pages
    _write_lists(
        docs / "index.md", review / "README.md", items, preview, failures, ledger, settings
    )
    return pdfs


def chart_store(root: Path, settings: Settings) -> Path:
    """Where drawn charts are kept between builds (`render.charts`): a folder of the cache."""
    return root / settings.paths.cache_dir / "charts"


def _chart_file(page: str, chart: str) -> str:
    """A page's chart file, beside it: `<page>.<chart>.svg`."""
    return f"{page}.{chart}.svg"


def _write_lists(
    index: Path,
    queue_page: Path,
    items: Sequence[Entry],
    preview: bool,
    failures: Sequence[Any],
    ledger: Ledger,
    settings: Settings,
) -> None:
    """The index with its charts, the feed, the tags page and the review queue, rendered
    only when what they list changed.

    Long by design: the four lists share one signature check, so they are rendered together
    or not at all."""
    thresholds = (settings.review.approve_at, settings.review.reject_below)
    charts = [index.with_name(_chart_file("index", n)) for n in INDEX_CHARTS] if items else []
    listed = signature(
        _templates_digest(),
        str(preview),
        *map(str, thresholds),
        settings.site.url or "",
        *(e.row().model_dump_json() for e in items),
        *(f"{f.question.slug}\x1e{f.question.question}\x1e{f.message}" for f in failures),
    )
    tags_page, feed = index.with_name("tags.md"), index.with_name(FEED_FILE)
    current = all(p.exists() for p in (index, queue_page, tags_page, feed, *charts))
    for old in set(index.parent.glob("index.*.svg")) - set(charts):
        old.unlink()  # the charts of an index that now lists no draft
    if ledger.lists == listed and current:
        return
    from generator.publishing.render.charts import figure_html, index_charts
    from generator.publishing.render.feed import render_feed
    from generator.publishing.render.markdown import (
        render_index,
        render_review_queue,
        render_tags_page,
    )
    from generator.publishing.render.narrative import build_mode

    figures = []
    for chart in index_charts([(e.summary, e.standing.published) for e in items], *thresholds):
        name = _chart_file("index", chart.name)
        write_text(index.with_name(name), chart.svg)
        figures.append(figure_html(chart, name))
    published = [e for e in items if e.standing.published]
    newest = max((e.summary.ran_on for e in items), default=date.today())
    write_bytes(
        feed, render_feed(published, title=SITE_TITLE, site_url=settings.site.url, fallback=newest)
    )
    on_site = [e.summary for e in items if e.standing.published or preview]
    write_text(tags_page, render_tags_page(on_site, preview))
    queue = [e for e in items if not e.standing.published and e.standing.state != "rejected"]
    gone = [e for e in items if e.standing.state == "rejected"]
    write_text(queue_page, render_review_queue(queue, gone))
    write_text(
        index,
        render_index(
            published,
            queue,
            preview=preview,
            title=SITE_TITLE,
            failed=failures,
            mode=build_mode([e.summary for e in items]),
            charts=figures,
        ),
    )
    ledger.lists = listed


@lru_cache(maxsize=1)
def _templates_digest() -> str:
    """What a page's look depends on besides its data: the templates and the renderer."""
    here = Path(__file__).parent / "render"
    digest = hashlib.sha256(__version__.encode())
    for path in sorted([*here.glob("*.py"), *(here / "templates").glob("*")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _pdf_digest() -> str:
    """What a PDF's look depends on besides its data: templates, renderer and print assets."""
    assets = Path(__file__).parent / "render" / "pdf_assets"
    digest = hashlib.sha256(_templates_digest().encode())
    for path in sorted(p for p in assets.rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _standing_signature(s: Standing) -> list[str]:
    decision = s.decision.model_dump_json() if s.decision else ""
    return [s.state, s.content_hash, decision, *s.changes]


def _page_signature(item: Entry, banner: str | None, pdf: bool) -> str:
    return signature(
        _templates_digest(),
        item.digest,
        *_standing_signature(item.standing),
        banner or "",
        str(pdf),
    )


def _pdf_signature(item: Entry) -> str:
    return signature(_pdf_digest(), item.digest, *_standing_signature(item.standing))


def carry_pdfs(
    jobs: Sequence[PdfJob], made: dict[str, tuple[Path, str]], stamps: dict[str, str]
) -> int:
    """Copy PDFs rendered elsewhere (by the shards: slug → file, signature) into place when
    they were rendered from exactly this draft, standing and look; return how many. `stamps`
    (PDF path → signature) records them, so `render_pdfs` renders only the rest."""

    carried = 0
    for job in jobs:
        source, stamp = made.get(job.entry.slug, (None, ""))
        if source is None or stamp != _pdf_signature(job.entry):
            continue
        try:
            write_bytes(job.target, source.read_bytes())
        except OSError:
            continue
        stamps[str(job.target)] = stamp
        carried += 1
    return carried


def render_pdfs(
    root: Path,
    settings: Settings,
    jobs: Sequence[PdfJob],
    processes: int,
    stamps: dict[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Render the PDFs whose draft, standing or look changed since they were stamped
    (`stamps`: PDF path → signature; an unchanged draft's PDF is not re-rendered, nor its
    draft loaded). Return one message per failure, and the stamps of the PDFs now current."""
    stamps = stamps or {}
    todo: list[PdfJob] = []
    done: dict[str, str] = {}
    for job in jobs:
        stamp = _pdf_signature(job.entry)
        if stamps.get(str(job.target)) == stamp and job.target.exists():
            done[str(job.target)] = stamp
        else:
            todo.append(job)
    errors: list[str] = []
    if todo:
        from generator.publishing.render.pdf import draft_html, render_many

        pages = []
        drawn = chart_store(root, settings)
        for job in todo:
            draft = job.entry.draft  # may reload the entry: sign what is rendered
            charts = job.entry.charts(drawn)
            html = draft_html(draft, job.entry.standing, charts)
            pages.append((html, job.target))
        errors = render_many(pages, processes)
        failed = {e.split(":", 1)[0] for e in errors}
        for job in todo:
            if str(job.target) not in failed:
                done[str(job.target)] = _pdf_signature(job.entry)
    return errors, done


def summary_line(items: Sequence[Entry]) -> str:
    """ "2 published · 3 awaiting review · 1 rejected" for the console."""
    published = sum(e.standing.published for e in items)
    rejected = sum(e.standing.state == "rejected" for e in items)
    waiting = len(items) - published - rejected
    return f"{published} published · {waiting} awaiting review · {rejected} rejected"

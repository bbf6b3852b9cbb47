"""Writers: drafts → pages, JSON and PDFs in the public site or the review area; the index.

Where a draft goes depends on its standing (generator/standing.py):
- published (auto- or owner-approved): `site_src/drafts/<slug>.{md,json,pdf}`;
- awaiting review, stale decision, revision asked: `review/<slug>.{md,json,pdf}`, flagged on
  the index;
- rejected by the owner: `review/rejected/<slug>.{md,json,pdf}`, off the index.
Every version of every draft is archived by content hash in the cache, so a stale decision
can say what changed since the version the owner judged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__
from .models import Draft
from .outputs import prune, write_text
from .render.markdown import render_draft, render_index, render_json, render_review_queue
from .render.narrative import build_mode
from .settings import Settings
from .standing import Standing, content_hash, standing

PREVIEW_BANNERS = {
    "rejected": "Rejected by the owner — shown only in a preview build.",
    "default": "Not published — awaiting owner review. This page is shown only in a preview build.",
}


@dataclass(frozen=True)
class Entry:
    """A draft and where it stands."""

    draft: Draft
    standing: Standing


@dataclass(frozen=True)
class PdfJob:
    """One PDF to render: the draft, its standing and where the file goes."""

    entry: Entry
    target: Path


def archive_folder(root: Path, settings: Settings) -> Path:
    return root / settings.paths.cache_dir / "drafts"


def archive(folder: Path, drafts: Sequence[Draft]) -> None:
    """Keep every version of every draft, named by content hash (written once)."""
    for draft in drafts:
        path = folder / draft.slug / f"{content_hash(draft)}.json"
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


def entries(root: Path, settings: Settings, drafts: Sequence[Draft]) -> list[Entry]:
    """Archive the drafts, then work out each one's standing."""
    folder = archive_folder(root, settings)
    archive(folder, drafts)
    return [Entry(d, standing(d, judged_version(folder, d))) for d in drafts]


def _json(entry: Entry) -> str:
    s = entry.standing
    extra: dict[str, Any] = {
        "state": s.state,
        "label": s.label,
        "decision": s.decision.model_dump(mode="json") if s.decision else None,
        "changes_since_decision": list(s.changes),
    }
    return render_json(entry.draft, s.content_hash, extra)


def write_outputs(
    root: Path,
    settings: Settings,
    items: Sequence[Entry],
    *,
    preview: bool,
    failures: Sequence[Any] = (),
    with_pdfs: bool = True,
) -> list[PdfJob]:
    """Write every page and JSON, the index and the review queue; return the PDFs to render."""
    docs = root / settings.paths.docs_dir
    public = docs / "drafts"
    review = root / settings.paths.review_dir
    rejected = review / "rejected"
    kept: dict[Path, set[str]] = {public: set(), review: {"README.md"}, rejected: set()}
    pdfs: list[PdfJob] = []
    manifest_path = root / settings.paths.cache_dir / "pages.json"
    try:
        written: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        written = {}
    manifest: dict[str, str] = {}

    def put(folder: Path, entry: Entry, banner: str | None, pdf: bool) -> None:
        slug = entry.draft.slug
        kept[folder] |= {f"{slug}.md", f"{slug}.json"}
        # NOTE: a page whose draft, standing and templates are unchanged is neither rendered
        # nor written again: a warm build touches no file and costs almost nothing here.
        # NOTE: one draft's JSON at a time; holding all of them cost ~130 MiB at 1000 drafts
        signature = _signature(entry.draft.model_dump_json(), entry.standing, banner, pdf)
        where = str(folder / slug)
        manifest[where] = signature
        unchanged = written.get(where) == signature and all(
            (folder / f"{slug}{ext}").exists() for ext in (".md", ".json")
        )
        if not unchanged:
            page = render_draft(
                entry.draft, entry.standing, banner=banner, pdf_href=f"{slug}.pdf" if pdf else None
            )
            write_text(folder / f"{slug}.md", page)
            write_text(folder / f"{slug}.json", _json(entry))
        if pdf:
            kept[folder].add(f"{slug}.pdf")
            pdfs.append(PdfJob(entry, folder / f"{slug}.pdf"))

    for entry in items:
        state = entry.standing.state
        if entry.standing.published:
            put(public, entry, None, pdf=with_pdfs)
            continue
        put(rejected if state == "rejected" else review, entry, None, pdf=with_pdfs)
        if preview:
            banner = PREVIEW_BANNERS.get(state, PREVIEW_BANNERS["default"])
            put(public, entry, banner, pdf=False)
    for folder, names in kept.items():
        prune(folder, names, (".md", ".json", ".pdf"))
    published = [e for e in items if e.standing.published]
    queue = [e for e in items if not e.standing.published and e.standing.state != "rejected"]
    gone = [e for e in items if e.standing.state == "rejected"]
    write_text(review / "README.md", render_review_queue(queue, gone))
    write_text(
        docs / "index.md",
        render_index(
            published,
            queue,
            preview=preview,
            title="Research drafts",
            failed=failures,
            mode=build_mode([e.draft for e in items]),
        ),
    )
    write_text(manifest_path, json.dumps(manifest, sort_keys=True))
    return pdfs


@lru_cache(maxsize=1)
def _templates_digest() -> str:
    """What a page's look depends on besides its data: the templates and the renderer."""
    here = Path(__file__).parent / "render"
    digest = hashlib.sha256(__version__.encode())
    for path in sorted([*here.glob("*.py"), *(here / "templates").glob("*")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _signature(draft_json: str, s: Standing, banner: str | None, pdf: bool) -> str:
    decision = s.decision.model_dump_json() if s.decision else ""
    parts = [_templates_digest(), draft_json, s.state, s.content_hash, decision, *s.changes]
    parts += [banner or "", str(pdf)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _pdf_stamp(root: Path, settings: Settings, target: Path) -> Path:
    name = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:16]
    return root / settings.paths.cache_dir / "pdf" / f"{name}.sha"


def render_pdfs(
    root: Path, settings: Settings, jobs: Sequence[PdfJob], processes: int
) -> list[str]:
    """Render the PDFs whose content changed (an unchanged draft's PDF is not re-rendered);
    return one message per failure."""
    from .render.pdf import draft_html, render_many

    todo: list[tuple[str, Path]] = []
    stamps: list[tuple[Path, str]] = []
    for job in jobs:
        html = draft_html(job.entry.draft, job.entry.standing)
        digest = hashlib.sha256(html.encode()).hexdigest()
        stamp = _pdf_stamp(root, settings, job.target)
        try:
            same = stamp.read_text() == digest and job.target.exists()
        except OSError:
            same = False
        if not same:
            todo.append((html, job.target))
            stamps.append((stamp, digest))
    errors = render_many(todo, processes) if todo else []
    failed = {e.split(":", 1)[0] for e in errors}
    for (stamp, digest), (_, target) in zip(stamps, todo, strict=True):
        if str(target) not in failed:
            write_text(stamp, digest)
    return errors


def summary_line(items: Sequence[Entry]) -> str:
    """ "2 published · 3 awaiting review · 1 rejected" for the console."""
    published = sum(e.standing.published for e in items)
    rejected = sum(e.standing.state == "rejected" for e in items)
    waiting = len(items) - published - rejected
    return f"{published} published · {waiting} awaiting review · {rejected} rejected"

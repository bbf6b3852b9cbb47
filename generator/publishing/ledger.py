"""The build ledger: what the last build wrote, so the next one can skip what has not changed.

One JSON file in the cache folder holds, for each draft, the key of the inputs it was made
from (question file, settings, sources' data, code, the owner's decision), a digest of the
draft, what the index shows of it and its standing; and the signature of every page and PDF
written. A warm build compares keys and signatures and reads no draft, renders no page and
writes no file. A missing, corrupt or older-format ledger is simply empty: everything is
checked the slow way and the ledger is written again.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from generator.drafting.models import OwnerReview
from generator.machinery.outputs import write_text
from generator.publishing.standing import Standing, State

if TYPE_CHECKING:
    from generator.drafting.models import Draft

FORMAT = 4  # 4: primary paper and answer summary; 3: answer and coverage; 2: claim states
FILE_NAME = "ledger.json"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Summary(_Record):
    """What the index, the review queue and the build-mode line show of a draft."""

    slug: str
    question: str
    path: str
    tags: tuple[str, ...]
    verdict: str
    score: float
    supported: int
    contradicted: int
    related: int
    no_evidence: int
    checked: int
    answer: str  # the answer in a few words: "Yes (1 statement)", "Not covered"
    answer_summary: str  # the Answer's one sentence
    answer_verdict: str
    primary_id: str  # tells apart drafts of the same question text
    primary_title: str
    covered: bool  # whether the papers searched address the question at all
    reason: str
    ran_on: date
    sources: tuple[str, ...]
    models: str
    live: bool

    @classmethod
    def of(cls, draft: Draft) -> Summary:
        from generator.publishing.render.formats import answer_line
        from generator.publishing.render.narrative import is_live, models_used

        final = draft.final
        v = final.verification
        return cls(
            slug=draft.slug,
            question=draft.question.question,
            path=draft.question.path,
            tags=draft.question.tags,
            verdict=final.tribunal.verdict,
            score=final.tribunal.score,
            supported=v.count("supported"),
            contradicted=v.count("contradicted"),
            related=v.count("related"),
            no_evidence=v.count("no_evidence"),
            checked=len(v.checks),
            answer=answer_line(draft.answer),
            answer_summary=draft.answer.summary,
            answer_verdict=draft.answer.verdict,
            primary_id=draft.selection.primary.id,
            primary_title=draft.selection.primary.title,
            covered=draft.selection.coverage.covered,
            reason=draft.decision.reason,
            ran_on=draft.ran_on,
            sources=draft.provenance.sources,
            models=models_used(draft),
            live=is_live(draft),
        )

    @property
    def counts(self) -> dict[str, int]:
        """Claims per state, in the order of strength (as `formats.claims_line` reads them)."""
        return {
            "supported": self.supported,
            "contradicted": self.contradicted,
            "related": self.related,
            "no_evidence": self.no_evidence,
        }


class StandingRecord(_Record):
    """A draft's standing, as the ledger keeps it."""

    state: State
    content_hash: str
    decision: OwnerReview | None = None
    changes: tuple[str, ...] = ()

    @classmethod
    def of(cls, standing: Standing) -> StandingRecord:
        return cls(
            state=standing.state,
            content_hash=standing.content_hash,
            decision=standing.decision,
            changes=standing.changes,
        )

    def standing(self) -> Standing:
        return Standing(self.state, self.content_hash, self.decision, self.changes)


class Row(_Record):
    """One draft as the last build published it."""

    key: str | None  # the inputs it was made from; None: unknown, so never taken as fresh
    digest: str  # of the draft's JSON: a page depends on nothing else of the draft
    summary: Summary
    standing: StandingRecord


class Ledger(_Record):
    model_config = ConfigDict(frozen=False, extra="forbid")

    format: int = FORMAT
    code: str = ""  # the pipeline code's digest: question validation and keys depend on it
    questions: dict[str, tuple[str, dict[str, Any]]] = {}  # question file → its hash, parsed
    rows: dict[str, Row] = {}
    pages: dict[str, str] = {}  # page path → signature of what it was rendered from
    pdfs: dict[str, str] = {}  # PDF path → signature of what it was rendered from
    lists: str = ""  # signature of the index and the review queue
    site: str = ""  # signature of what the site was last built from (engines.source_signature)

    @classmethod
    def read(cls, folder: Path, code: str) -> Ledger:
        """The ledger in `folder`, or an empty one when it is missing, corrupt, of another
        format or written by other code."""
        try:
            ledger = cls.model_validate_json((folder / FILE_NAME).read_bytes())
        except (OSError, ValidationError, ValueError):
            return cls(code=code)
        return ledger if (ledger.format, ledger.code) == (FORMAT, code) else cls(code=code)

    def write(self, folder: Path) -> None:
        write_text(folder / FILE_NAME, self.model_dump_json())
        # NOTE: what earlier versions kept instead of the ledger (a page manifest, PDF stamps)
        (folder / "pages.json").unlink(missing_ok=True)
        if (folder / "pdf").is_dir():
            import shutil

            shutil.rmtree(folder / "pdf", ignore_errors=True)


def signature(*parts: str) -> str:
    """A content hash of several strings (kept apart, so ("ab", "c") ≠ ("a", "bc"))."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

"""Scale-out: split the questions into stable shards, and merge the shards' drafts.

A question's shard depends only on its slug (a hash), so adding a question never moves the
others between CI runners, and their caches stay warm. Each shard writes its drafts as JSON
into a folder, and, unless PDFs are off, renders their PDFs into its `pdf/` subfolder with
the signature of what each was rendered from; the merge step reads every folder back and
publishes them exactly as a plain build would, reusing each shard's PDF whose signature still
matches instead of rendering all of them on one machine.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.drafting.models import Draft, Question
from generator.machinery.outputs import write_text

FAILURES = "failures.json"
PDFS = "pdf"
SIGNATURES = "signatures.json"


class ShardError(Exception):
    """A shard spec or a shard folder is unusable; the message says how to fix it."""


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, spec: str) -> Shard:
        """'2/5' → Shard(2, 5)."""
        try:
            left, right = spec.split("/")
            shard = cls(int(left), int(right))
        except ValueError:
            raise ShardError(f"--shard {spec!r}: write it as i/n, e.g. 2/5") from None
        if not 1 <= shard.index <= shard.count:
            raise ShardError(f"--shard {spec!r}: i must be between 1 and n")
        return shard

    def holds(self, slug: str) -> bool:
        digest = int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big")
        return digest % self.count == self.index - 1

    def select(self, questions: Iterable[Question]) -> list[Question]:
        return [q for q in questions if self.holds(q.slug)]


def shard_count(questions: int, threshold: int, max_shards: int) -> int:
    """How many shards a question set needs: 1 up to `threshold` questions, then one per
    `threshold` questions, at most `max_shards`."""
    if questions <= threshold:
        return 1
    return min(max_shards, math.ceil(questions / threshold))


def write_shard(folder: Path, drafts: Sequence[Draft], failures: Sequence[tuple[str, str]]) -> None:
    """One JSON file per draft, plus the questions that failed (slug, message)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for draft in drafts:
        write_text(folder / f"{draft.slug}.json", draft.model_dump_json(indent=1))
    write_text(
        folder / FAILURES,
        json.dumps([{"slug": s, "message": m} for s, m in failures], indent=1) + "\n",
    )


def read_shards(folders: Sequence[Path]) -> tuple[list[Draft], list[tuple[str, str]]]:
    """Every draft and failure of the shard folders; a slug in two shards is an error."""
    drafts: dict[str, Draft] = {}
    failures: list[tuple[str, str]] = []
    for folder in folders:
        if not (folder / FAILURES).is_file():
            raise ShardError(f"{folder}: not a shard folder (no {FAILURES}); run build --shard")
        for path in sorted(folder.glob("*.json")):
            if path.name == FAILURES:
                failures += [(f["slug"], f["message"]) for f in json.loads(path.read_text("utf-8"))]
                continue
            try:
                draft = Draft.model_validate_json(path.read_text("utf-8"))
            except ValueError as exc:
                raise ShardError(f"{path}: not a draft ({str(exc).splitlines()[0]})") from None
            if draft.slug in drafts:
                raise ShardError(f"{path}: draft {draft.slug} is in two shards")
            drafts[draft.slug] = draft
    return sorted(drafts.values(), key=lambda d: d.slug), sorted(failures)


def write_shard_pdfs(folder: Path, signatures: dict[str, str]) -> None:
    """Record which PDFs in `folder/pdf/` are good (slug → signature); drop any other."""
    pdfs = folder / PDFS
    for old in pdfs.glob("*.pdf") if pdfs.is_dir() else []:
        if old.stem not in signatures:
            old.unlink()
    write_text(pdfs / SIGNATURES, json.dumps(signatures, indent=1, sort_keys=True) + "\n")


def read_shard_pdfs(folders: Sequence[Path]) -> dict[str, tuple[Path, str]]:
    """slug → (PDF file, signature) for every PDF the shard folders hold. A folder without
    PDFs (built with --no-pdf) or with an unreadable record contributes none."""
    found: dict[str, tuple[Path, str]] = {}
    for folder in folders:
        try:
            signatures = json.loads((folder / PDFS / SIGNATURES).read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(signatures, dict):
            continue
        for slug, signature in signatures.items():
            path = folder / PDFS / f"{slug}.pdf"
            if isinstance(signature, str) and path.is_file():
                found[str(slug)] = (path, signature)
    return found

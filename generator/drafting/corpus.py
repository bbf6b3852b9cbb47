"""The bundled offline corpus: real arXiv records on Mixture-of-Experts (CC0 metadata)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from generator.drafting.models import Paper

BUNDLED = "moe_arxiv.jsonl"


def bundled_path() -> Path:
    """Path of the corpus shipped inside the package."""
    return Path(str(resources.files("generator.drafting") / "data" / BUNDLED))


@lru_cache(maxsize=4)
def load_corpus(path: Path | None = None) -> tuple[Paper, ...]:
    """Read a JSONL corpus of paper records (default: the bundled one)."""
    path = path or bundled_path()
    papers = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                papers.append(
                    Paper(
                        id=record["id"],
                        title=" ".join(record["title"].split()),
                        abstract=" ".join(record["abstract"].split()),
                        authors=tuple(record.get("authors", ())),
                        published=str(record.get("published", "")),
                        categories=tuple(record.get("categories", ())),
                        url=f"https://arxiv.org/abs/{record['id']}",
                        source="local",
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: bad corpus record ({exc})") from None
    return tuple(papers)


@lru_cache(maxsize=4)
def corpus_fingerprint(path: Path | None = None) -> str:
    """Content hash of a corpus file, part of every cache key that depends on it."""
    path = path or bundled_path()
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]

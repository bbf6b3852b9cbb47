"""SciFact-format splits: corpus, claims and qrels, read and checked, and the claim–abstract
pairs the verifier is measured on, with gold rationales mapped onto *our* sentence split."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from generator.drafting.models import Paper

Label = Literal["SUPPORT", "CONTRADICT", "NEI"]


class EvalInputError(Exception):
    """A benchmark file is missing or malformed; the message names the file, line and field."""


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    sentences: tuple[str, ...]

    @cached_property
    def paper(self) -> Paper:
        return Paper(id=f"doc:{self.id}", title=self.title, abstract=" ".join(self.sentences))


@dataclass(frozen=True)
class ClaimRecord:
    id: str
    text: str
    evidence: dict[str, tuple[Label, frozenset[int]]]  # doc id → label, rationale sentences
    cited: tuple[str, ...]


@dataclass(frozen=True)
class Pair:
    """A claim and one abstract it cites; `rationale` indexes the gold sentences."""

    claim: ClaimRecord
    doc: Doc
    label: Label
    rationale: frozenset[int]


@dataclass(frozen=True)
class Split:
    docs: dict[str, Doc]
    claims: tuple[ClaimRecord, ...]
    qrels: dict[str, dict[str, int]]
    fingerprint: str

    def pairs(self) -> Iterator[Pair]:
        for claim in self.claims:
            for doc_id in claim.cited:
                label, rationale = claim.evidence.get(doc_id, ("NEI", frozenset()))
                yield Pair(claim, self.docs[doc_id], label, rationale)


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise EvalInputError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise EvalInputError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(record, dict):
                raise EvalInputError(f"{path}:{number}: expected an object")
            yield number, record


def _field(path: Path, number: int, record: dict[str, Any], name: str, kind: type) -> Any:
    value = record.get(name)
    if not isinstance(value, kind):
        raise EvalInputError(
            f"{path}:{number}: field '{name}' must be {kind.__name__}, not {type(value).__name__}"
        )
    return value


def load_corpus(path: Path) -> dict[str, Doc]:
    docs = {}
    for number, record in _jsonl(path):
        sentences = _field(path, number, record, "abstract", list)
        if not all(isinstance(s, str) for s in sentences):
            raise EvalInputError(f"{path}:{number}: field 'abstract' must be a list of strings")
        doc_id = str(record.get("doc_id", ""))
        if not doc_id:
            raise EvalInputError(f"{path}:{number}: field 'doc_id' is missing")
        title = _field(path, number, record, "title", str)
        docs[doc_id] = Doc(
            doc_id, " ".join(title.split()), tuple(" ".join(s.split()) for s in sentences)
        )
    if not docs:
        raise EvalInputError(f"{path}: no documents")
    return docs


def load_claims(path: Path, docs: dict[str, Doc]) -> tuple[ClaimRecord, ...]:
    claims = []
    for number, record in _jsonl(path):
        text = _field(path, number, record, "claim", str)
        cited = tuple(str(d) for d in _field(path, number, record, "cited_doc_ids", list))
        evidence: dict[str, tuple[Label, frozenset[int]]] = {}
        for doc_id, sets in (record.get("evidence") or {}).items():
            if str(doc_id) not in docs:
                raise EvalInputError(f"{path}:{number}: evidence names unknown doc {doc_id}")
            labels = {s.get("label") for s in sets}
            if not labels <= {"SUPPORT", "CONTRADICT"} or len(labels) != 1:
                raise EvalInputError(f"{path}:{number}: evidence for {doc_id} has labels {labels}")
            rationale = frozenset(i for s in sets for i in s.get("sentences", ()))
            evidence[str(doc_id)] = (labels.pop(), rationale)
        missing = [d for d in cited if d not in docs]
        if missing:
            raise EvalInputError(f"{path}:{number}: cited_doc_ids not in the corpus: {missing}")
        claims.append(ClaimRecord(str(record.get("id", number)), text, evidence, cited))
    if not claims:
        raise EvalInputError(f"{path}: no claims")
    return tuple(claims)


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
                if not row or (number == 1 and not row[-1].strip().lstrip("-").isdigit()):
                    continue  # blank line or the BEIR header
                if len(row) < 3:
                    raise EvalInputError(f"{path}:{number}: expected query-id, corpus-id, score")
                qrels.setdefault(row[0], {})[row[1]] = int(row[-1])
    except OSError as exc:
        raise EvalInputError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError:
        raise EvalInputError(f"{path}:{number}: score must be an integer") from None
    return qrels


def load_split(corpus: Path, claims: Path, qrels: Path) -> Split:
    """The split in these three files; EvalInputError names the first problem found."""
    digest = hashlib.sha256()
    for path in (corpus, claims, qrels):
        try:
            digest.update(path.read_bytes())
        except OSError as exc:
            raise EvalInputError(f"{path}: cannot read ({exc.strerror})") from None
    docs = load_corpus(corpus)
    return Split(docs, load_claims(claims, docs), load_qrels(qrels), digest.hexdigest()[:16])


def align(doc: Doc, ours: list[str]) -> list[frozenset[int]]:
    """For each of our sentences (from the same abstract), the gold sentences it overlaps."""
    text = " ".join(doc.sentences)
    spans, start = [], 0
    for sentence in doc.sentences:
        spans.append((start, start + len(sentence)))
        start += len(sentence) + 1
    found: list[frozenset[int]] = []
    cursor = 0
    for sentence in ours:
        at = text.find(sentence, cursor)
        if at < 0:
            found.append(frozenset())
            continue
        end = at + len(sentence)
        cursor = end
        found.append(frozenset(i for i, (a, b) in enumerate(spans) if a < end and at < b))
    return found

"""Typed data passed between pipeline stages.

Every model is frozen and round-trips through JSON, so a stage's output can be cached by
content and a cached output is indistinguishable from a freshly computed one.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Base for stage data: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- inputs -----------------------------------------------------------------------------


class OwnerReview(Model):
    """An owner's recorded decision on a draft (acted on by the review workflow)."""

    decision: Literal["approve", "reject", "revise"]
    by: str
    date: date
    note: str = ""
    draft_hash: str | None = None


class Question(Model):
    """One research question, as read from `questions/<slug>.yaml`."""

    slug: str
    question: str
    paper: str | None = None
    queries: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    owner: str | None = None
    created: date | None = None
    review: OwnerReview | None = None
    path: str = ""


# --- retrieval --------------------------------------------------------------------------


ARXIV_ID_RE = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})$")


class Paper(Model):
    """A paper record from any source.

    `id` is the arXiv id without version when the paper has one; otherwise `s2:<paperId>` or
    `doi:<doi>`. A paper found by several sources is merged into one record with all links.
    """

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    published: str = ""
    categories: tuple[str, ...] = ()
    url: str = ""
    source: str = ""
    doi: str | None = None
    s2_url: str | None = None
    citations: int | None = None

    @property
    def arxiv_id(self) -> str | None:
        return self.id if ARXIV_ID_RE.fullmatch(self.id) else None

    @property
    def links(self) -> list[tuple[str, str]]:
        """(label, url) for every place the paper can be read, arXiv first."""
        found = []
        if self.arxiv_id:
            found.append(("arXiv", f"https://arxiv.org/abs/{self.arxiv_id}"))
        if self.s2_url:
            found.append(("Semantic Scholar", self.s2_url))
        if self.doi:
            found.append(("DOI", f"https://doi.org/{self.doi}"))
        if not found and self.url:
            found.append(("link", self.url))
        return found

    @property
    def text(self) -> str:
        """Title and abstract, the text every relevance measure reads."""
        return f"{self.title}. {self.abstract}"


class Plan(Model):
    """Output of `plan`: the search queries and where they came from."""

    queries: tuple[str, ...]
    origin: Literal["question-file", "keyphrases", "llm"]
    model: str | None = None
    failures: tuple[str, ...] = ()


class QueryHits(Model):
    """What one query returned from one source."""

    query: str
    source: str
    hits: int
    error: str | None = None


class RankedPaper(Model):
    """A retrieved paper with its relevance to the question."""

    paper: Paper
    relevance: float
    matched_queries: tuple[int, ...] = ()


class SearchResult(Model):
    """Output of `search`: merged, de-duplicated, ranked papers (best first)."""

    papers: tuple[RankedPaper, ...]
    queries: tuple[str, ...]
    per_query: tuple[QueryHits, ...]
    pool_size: int
    keep: int
    sources: tuple[str, ...]
    relevance_model: str
    failures: tuple[str, ...] = ()


class Coverage(Model):
    """Do the papers searched address the question at all? Judged on an absolute scale: the
    best paper's calibrated P(addresses the question), never relative to other papers."""

    covered: bool
    probability: float
    best_paper: str | None
    papers: int
    threshold: float
    method: str


class Selection(Model):
    """Output of `select`: the primary paper and how well it matches the question.

    `match` is the calibrated probability that the primary paper addresses the question;
    `relevance` is the search ranker's score of the primary, kept for reference."""

    primary: Paper
    pinned: bool
    match: float
    coverage: Coverage
    relevance: float
    rank_in_retrieved: int | None
    corpus_rank: int | None = None
    corpus_size: int | None = None
    named_terms: tuple[str, ...] = ()
    named_terms_found: tuple[str, ...] = ()
    mismatch: bool
    mismatch_reasons: tuple[str, ...] = ()


ClaimKind = Literal["finding", "contribution"]


class Claim(Model):
    """A finding or contribution stated by the primary paper."""

    text: str
    sentence_index: int
    kind: ClaimKind
    cues: tuple[str, ...] = ()


class Extraction(Model):
    """Output of `extract`. `dropped` holds a language model's claims that the primary
    paper's abstract does not state or entail, refused by the claim gate."""

    claims: tuple[Claim, ...]
    sentences: int
    background_skipped: int
    method: str
    dropped: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()


ClaimState = Literal["supported", "contradicted", "related", "no_evidence"]
Stance = Literal["supports", "contradicts", "unclear"]

# How each state reads on a page, with its mark; the order is the order of strength.
STATE_LABELS: dict[str, tuple[str, str]] = {
    "supported": ("✓", "supported"),
    "contradicted": ("✗", "contradicted"),
    "related": ("~", "related only"),
    "no_evidence": ("–", "no evidence"),
}


class Evidence(Model):
    """The best sentence found for a claim in another retrieved paper, and how it was judged.

    `score` is the evidence strength the states are decided on (semantic and lexical
    similarity and claim-term coverage mixed); `semantic`, `lexical` and `coverage` are its
    parts; `stance` is the judge's reading of the sentence against the claim (None when the
    evidence was too weak to judge) and `contradiction` its probability (rules judge) or None
    (a model that answers with a label)."""

    sentence: str
    paper_id: str
    paper_title: str
    score: float
    semantic: float | None = None
    lexical: float = 0.0
    coverage: float = 0.0
    stance: Stance | None = None
    contradiction: float | None = None
    judge: str = "rules"
    reason: str = ""


class ClaimCheck(Model):
    """One claim's verification result.

    `state` is what the page shows; `confidence` is the calibrated probability that the
    evidence is real (see Verification.calibration); `tfidf` is the seeds' measure, the best
    TF-IDF cosine over all evidence sentences, kept for comparison."""

    claim: Claim
    state: ClaimState
    confidence: float
    evidence: Evidence | None = None
    tfidf: float = 0.0

    @property
    def verified(self) -> bool:
        """Supported by evidence: the only state a tribunal counts in a claim's favour."""
        return self.state == "supported"


class Verification(Model):
    """Output of `verify`."""

    checks: tuple[ClaimCheck, ...]
    threshold: float
    method: str
    papers_compared: int
    sentences_compared: int
    semantic_method: str | None = None
    stance_method: str = ""
    calibration: str = ""
    failures: tuple[str, ...] = ()

    @property
    def verified_count(self) -> int:
        return sum(c.verified for c in self.checks)

    def count(self, state: ClaimState) -> int:
        return sum(c.state == state for c in self.checks)


AnswerVerdict = Literal["yes", "no", "mixed", "answered", "not_answered", "not_covered"]
StatementStance = Literal["supports", "contradicts", "unclear", "answers", "related"]

# How each verdict reads on a page and on the index.
VERDICT_LABELS: dict[str, str] = {
    "yes": "Yes",
    "no": "No",
    "mixed": "Mixed",
    "answered": "Answered in part",
    "not_answered": "Not answered",
    "not_covered": "Not covered",
}


class Statement(Model):
    """A sentence of a retrieved paper that bears on the question, with its stance towards
    the question's claim (yes/no questions) or whether it answers it (open questions).
    `text` is a language model's wording of it, when one wrote the answer."""

    sentence: str
    paper_id: str
    paper_title: str
    stance: StatementStance
    strength: float
    reason: str = ""
    text: str | None = None


class Answer(Model):
    """Output of `answer`: the direct answer to the question and the quoted statements behind
    it. `hypothesis` is a yes/no question turned into the claim it asks about (None for an
    open question); `dropped` counts a language model's statements refused by the quote gate."""

    verdict: AnswerVerdict
    summary: str
    statements: tuple[Statement, ...]
    hypothesis: str | None
    papers: int
    method: str
    dropped: int = 0
    failures: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]


class Signal(Model):
    """A measured quantity a tribunal role scores from."""

    name: str
    value: float
    normalized: float = Field(ge=0.0, le=1.0)
    weight: float
    detail: str


Verdict = Literal["APPROVE", "REVISE", "REJECT"]


Role = Literal["SKEPTIC", "VALIDATOR", "SYNTHESIZER"]


class RoleReview(Model):
    """One role's score (0–10) with the signals behind it; `judge` says who gave the score
    (the rules rubric, or which language model), truthfully after a fallback."""

    role: Role
    score: float
    signals: tuple[Signal, ...]
    rationale: str
    judge: str = ""


class TribunalResult(Model):
    """Output of `review` for one round."""

    round: int
    roles: tuple[RoleReview, ...]
    score: float
    verdict: Verdict
    backend: str
    failures: tuple[str, ...] = ()
    approve_at: float
    reject_below: float


class Gate(Model):
    """A condition under which no tribunal score may approve a draft, found true."""

    name: str
    detail: str


class Decision(Model):
    """Output of `decide`: the publication policy, and the gates that forced escalation."""

    policy: Literal["AUTO_APPROVE", "ESCALATE_TO_OWNER"]
    reason: str
    gates: tuple[Gate, ...] = ()


class Round(Model):
    """One attempt: the retrieval and verification it used, and its review."""

    index: int
    search: SearchResult
    verification: Verification
    answer: Answer
    tribunal: TribunalResult
    note: str = ""


class StageRun(Model):
    """Provenance of one stage computation (the same whether this build computed it or
    found it in the cache, so a rebuild renders the same page)."""

    stage: str
    version: str
    key: str
    seconds: float
    ran_at: str


class Provenance(Model):
    """What ran to produce a draft."""

    generator_version: str
    sources: tuple[str, ...]
    corpus: str
    relevance_model: str
    extractor: str
    verifier: str
    tribunal: str
    settings_hash: str
    stages: tuple[StageRun, ...]


class Draft(Model):
    """Everything one question's pipeline produced; rendered into page, JSON and PDF."""

    slug: str
    question: Question
    plan: Plan
    selection: Selection
    extraction: Extraction
    rounds: tuple[Round, ...]
    decision: Decision
    ran_on: date
    provenance: Provenance

    @property
    def final(self) -> Round:
        return self.rounds[-1]

    @property
    def answer(self) -> Answer:
        return self.final.answer

    @property
    def failures(self) -> list[str]:
        """Everything that failed while this draft was made, in pipeline order, once each."""
        found = [*self.plan.failures]
        for r in self.rounds:
            found += [
                f"{h.source} failed for query “{h.query}”: {h.error}"
                for h in r.search.per_query
                if h.error
            ]
            found += [*r.search.failures, *r.verification.failures, *r.answer.failures]
            found += r.tribunal.failures
        found += self.extraction.failures
        return list(dict.fromkeys(found))

"""The one settings file, `sovereign.yml`: typed options with defaults and descriptions.

Every option is documented by its `description`; `sovereign config` prints them all, and a
test checks the README mentions each section. Unknown keys are errors with a "did you mean".
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from generator.inputs.validation import problems_from
from generator.inputs.yamlsrc import LoadedYaml, Problem, YamlError, read_yaml

LOGIN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?")

SETTINGS_FILE = "sovereign.yml"


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PathSettings(Section):
    questions: str = Field("questions", description="Folder of question YAML files.")
    docs_dir: str = Field("site_src", description="MkDocs docs_dir; drafts are written under it.")
    site_dir: str = Field("site", description="Where the built site goes.")
    review_dir: str = Field(
        "review", description="Escalated drafts awaiting the owner (not published)."
    )
    cache_dir: str = Field(".cache/sovereign", description="Pipeline stage cache (diskcache).")
    mkdocs_config: str = Field("mkdocs.yml", description="MkDocs configuration file.")


class PlanSettings(Section):
    backend: Literal["keyphrases", "llm"] = Field(
        "keyphrases", description="How queries are derived: keyphrases (offline) or llm."
    )
    queries: int = Field(4, ge=1, le=12, description="Search queries derived per question.")


class SearchSettings(Section):
    sources: tuple[Literal["local", "arxiv", "semantic_scholar"], ...] = Field(
        ("local",), min_length=1, description="Paper sources to query, by name."
    )
    ranker: Literal["hybrid", "bm25", "tfidf"] = Field(
        "hybrid",
        description="How the local source ranks its corpus for a query: hybrid (BM25 and "
        "all-MiniLM-L6-v2 fused by reciprocal rank), bm25 or tfidf.",
    )
    local_corpus: str | None = Field(
        None, description="JSONL corpus for the local source (default: the bundled MoE corpus)."
    )
    per_query: int = Field(20, ge=1, le=200, description="Results requested per query and source.")
    keep: int = Field(12, ge=2, le=200, description="Papers kept after merging, best first.")


class SelectSettings(Section):
    named_term_max_df: float = Field(
        0.05,
        gt=0,
        le=1,
        description="A question term counts as a specific name (method, dataset) when at most "
        "this fraction of the corpus mentions it.",
    )


class EmbedderSettings(Section):
    backend: Literal["tfidf", "minilm", "nim"] = Field(
        "minilm",
        description="Relevance of papers to the question: minilm (local model), tfidf "
        "(offline, word overlap) or nim.",
    )


class ExtractSettings(Section):
    backend: Literal["rules", "llm"] = Field(
        "rules", description="Claim extraction: rules (cue phrases, offline) or llm."
    )
    max_claims: int = Field(
        10, ge=1, le=50, description="Most claims taken from the primary paper."
    )


class AnswerSettings(Section):
    backend: Literal["extractive", "llm"] = Field(
        "extractive",
        description="How the Answer's statements are written: extractive (quoted sentences, "
        "offline) or llm (the model's words, each kept only when the sentence it cites "
        "states it).",
    )


class VerifySettings(Section):
    backend: Literal["minilm", "tfidf"] = Field(
        "minilm",
        description="How evidence is scored: minilm (local all-MiniLM-L6-v2 and TF-IDF, "
        "offline) or tfidf (the seeds' TF-IDF cosine alone).",
    )
    stance: Literal["auto", "rules", "llm"] = Field(
        "auto",
        description="Who judges whether evidence supports or contradicts a claim: rules "
        "(fitted cues, offline), llm, or auto (llm when an LLM backend is configured).",
    )
    threshold: float = Field(
        0.15,
        gt=0,
        lt=1,
        description="The seeds' TF-IDF cosine threshold, shown beside each claim for comparison.",
    )
    ngram_max: int = Field(2, ge=1, le=3, description="Longest word n-gram in the TF-IDF model.")


class ReviewSettings(Section):
    backend: Literal["rules", "llm"] = Field(
        "rules", description="Tribunal backend: rules (offline rubric) or llm (three role prompts)."
    )
    approve_at: float = Field(6.5, ge=0, le=10, description="Tribunal score that approves.")
    reject_below: float = Field(
        4.0, ge=0, le=10, description="Tribunal score below which it rejects."
    )
    max_revisions: int = Field(1, ge=0, le=3, description="Revision rounds for scores in between.")
    revision_keep: int = Field(
        24, ge=2, le=400, description="Papers kept by the broader retrieval of a revision round."
    )

    @model_validator(mode="after")
    def _ordered(self) -> ReviewSettings:
        if self.reject_below > self.approve_at:
            raise ValueError("reject_below must not exceed approve_at")
        return self


class ShardSettings(Section):
    threshold: int = Field(
        200, ge=1, description="Questions per CI shard; at or below this, one runner builds all."
    )
    max_shards: int = Field(8, ge=1, le=256, description="Most CI runners a build spreads over.")


class PolicySettings(Section):
    escalate_on_mismatch: bool = Field(
        True, description="Escalate a draft whose primary paper does not match its question."
    )
    owners: tuple[str, ...] = Field(
        (),
        description="GitHub logins whose `review:` decisions count (`by:`); a decision by "
        "anyone else is ignored, and the pull-request check fails when someone else changes "
        "one. Empty: no decision counts.",
    )

    # Who may publish changes no draft: these keys are left out of every cache key.
    PUBLISHING_ONLY: ClassVar[frozenset[str]] = frozenset({"owners"})

    def for_drafts(self) -> dict[str, Any]:
        """The settings a draft depends on (what `decide` reads), for cache keys."""
        return self.model_dump(mode="json", exclude=set(self.PUBLISHING_ONLY))

    @field_validator("owners")
    @classmethod
    def _logins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not LOGIN_RE.fullmatch(name.lstrip("@")):
                raise ValueError(
                    f"{name!r} is not a GitHub login (letters, digits and '-', e.g. ada-owner)"
                )
        return tuple(name.lstrip("@") for name in value)


class SiteSettings(Section):
    engine: Literal["mkdocs", "zensical"] = Field(
        "zensical",
        description="What builds the static site from docs_dir: zensical (Material's "
        "maintained successor; reads mkdocs.yml) or mkdocs (MkDocs with Material for MkDocs, "
        "which reaches end of life on 2027-05-05).",
    )
    url: str | None = Field(
        None,
        description="The public address of the built site (e.g. https://owner.github.io/"
        "repo/). The feed's links are absolute with it (what feed readers need), relative to "
        "the feed without it.",
    )

    @field_validator("url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError(f"{value!r} is not an http(s) address like https://example.org/")
        return value


class ServiceSettings(Section):
    """How to reach one web service; every live backend has one of these."""

    base_url: str = Field(description="Base URL (a mirror, proxy or test server may stand in).")
    api_key_env: str | None = Field(
        None, description="Environment variable holding the API key (never the key itself)."
    )
    timeout: float = Field(
        30.0,
        gt=0,
        le=600,
        description="Seconds a request may take in all, from sending it to the answer's last "
        "byte (a server that trickles its answer is cut off too).",
    )
    retries: int = Field(4, ge=0, le=10, description="Retries on 429, 5xx, timeouts and resets.")
    backoff: float = Field(
        1.0,
        ge=0,
        le=60,
        description="First retry delay in seconds; doubles per retry, plus jitter.",
    )
    max_backoff: float = Field(
        60.0, ge=0, le=3600, description="Longest wait between retries, Retry-After included."
    )
    min_interval: float = Field(
        0.0, ge=0, le=60, description="Seconds between request starts, shared by the whole build."
    )
    cache_ttl_days: float = Field(
        7.0, ge=0, description="How long answers are reused from the HTTP cache (0: never cached)."
    )
    circuit_after: int = Field(
        8,
        ge=0,
        le=1000,
        description="Failed attempts in a row (of any request, retries included) after which "
        "the service is not asked again in this build; the drafts that needed it say so "
        "(0: always ask).",
    )
    max_body_mb: float = Field(
        20.0,
        gt=0,
        le=1000,
        description="Largest answer accepted, in MB; a larger one is refused, not parsed or "
        "cached.",
    )


def _default(name: str, value: object, description: str | None = None) -> Any:
    """The base class's field `name` with another default (its limits and description kept,
    or `description` instead)."""
    info = ServiceSettings.model_fields[name]
    limits: dict[str, Any] = {}
    for rule in info.metadata:
        limits.update({k: getattr(rule, k) for k in ("gt", "ge", "lt", "le") if hasattr(rule, k)})
    return Field(
        value,
        description=description or info.description,
        gt=limits.get("gt"),
        ge=limits.get("ge"),
        lt=limits.get("lt"),
        le=limits.get("le"),
    )


class ArxivSettings(ServiceSettings):
    base_url: str = _default("base_url", "https://export.arxiv.org/api")
    min_interval: float = _default(
        "min_interval",
        3.2,
        "Seconds between request starts, shared by the whole build; arXiv asks for one "
        "request every 3 s, and 3.2 keeps a margin for network jitter.",
    )


class SemanticScholarSettings(ServiceSettings):
    base_url: str = _default("base_url", "https://api.semanticscholar.org/graph/v1")
    api_key_env: str | None = _default("api_key_env", "S2_API_KEY")
    min_interval: float = _default("min_interval", 1.0)


class NimSettings(ServiceSettings):
    base_url: str = _default("base_url", "https://integrate.api.nvidia.com/v1")
    api_key_env: str | None = _default("api_key_env", "NVIDIA_API_KEY")
    model: str = Field("nvidia/nv-embedqa-e5-v5", description="Embedding model.")
    dimensions: int = Field(1024, ge=1, description="Embedding size the model returns.")
    batch_size: int = Field(32, ge=1, le=512, description="Texts per embeddings request.")


class LlmSettings(ServiceSettings):
    base_url: str = _default("base_url", "https://integrate.api.nvidia.com/v1")
    api_key_env: str | None = _default("api_key_env", "NVIDIA_API_KEY")
    timeout: float = _default(
        "timeout", 120.0, "Seconds before a request times out (a long answer takes time)."
    )
    retries: int = _default("retries", 3)
    model: str = Field(
        "meta/llama-3.3-70b-instruct", description="Chat model of the OpenAI-compatible endpoint."
    )
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(1500, ge=16, le=32000, description="Longest answer requested.")


class ServicesSettings(Section):
    question_deadline: float = Field(
        600.0,
        gt=0,
        le=86400,
        description="Seconds one question may spend on web services in all. Past it no "
        "request is sent or retried: the stages fall back to their offline methods and the "
        "draft is escalated with partial data, saying so.",
    )
    arxiv: ArxivSettings = Field(ArxivSettings(), description="arXiv export API (Atom).")
    semantic_scholar: SemanticScholarSettings = Field(
        SemanticScholarSettings(), description="Semantic Scholar Academic Graph API."
    )
    nim: NimSettings = Field(NimSettings(), description="NVIDIA NIM embeddings endpoint.")
    llm: LlmSettings = Field(LlmSettings(), description="OpenAI-compatible chat completions.")


class Settings(Section):
    """All settings; each section is read by the stages named in its docstring."""

    paths: PathSettings = PathSettings()
    plan: PlanSettings = PlanSettings()
    search: SearchSettings = SearchSettings()
    select: SelectSettings = SelectSettings()
    embedder: EmbedderSettings = EmbedderSettings()
    extract: ExtractSettings = ExtractSettings()
    verify: VerifySettings = VerifySettings()
    answer: AnswerSettings = AnswerSettings()
    review: ReviewSettings = ReviewSettings()
    policy: PolicySettings = PolicySettings()
    shards: ShardSettings = ShardSettings()
    site: SiteSettings = SiteSettings()
    services: ServicesSettings = ServicesSettings()

    # Sections no draft depends on (where files go, how CI spreads the work, how the site is
    # built): left out of the settings digest.
    NOT_IN_DRAFTS: ClassVar[frozenset[str]] = frozenset({"paths", "shards", "site"})

    def offline(self) -> Settings:
        """The same settings with every backend switched to its offline default."""
        return self.model_copy(
            update={
                "plan": self.plan.model_copy(update={"backend": "keyphrases"}),
                "search": self.search.model_copy(update={"sources": ("local",)}),
                "embedder": EmbedderSettings(),
                "extract": self.extract.model_copy(update={"backend": "rules"}),
                "answer": AnswerSettings(),
                "review": self.review.model_copy(update={"backend": "rules"}),
                "verify": self.verify.model_copy(
                    update={"stance": "auto" if self.verify.stance == "llm" else self.verify.stance}
                ),
            }
        )

    def live_services(self) -> list[str]:
        """Names of the web services these settings will call."""
        used: list[str] = [s for s in self.search.sources if s != "local"]
        if self.embedder.backend == "nim":
            used.append("nim")
        if (
            "llm"
            in (self.plan.backend, self.extract.backend, self.answer.backend, self.review.backend)
            or self.verify.stance == "llm"
        ):
            used.append("llm")
        return used

    def stance_judge(self) -> Literal["rules", "llm"]:
        """Who judges stance: the setting, with `auto` meaning llm when an LLM is in use."""
        if self.verify.stance == "auto":
            return "llm" if "llm" in self.live_services() else "rules"
        return self.verify.stance

    def digest(self) -> str:
        """Short content hash of every setting a draft depends on (shown in provenance; who
        may publish is left out, so editing the owners recomputes nothing)."""
        data = {
            **self.model_dump(mode="json", exclude=set(self.NOT_IN_DRAFTS)),
            "policy": self.policy.for_drafts(),
        }
        if self.search.local_corpus:  # what the corpus holds, wherever the project lies
            from generator.drafting.corpus import corpus_fingerprint

            data["search"]["local_corpus"] = corpus_fingerprint(Path(self.search.local_corpus))
        blob = json.dumps(data, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


class SettingsError(Exception):
    """The settings file is invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def load_settings(root: Path, overrides: dict | None = None) -> Settings:
    """Read `sovereign.yml` under `root` (defaults when absent), then apply `overrides`."""
    path = root / SETTINGS_FILE
    loaded = LoadedYaml(data={})
    if path.exists():
        try:
            loaded = read_yaml(path, SETTINGS_FILE)
        except YamlError as exc:
            raise SettingsError(exc.problems) from None
    data = loaded.data if loaded.data is not None else {}
    if not isinstance(data, dict):
        raise SettingsError([Problem(SETTINGS_FILE, 1, "", "must be a mapping of sections")])
    # A section whose keys are all commented out (`verify:`) reads as null: use its defaults.
    data = {name: {} if value is None else value for name, value in data.items()}
    for dotted, value in (overrides or {}).items():
        section, key = dotted.split(".", 1)
        target = data.setdefault(section, {})
        if isinstance(target, dict):  # otherwise validation reports the file's bad section
            target[key] = value
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(problems_from(exc, Settings, loaded, SETTINGS_FILE)) from None
    corpus = settings.search.local_corpus
    if corpus:
        path = Path(corpus) if Path(corpus).is_absolute() else root / corpus
        if not path.is_file():
            line = loaded.line_of(("search", "local_corpus"))
            message = f"{corpus}: no such file (a relative path is read from {root})"
            raise SettingsError([Problem(SETTINGS_FILE, line, "search.local_corpus", message)])
        search = settings.search.model_copy(update={"local_corpus": str(path)})
        settings = settings.model_copy(update={"search": search})
    return settings


def corpus_path(settings: Settings) -> Path | None:
    """The local corpus file the settings name (None: the bundled corpus)."""
    return Path(settings.search.local_corpus) if settings.search.local_corpus else None

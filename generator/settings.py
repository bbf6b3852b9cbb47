"""The one settings file, `sovereign.yml`: typed options with defaults and descriptions.

Every option is documented by its `description`; `sovereign config` prints them all, and a
test checks the README mentions each section. Unknown keys are errors with a "did you mean".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .validation import problems_from
from .yamlsrc import LoadedYaml, Problem, YamlError, read_yaml

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
    queries: int = Field(4, ge=1, le=12, description="Search queries derived per question.")


class SearchSettings(Section):
    sources: tuple[Literal["local"], ...] = Field(
        ("local",), min_length=1, description="Paper sources to query, by name."
    )
    ranker: Literal["bm25", "tfidf"] = Field(
        "bm25", description="How the local source ranks its corpus for a query."
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


class ExtractSettings(Section):
    max_claims: int = Field(
        10, ge=1, le=50, description="Most claims taken from the primary paper."
    )


class VerifySettings(Section):
    threshold: float = Field(
        0.15, gt=0, lt=1, description="TF-IDF cosine at or above which a claim counts as verified."
    )
    ngram_max: int = Field(2, ge=1, le=3, description="Longest word n-gram in the TF-IDF model.")


class ReviewSettings(Section):
    backend: Literal["rules"] = Field("rules", description="Tribunal backend.")
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


class PolicySettings(Section):
    escalate_on_mismatch: bool = Field(
        True, description="Escalate a draft whose primary paper does not match its question."
    )


class Settings(Section):
    """All settings; each section is read by the stages named in its docstring."""

    paths: PathSettings = PathSettings()
    plan: PlanSettings = PlanSettings()
    search: SearchSettings = SearchSettings()
    select: SelectSettings = SelectSettings()
    extract: ExtractSettings = ExtractSettings()
    verify: VerifySettings = VerifySettings()
    review: ReviewSettings = ReviewSettings()
    policy: PolicySettings = PolicySettings()

    def digest(self) -> str:
        """Short content hash of every setting (shown in provenance)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True)
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
    if corpus and not Path(corpus).is_absolute():
        search = settings.search.model_copy(update={"local_corpus": str(root / corpus)})
        settings = settings.model_copy(update={"search": search})
    return settings


def corpus_path(settings: Settings) -> Path | None:
    """The local corpus file the settings name (None: the bundled corpus)."""
    return Path(settings.search.local_corpus) if settings.search.local_corpus else None

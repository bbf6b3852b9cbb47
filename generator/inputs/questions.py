"""Question files: `questions/<slug>.yaml`, validated with file, line and field in errors."""

from __future__ import annotations

import hashlib
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from generator.drafting.models import OwnerReview, Question
from generator.inputs.validation import problems_from
from generator.inputs.yamlsrc import LoadedYaml, Problem, YamlError, read_yaml

# The question files' JSON Schema (written by scripts/write_schema.py from `QuestionFile`).
SCHEMA = Path(__file__).with_name("schema") / "question.schema.json"

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
ARXIV_ID = r"^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})$"
SCHEMA_ID = "https://sovereign.invalid/schema/question.schema.json"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class QuestionFile(BaseModel):
    """The format of a question file (the JSON Schema shipped in the repo is made from it)."""

    model_config = ConfigDict(
        extra="forbid",
        title="Sovereign research question",
        json_schema_extra={"$id": SCHEMA_ID},
    )

    question: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=1000)
    ] = Field(description="The research question, one or more full sentences.")
    paper: Annotated[str, StringConstraints(pattern=ARXIV_ID)] | None = Field(
        None, description="arXiv id (no version) of the paper to analyse; default: the best match."
    )
    queries: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]]
        | None
    ) = Field(
        None,
        min_length=1,
        max_length=12,
        description="Search queries to use instead of derived ones.",
    )
    tags: list[Tag] = Field(
        default_factory=list, max_length=20, description="Lowercase tags shown on the site."
    )
    owner: Text | None = Field(None, description="Who answers for this question.")
    created: date | None = Field(None, description="When the question was proposed (YYYY-MM-DD).")
    review: OwnerReview | None = Field(
        None, description="The owner's decision on the current draft."
    )

    @field_validator("paper", mode="before")
    @classmethod
    def _quoted_id(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                f'YAML read the id as the number {value!r}; quote it, e.g. paper: "2303.01610"'
            )
        if isinstance(value, str) and not re.fullmatch(ARXIV_ID, value):
            bare = re.sub(r"v\d+$", "", value.strip().rsplit("/abs/", 1)[-1])
            hint = f'; did you mean "{bare}"?' if re.fullmatch(ARXIV_ID, bare) else ""
            raise ValueError(
                f"{value!r} is not an arXiv id such as 2303.01610 or hep-th/9901001 "
                f"(no version suffix, no URL){hint}"
            )
        return value


@dataclass(frozen=True)
class QuestionSet:
    """The valid questions and the problems of the invalid ones."""

    questions: list[Question]
    problems: list[Problem]


def question_files(folder: Path) -> list[Path]:
    """Every question file in `folder`, sorted by name."""
    return sorted(p for p in folder.glob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_question(path: Path, display: str) -> Question:
    """Load and validate one question file; raise `YamlError` listing its problems."""
    problems: list[Problem] = []
    slug = path.stem
    if not SLUG_RE.fullmatch(slug):
        problems.append(
            Problem(
                display,
                None,
                "file name",
                f"'{slug}' is not a valid slug: use lowercase a-z, 0-9 and '-', "
                "at most 80 characters",
            )
        )
    loaded = read_yaml(path, display)
    if loaded.data is None:
        raise YamlError(
            [*problems, Problem(display, 1, "question", "file is empty; a question is required")]
        )
    if not isinstance(loaded.data, dict):
        raise YamlError(
            [*problems, Problem(display, 1, "", "must be a mapping with a 'question' key")]
        )
    data = loaded.data
    unquoted = _unquoted_id(path, loaded, display)
    if unquoted:
        problems.append(unquoted)
        data = {k: v for k, v in data.items() if k != "paper"}
    try:
        parsed = QuestionFile.model_validate(data)
    except ValidationError as exc:
        problems += problems_from(exc, QuestionFile, loaded, display)
    if problems:
        raise YamlError(problems)
    return Question(
        slug=slug,
        question=" ".join(parsed.question.split()),
        paper=parsed.paper,
        queries=tuple(parsed.queries or ()),
        tags=tuple(dict.fromkeys(parsed.tags)),
        owner=parsed.owner,
        created=parsed.created,
        review=parsed.review,
        path=display,
    )


def _unquoted_id(path: Path, loaded: LoadedYaml, display: str) -> Problem | None:
    """An arXiv id YAML read as a number (2303.01610 becomes 2303.0161): the problem, quoting
    the id as the user typed it."""
    value = loaded.data.get("paper")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    line = loaded.line_of(("paper",))
    typed = None
    if line:
        source = path.read_text(encoding="utf-8").splitlines()[line - 1]
        found = re.search(r"\bpaper\s*:\s*([^\s#,}]+)", source)
        typed = found.group(1) if found else None
    typed = typed or repr(value)
    return Problem(
        display,
        line,
        "paper",
        f'YAML read {typed} as the number {value!r}; quote the id: paper: "{typed}"',
    )


Memo = MutableMapping[str, tuple[str, dict[str, Any]]]


def load_questions(folder: Path, root: Path | None = None, memo: Memo | None = None) -> QuestionSet:
    """Load every question file; one broken file never hides the others.

    `memo` (display path → content hash and the validated question, kept in the build ledger)
    skips parsing a file whose bytes have not changed; it is updated in place.
    """
    questions: list[Question] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    if not folder.is_dir():
        return QuestionSet([], [Problem(str(folder), None, "", "questions folder does not exist")])
    for path in question_files(folder):
        display = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
        if path.stem in seen:
            problems.append(
                Problem(
                    display,
                    None,
                    "file name",
                    f"duplicate slug '{path.stem}' (also {seen[path.stem]})",
                )
            )
            continue
        seen[path.stem] = display
        try:
            questions.append(_load_memoised(path, display, memo))
        except YamlError as exc:
            problems += exc.problems
    if memo is not None:
        for gone in set(memo) - set(seen.values()):
            del memo[gone]
    return QuestionSet(questions, problems)


def _load_memoised(path: Path, display: str, memo: Memo | None) -> Question:
    if memo is None:
        return load_question(path, display)
    try:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return load_question(path, display)  # reports the problem with its path
    known = memo.get(display)
    if known is not None and known[0] == sha:
        try:
            return Question.model_validate(known[1])
        except ValidationError:
            pass
    memo.pop(display, None)
    question = load_question(path, display)
    memo[display] = (sha, question.model_dump(mode="json"))
    return question

"""Question files: loading, validation and `file:line: field: message` problems."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from generator.drafting.models import OwnerReview, Question
from generator.inputs.questions import SCHEMA, QuestionFile, load_question, load_questions
from generator.inputs.yamlsrc import MAX_BYTES, YamlError, parse_yaml, read_yaml

OK = "question: How does expert load balancing affect MoE training stability?\n"

ALLOWED = "allowed: question, paper, queries, tags, owner, created, review"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "questions"
    path.mkdir()
    return path


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def problems(folder: Path) -> list[str]:
    """Every problem line of the folder, shown relative to its parent (`questions/...`)."""
    loaded = load_questions(folder, root=folder.parent)
    return [str(p) for p in loaded.problems]


def only_problems(folder: Path, name: str, content: str | bytes) -> list[str]:
    write(folder, name, content)
    loaded = load_questions(folder, root=folder.parent)
    assert loaded.questions == []
    return [str(p) for p in loaded.problems]


# --- valid files ----------------------------------------------------------------------------


def test_valid_file_round_trips_every_field(folder: Path) -> None:
    write(
        folder,
        "load-balance.yaml",
        """\
# a comment
question: >
  How does expert load balancing
  affect MoE training stability?
paper: "2303.01610"
queries:
  - expert load balancing
  - MoE training stability
tags: [moe, routing, moe]
owner: Alice Example
created: 2025-01-02
review:
  decision: approve
  by: Bob
  date: 2025-02-03
  note: fine as it is
""",
    )
    loaded = load_questions(folder, root=folder.parent)
    assert loaded.problems == []
    assert loaded.questions == [
        Question(
            slug="load-balance",
            question="How does expert load balancing affect MoE training stability?",
            paper="2303.01610",
            queries=("expert load balancing", "MoE training stability"),
            tags=("moe", "routing"),  # duplicates dropped, order kept
            owner="Alice Example",
            created=date(2025, 1, 2),
            review=OwnerReview(
                decision="approve", by="Bob", date=date(2025, 2, 3), note="fine as it is"
            ),
            path="questions/load-balance.yaml",
        )
    ]


def test_minimal_file_gets_defaults(folder: Path) -> None:
    path = write(folder, "minimal.yml", OK)
    question = load_question(path, "minimal.yml")
    assert question.slug == "minimal"
    assert question.paper is None
    assert question.queries == ()
    assert question.tags == ()
    assert question.review is None
    assert question.path == "minimal.yml"


def test_old_style_arxiv_id_is_accepted(folder: Path) -> None:
    path = write(folder, "old-id.yaml", OK + "paper: hep-th/9901001\n")
    assert load_question(path, "old-id.yaml").paper == "hep-th/9901001"


def test_questions_are_loaded_in_file_name_order(folder: Path) -> None:
    for name in ("b.yaml", "a.yaml", "c.yml"):
        write(folder, name, OK)
    write(folder, "notes.txt", "not a question")
    loaded = load_questions(folder)
    assert [q.slug for q in loaded.questions] == ["a", "b", "c"]
    assert loaded.problems == []


def test_missing_folder_is_a_problem(tmp_path: Path) -> None:
    loaded = load_questions(tmp_path / "nowhere")
    assert loaded.questions == []
    assert [str(p) for p in loaded.problems] == [
        f"{tmp_path / 'nowhere'}: questions folder does not exist"
    ]


# --- YAML-level problems --------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(folder: Path) -> None:
    found = only_problems(folder, "broken.yaml", OK + "tags: [moe, routing\nowner: me\n")
    assert len(found) == 1
    assert found[0].startswith("questions/broken.yaml:3: invalid YAML: ")
    assert "flow sequence" in found[0]


def test_bad_indentation_names_the_line(folder: Path) -> None:
    found = only_problems(folder, "indent.yaml", OK + "tags:\n  - moe\n bad: 1\n")
    assert len(found) == 1
    assert found[0].startswith("questions/indent.yaml:4: invalid YAML: ")


def test_duplicate_key_names_the_line_of_the_duplicate(folder: Path) -> None:
    found = only_problems(
        folder, "dup.yaml", OK + "tags: [moe]\nquestion: Is this the second question?\n"
    )
    assert found == ["questions/dup.yaml:3: question: duplicate key (first set on line 1)"]


def test_nested_duplicate_key_names_its_path(folder: Path) -> None:
    content = OK + "review:\n  decision: approve\n  by: Bob\n  by: Carol\n  date: 2025-02-03\n"
    found = only_problems(folder, "nested-dup.yaml", content)
    assert found == ["questions/nested-dup.yaml:5: review.by: duplicate key (first set on line 4)"]


def test_empty_file(folder: Path) -> None:
    assert only_problems(folder, "empty.yaml", "") == [
        "questions/empty.yaml:1: question: file is empty; a question is required"
    ]


def test_comment_only_file_counts_as_empty(folder: Path) -> None:
    assert only_problems(folder, "comments.yaml", "# question: later\n\n") == [
        "questions/comments.yaml:1: question: file is empty; a question is required"
    ]


@pytest.mark.parametrize("content", ["- a\n- b\n", "just some text\n", "42\n"])
def test_non_mapping_top_level(folder: Path, content: str) -> None:
    assert only_problems(folder, "list.yaml", content) == [
        "questions/list.yaml:1: must be a mapping with a 'question' key"
    ]


def test_invalid_utf8_names_the_line(folder: Path) -> None:
    content = OK.encode() + b"owner: Jos\xe9\n"  # Latin-1, not UTF-8
    assert only_problems(folder, "latin1.yaml", content) == [
        "questions/latin1.yaml:2: file is not valid UTF-8 text; save it as UTF-8"
    ]


def test_file_over_the_size_limit_is_refused_unparsed(folder: Path) -> None:
    content = OK + "# " + "x" * MAX_BYTES + "\n"
    found = only_problems(folder, "huge.yaml", content)
    size = len(content.encode())
    assert found == [f"questions/huge.yaml: file is {size:,} bytes; the limit is {MAX_BYTES:,}"]


def test_file_at_the_size_limit_is_read(folder: Path) -> None:
    content = OK + "#" * (MAX_BYTES - len(OK) - 1) + "\n"
    assert len(content.encode()) == MAX_BYTES
    path = write(folder, "big.yaml", content)
    assert load_question(path, "big.yaml").slug == "big"


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object:os.system",
        "!!python/object/apply:os.system",
        "!!python/name:os.system",
    ],
)
def test_python_tags_are_rejected_without_running_anything(folder: Path, tag: str) -> None:
    marker = folder.parent / "pwned"
    content = OK + f"owner: {tag} ['touch {marker}']\n"
    found = only_problems(folder, "evil.yaml", content)
    assert len(found) == 1
    assert found[0].startswith(
        "questions/evil.yaml:2: invalid YAML: could not determine a constructor"
    )
    assert "python/" in found[0]
    assert not marker.exists()


def laughs(levels: int) -> list[str]:
    """A "billion laughs" document: each level aliases the previous one ten times."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return lines


def test_aliases_are_walked_once() -> None:
    """Nested aliases cost one visit per written node, not one per expanded node."""
    loaded = parse_yaml("\n".join(laughs(6)) + "\n", "laughs.yaml")
    assert len(loaded.lines) < 100  # the expansion has over a million paths
    assert loaded.line_of(("a5",)) == 6


def test_nested_aliases_give_ordinary_problems(folder: Path) -> None:
    content = "\n".join([OK.rstrip("\n"), *laughs(9), "tags: *a8"]) + "\n"
    found = only_problems(folder, "laughs.yaml", content)
    assert f"questions/laughs.yaml:2: a0: unknown key ({ALLOWED})" in found
    assert f"questions/laughs.yaml:10: a8: unknown key ({ALLOWED})" in found
    assert "questions/laughs.yaml:11: tags.0: input should be a valid string" in found


def test_recursive_alias_is_a_problem_not_a_crash(folder: Path) -> None:
    found = only_problems(folder, "loop.yaml", OK + "tags: &t [moe, *t]\n")
    assert found == ["questions/loop.yaml:2: tags.1: input should be a valid string"]


def test_impossible_date_is_a_yaml_problem_with_its_line(folder: Path) -> None:
    found = only_problems(folder, "date.yaml", OK + "owner: me\ncreated: 2025-13-45\n")
    assert found == [
        "questions/date.yaml:3: invalid YAML: invalid value '2025-13-45': month must be in 1..12"
    ]


# --- field validation -----------------------------------------------------------------------


def test_unknown_key_suggests_the_close_match(folder: Path) -> None:
    assert only_problems(folder, "typo.yaml", OK + "tgas: [moe]\n") == [
        f"questions/typo.yaml:2: tgas: unknown key; did you mean 'tags'? ({ALLOWED})"
    ]


def test_unknown_key_without_close_match_lists_allowed_keys(folder: Path) -> None:
    assert only_problems(folder, "extra.yaml", OK + "colour: blue\n") == [
        f"questions/extra.yaml:2: colour: unknown key ({ALLOWED})"
    ]


def test_unknown_key_in_review_block_suggests_its_own_fields(folder: Path) -> None:
    content = OK + "review:\n  decision: approve\n  by: Bob\n  date: 2025-02-03\n  notes: ok\n"
    assert only_problems(folder, "review-typo.yaml", content) == [
        "questions/review-typo.yaml:6: review.notes: unknown key; did you mean 'note'? "
        "(allowed: decision, by, date, note, draft_hash)"
    ]


def test_tags_as_string_is_a_type_problem(folder: Path) -> None:
    assert only_problems(folder, "tags.yaml", OK + "tags: moe\n") == [
        "questions/tags.yaml:2: tags: input should be a valid list (got 'moe')"
    ]


def test_queries_as_int_is_a_type_problem(folder: Path) -> None:
    assert only_problems(folder, "queries.yaml", OK + "owner: me\nqueries: 3\n") == [
        "questions/queries.yaml:3: queries: input should be a valid list (got 3)"
    ]


def test_bad_list_item_names_its_own_line(folder: Path) -> None:
    content = OK + "tags:\n  - moe\n  - Not A Tag\n"
    found = only_problems(folder, "tag-item.yaml", content)
    assert len(found) == 1
    assert found[0].startswith("questions/tag-item.yaml:4: tags.1: string should match pattern")


def test_every_problem_of_a_file_is_reported(folder: Path) -> None:
    content = "question: short\ntags: moe\nqueries: 3\n"
    found = only_problems(folder, "many.yaml", content)
    assert sorted(found) == [
        "questions/many.yaml:1: question: string should have at least 10 characters",
        "questions/many.yaml:2: tags: input should be a valid list (got 'moe')",
        "questions/many.yaml:3: queries: input should be a valid list (got 3)",
    ]


def test_missing_question_points_at_the_document(folder: Path) -> None:
    assert only_problems(folder, "no-question.yaml", "tags: [moe]\n") == [
        "questions/no-question.yaml:1: question: required key is missing"
    ]


def test_unquoted_arxiv_id_read_as_float_gets_a_quoting_hint(folder: Path) -> None:
    found = only_problems(folder, "float-id.yaml", OK + "paper: 2406.12340  # the id\n")
    assert found == [
        "questions/float-id.yaml:2: paper: YAML read 2406.12340 as the number 2406.1234; "
        'quote the id: paper: "2406.12340"'
    ]


def test_unquoted_integer_id_gets_the_same_hint(folder: Path) -> None:
    found = only_problems(folder, "int-id.yaml", OK + "paper: 230301610\n")
    assert len(found) == 1
    assert found[0].startswith("questions/int-id.yaml:2: paper: ")
    assert found[0].endswith('quote the id: paper: "230301610"')


@pytest.mark.parametrize(
    "bad", ["arxiv-2303", "2303.01610v2", "23.01610", "https://arxiv.org/abs/2303.01610"]
)
def test_malformed_arxiv_id(folder: Path, bad: str) -> None:
    found = only_problems(folder, "bad-id.yaml", OK + f'paper: "{bad}"\n')
    assert len(found) == 1
    assert found[0].startswith(f"questions/bad-id.yaml:2: paper: {bad!r} is not an arXiv id")
    assert "no version suffix, no URL" in found[0]
    suggested = '; did you mean "2303.01610"?'
    assert found[0].endswith(suggested) == (
        bad in {"2303.01610v2", "https://arxiv.org/abs/2303.01610"}
    )


# --- file names -----------------------------------------------------------------------------


@pytest.mark.parametrize("stem", ["Load-Balance", "has space", "under_score", "-leading", "x" * 81])
def test_bad_slug_file_name(folder: Path, stem: str) -> None:
    assert only_problems(folder, f"{stem}.yaml", OK) == [
        f"questions/{stem}.yaml: file name: '{stem}' is not a valid slug: "
        "use lowercase a-z, 0-9 and '-', at most 80 characters"
    ]


def test_bad_slug_is_reported_with_the_file_content_problems(folder: Path) -> None:
    found = only_problems(folder, "Bad.yaml", "tags: moe\n")
    assert found == [
        "questions/Bad.yaml: file name: 'Bad' is not a valid slug: "
        "use lowercase a-z, 0-9 and '-', at most 80 characters",
        "questions/Bad.yaml:1: question: required key is missing",
        "questions/Bad.yaml:1: tags: input should be a valid list (got 'moe')",
    ]


def test_longest_valid_slug(folder: Path) -> None:
    path = write(folder, "a" * 80 + ".yaml", OK)
    assert load_question(path, path.name).slug == "a" * 80


def test_duplicate_slug_across_extensions(folder: Path) -> None:
    write(folder, "same.yaml", OK)
    write(folder, "same.yml", OK)
    loaded = load_questions(folder, root=folder.parent)
    assert [q.path for q in loaded.questions] == ["questions/same.yaml"]
    assert [str(p) for p in loaded.problems] == [
        "questions/same.yml: file name: duplicate slug 'same' (also questions/same.yaml)"
    ]


def test_one_broken_file_does_not_hide_the_others(folder: Path) -> None:
    write(folder, "a-good.yaml", OK)
    write(folder, "b-broken.yaml", "question: [unclosed\n")
    write(folder, "c-typo.yaml", OK + "tagz: [moe]\n")
    write(folder, "d-latin1.yaml", b"question: caf\xe9?\n")
    write(folder, "e-date.yaml", OK + "created: 2025-02-30\n")
    write(folder, "f-good.yml", OK)
    loaded = load_questions(folder, root=folder.parent)
    assert [q.slug for q in loaded.questions] == ["a-good", "f-good"]
    assert [p.path for p in loaded.problems] == [
        "questions/b-broken.yaml",
        "questions/c-typo.yaml",
        "questions/d-latin1.yaml",
        "questions/e-date.yaml",
    ]


def test_load_question_raises_with_all_problems(folder: Path) -> None:
    path = write(folder, "x.yaml", "question: short\nqueries: []\n")
    with pytest.raises(YamlError) as info:
        load_question(path, "x.yaml")
    assert [p.field for p in info.value.problems] == ["question", "queries"]
    assert str(info.value) == "; ".join(str(p) for p in info.value.problems)


# --- yamlsrc directly -----------------------------------------------------------------------


def test_parse_yaml_records_the_line_of_every_key() -> None:
    loaded = parse_yaml("a: 1\nb:\n  c: 2\n  d:\n    - x\n    - y\n", "f.yaml")
    assert loaded.data == {"a": 1, "b": {"c": 2, "d": ["x", "y"]}}
    assert loaded.line_of(("a",)) == 1
    assert loaded.line_of(("b", "c")) == 3
    assert loaded.line_of(("b", "d", 1)) == 6
    assert loaded.line_of(("b", "missing")) == 2  # a missing key points at its parent


def test_read_yaml_on_missing_file(tmp_path: Path) -> None:
    with pytest.raises(YamlError) as info:
        read_yaml(tmp_path / "absent.yaml", "absent.yaml")
    assert str(info.value) == "absent.yaml: cannot read file: No such file or directory"


# --- the shipped JSON schema ----------------------------------------------------------------


def test_shipped_schema_matches_the_model() -> None:
    expected = json.dumps(QuestionFile.model_json_schema(), indent=2, sort_keys=True) + "\n"
    assert SCHEMA.exists(), "missing schema; run: .venv/bin/python scripts/write_schema.py"
    assert SCHEMA.read_text(encoding="utf-8") == expected, (
        "generator/inputs/schema/question.schema.json is out of date with QuestionFile; "
        "run: .venv/bin/python scripts/write_schema.py"
    )


def test_schema_forbids_unknown_keys_and_requires_question() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["question"]
    assert schema["$id"] == "https://sovereign.invalid/schema/question.schema.json"

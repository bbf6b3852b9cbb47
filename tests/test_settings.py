"""The settings file `sovereign.yml` (generator/inputs/settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from generator.inputs.settings import SETTINGS_FILE, Settings, SettingsError, load_settings


def write(root: Path, text: str) -> None:
    (root / SETTINGS_FILE).write_text(text, encoding="utf-8")


def problems_of(root: Path, overrides: dict | None = None) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load_settings(root, overrides)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return [str(p) for p in info.value.problems]


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings == Settings()
    assert settings.plan.queries == 4
    assert settings.search.ranker == "hybrid"
    assert settings.search.keep == 12
    assert settings.verify.threshold == 0.15
    assert settings.review.approve_at == 6.5
    assert settings.review.reject_below == 4.0
    assert settings.policy.escalate_on_mismatch is True


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    write(tmp_path, "# nothing set yet\n")
    assert load_settings(tmp_path) == Settings()


def test_values_from_the_file_are_used(tmp_path: Path) -> None:
    write(tmp_path, "verify:\n  threshold: 0.2\nsearch:\n  ranker: tfidf\n  keep: 20\n")
    settings = load_settings(tmp_path)
    assert settings.verify.threshold == 0.2
    assert settings.search.ranker == "tfidf"
    assert settings.search.keep == 20
    assert settings.plan == Settings().plan  # untouched sections keep their defaults


def test_unknown_key_names_line_path_and_suggestion(tmp_path: Path) -> None:
    write(tmp_path, "plan:\n  queries: 3\nverify:\n  treshold: 0.2\n")
    assert problems_of(tmp_path) == [
        "sovereign.yml:4: verify.treshold: unknown key; did you mean 'threshold'? "
        "(allowed: backend, stance, threshold, ngram_max)"
    ]


def test_unknown_section_suggests_the_close_one(tmp_path: Path) -> None:
    write(tmp_path, "plan:\n  queries: 3\nverfy:\n  threshold: 0.2\n")
    found = problems_of(tmp_path)
    assert len(found) == 1
    assert found[0].startswith(
        "sovereign.yml:3: verfy: unknown key; did you mean 'verify'? (allowed: "
    )


def test_bad_literal_names_the_allowed_values(tmp_path: Path) -> None:
    write(tmp_path, "search: {ranker: bm26}\n")
    assert problems_of(tmp_path) == [
        "sovereign.yml:1: search.ranker: input should be 'hybrid', 'bm25' or 'tfidf' (got 'bm26')"
    ]


def test_unknown_source_names_the_list_item(tmp_path: Path) -> None:
    write(tmp_path, "search:\n  sources:\n    - local\n    - arxive\n")
    assert problems_of(tmp_path) == [
        "sovereign.yml:4: search.sources.1: input should be 'local', 'arxiv' or "
        "'semantic_scholar' (got 'arxive')"
    ]


def test_out_of_range_value(tmp_path: Path) -> None:
    write(tmp_path, "verify:\n  threshold: 1.5\n")
    assert problems_of(tmp_path) == [
        "sovereign.yml:2: verify.threshold: input should be less than 1"
    ]


def test_reject_below_above_approve_at_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "plan:\n  queries: 4\nreview:\n  approve_at: 5\n  reject_below: 6\n")
    found = problems_of(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("sovereign.yml:3: review: ")
    assert found[0].endswith("reject_below must not exceed approve_at")


def test_equal_thresholds_are_allowed(tmp_path: Path) -> None:
    write(tmp_path, "review:\n  approve_at: 5\n  reject_below: 5\n")
    settings = load_settings(tmp_path)
    assert settings.review.approve_at == settings.review.reject_below == 5


def test_every_problem_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "plan:\n  queries: 0\nsearch:\n  ranker: bm26\n")
    assert problems_of(tmp_path) == [
        "sovereign.yml:2: plan.queries: input should be greater than or equal to 1",
        "sovereign.yml:4: search.ranker: input should be 'hybrid', 'bm25' or 'tfidf' (got 'bm26')",
    ]


def test_yaml_syntax_error_is_a_settings_error(tmp_path: Path) -> None:
    write(tmp_path, "verify:\n  threshold: [0.2\n")
    found = problems_of(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("sovereign.yml:")
    assert "invalid YAML" in found[0]


def test_non_mapping_file(tmp_path: Path) -> None:
    write(tmp_path, "- verify\n- search\n")
    assert problems_of(tmp_path) == ["sovereign.yml:1: must be a mapping of sections"]


def test_overrides_are_applied(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {"verify.threshold": 0.3, "plan.queries": 2})
    assert settings.verify.threshold == 0.3
    assert settings.plan.queries == 2
    assert settings.verify.ngram_max == 2


def test_overrides_win_over_the_file_and_keep_its_other_keys(tmp_path: Path) -> None:
    write(tmp_path, "verify:\n  threshold: 0.2\n  ngram_max: 1\n")
    settings = load_settings(tmp_path, {"verify.threshold": 0.25})
    assert settings.verify.threshold == 0.25
    assert settings.verify.ngram_max == 1


def test_invalid_override_is_a_settings_error(tmp_path: Path) -> None:
    found = problems_of(tmp_path, {"search.ranker": "bm26"})
    assert len(found) == 1
    expected = "search.ranker: input should be 'hybrid', 'bm25' or 'tfidf' (got 'bm26')"
    assert found[0].endswith(expected)


def test_section_with_every_key_commented_out_uses_defaults(tmp_path: Path) -> None:
    write(tmp_path, "verify:\n  # threshold: 0.2\nsearch:\n")
    assert load_settings(tmp_path) == Settings()


def test_override_into_an_empty_section(tmp_path: Path) -> None:
    """`sovereign build --offline` overrides search.sources; an empty `search:` must not crash."""
    write(tmp_path, "search:\n")
    assert load_settings(tmp_path, {"search.sources": ["local"]}).search.sources == ("local",)


def test_override_into_a_non_mapping_section_reports_the_file(tmp_path: Path) -> None:
    write(tmp_path, "plan: {queries: 3}\nsearch: bm25\n")
    found = problems_of(tmp_path, {"search.sources": ["local"]})
    assert len(found) == 1
    assert found[0].startswith("sovereign.yml:2: search: input should be a valid dictionary")


def test_digest_changes_with_any_setting(tmp_path: Path) -> None:
    base = load_settings(tmp_path)
    assert base.digest() == Settings().digest()
    assert len(base.digest()) == 12
    changed = load_settings(tmp_path, {"verify.threshold": 0.2})
    assert changed.digest() != base.digest()


def test_the_digest_holds_what_a_draft_depends_on_not_where_the_project_is(
    tmp_path: Path,
) -> None:
    """A project moved or cloned elsewhere keeps its drafts' settings hash (and its cache);
    the corpus counts by what it holds, and where outputs go counts for nothing."""
    digests = []
    for name, records in (("a", "x"), ("b", "x"), ("c", "y")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "corpus.jsonl").write_text(records, encoding="utf-8")
        write(tmp_path / name, "search:\n  local_corpus: corpus.jsonl\n")
        digests.append(load_settings(tmp_path / name).digest())
    assert digests[0] == digests[1] != digests[2]
    moved = load_settings(tmp_path / "a", {"paths.site_dir": "public", "shards.max_shards": 2})
    assert moved.digest() == digests[0]


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    with pytest.raises(ValueError, match="frozen"):
        settings.verify.threshold = 0.9  # type: ignore[misc]


def test_the_stance_judge_is_the_llm_only_when_one_is_configured() -> None:
    assert Settings().stance_judge() == "rules"
    with_llm = Settings.model_validate({"review": {"backend": "llm"}})
    assert with_llm.stance_judge() == "llm"
    pinned = Settings.model_validate({"review": {"backend": "llm"}, "verify": {"stance": "rules"}})
    assert pinned.stance_judge() == "rules"
    forced = Settings.model_validate({"verify": {"stance": "llm"}})
    assert forced.stance_judge() == "llm" and "llm" in forced.live_services()
    assert forced.offline().stance_judge() == "rules"
    assert forced.offline().live_services() == []


def test_a_missing_local_corpus_names_the_file_line_and_folder(tmp_path: Path) -> None:
    write(tmp_path, "search:\n  sources: [local]\n  local_corpus: data/missing.jsonl\n")
    assert problems_of(tmp_path) == [
        f"{SETTINGS_FILE}:3: search.local_corpus: data/missing.jsonl: no such file "
        f"(a relative path is read from {tmp_path})"
    ]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "missing.jsonl").write_text("", encoding="utf-8")
    found = load_settings(tmp_path).search.local_corpus
    assert found == str(tmp_path / "data" / "missing.jsonl")


def test_check_and_build_report_a_missing_corpus_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator.cli import main
    from tests.conftest import make_project

    project = make_project(tmp_path / "p", settings="search:\n  local_corpus: nowhere.jsonl\n")
    for command in (["check"], ["build", "--no-site"]):
        assert main(["--root", str(project), *command]) == 2
        err = capsys.readouterr().err
        assert "sovereign.yml:2: search.local_corpus: nowhere.jsonl: no such file" in err
        assert "Traceback" not in err and "sovereign config" in err


def _fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, FieldInfo]]:
    found = []
    for name, info in model.model_fields.items():
        kind = info.annotation
        found.append((prefix + name, info))
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += _fields(kind, f"{prefix}{name}.")
    return found


def test_every_setting_has_a_description() -> None:
    """Every key a user can set (not the sections that group them) says what it does, the
    service keys whose defaults differ per service included (arxiv.min_interval, llm.timeout)."""
    leaves = [
        (name, info)
        for name, info in _fields(Settings)
        if not (isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel))
    ]
    assert len(leaves) > 60
    assert [name for name, info in leaves if not info.description] == []


def test_config_prints_values_that_paste_back_into_the_settings_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sovereign config` writes YAML (null, true, [local]), not Python (None, True)."""
    import yaml

    from generator.cli import main

    write(tmp_path, "search:\n  sources: [local, arxiv]\nplan:\n  queries: 5\n")
    assert main(["--root", str(tmp_path), "config"]) == 0
    out = capsys.readouterr().out
    assert "None" not in out and "True" not in out and "False" not in out
    (tmp_path / SETTINGS_FILE).write_text(out, encoding="utf-8")  # comments are YAML too
    assert load_settings(tmp_path).search.sources == ("local", "arxiv")  # it parses back
    pasted = yaml.safe_load(out)
    assert pasted["search"]["sources"] == ["local", "arxiv"]
    assert pasted["search"]["local_corpus"] is None
    assert pasted["policy"]["escalate_on_mismatch"] is True
    assert load_settings(tmp_path).plan.queries == 5

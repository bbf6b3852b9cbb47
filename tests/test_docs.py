"""Docs that cannot rot: every setting is in the shipped settings file and the README."""

from __future__ import annotations

import yaml

from generator.inputs.settings import Settings

from .conftest import REPO


def test_every_setting_is_in_sovereign_yml_and_readme() -> None:
    shipped = yaml.safe_load((REPO / "sovereign.yml").read_text())
    readme = (REPO / "README.md").read_text()
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert section in shipped, f"section {section} missing from sovereign.yml"
        assert f"`{section}`" in readme, f"section {section} missing from README"
        for key, info in model.model_fields.items():  # type: ignore[union-attr]
            assert key in shipped[section], f"{section}.{key} missing from sovereign.yml"
            assert f"`{key}`" in readme, f"{section}.{key} missing from README"
            assert info.description, f"{section}.{key} has no description"


def test_shipped_settings_are_the_defaults_but_the_owners() -> None:
    shipped = Settings.model_validate(yaml.safe_load((REPO / "sovereign.yml").read_text()))
    assert Settings().policy.owners == ()  # no project trusts a login it did not name
    assert shipped.policy.owners == ("research-owner",)
    policy = shipped.policy.model_copy(update={"owners": ()})
    assert shipped.model_copy(update={"policy": policy}) == Settings()


def test_readme_starts_with_the_two_commands() -> None:
    first = (REPO / "README.md").read_text().splitlines()[:4]
    assert first[1].startswith("./run site") and first[2].startswith("./run test")
    assert "./run test" in (REPO / ".ci" / "run").read_text()


def test_reliability_report_covers_every_case() -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "reliability", REPO / "scripts" / "reliability.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["reliability"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    report = (REPO / "docs" / "reliability.md").read_text()
    missing = [c.name for c in module.CASES if f"| {c.name} |" not in report.replace("&#x27;", "'")]
    assert not missing, f"regenerate docs/reliability.md (scripts/reliability.py): {missing}"
    assert "| **yes** |" not in report, "the committed report shows a problem"


def test_readme_and_contributing_say_what_the_test_command_runs() -> None:
    """Both name every step `./run test` takes, and no command needs an activated venv."""
    script = (REPO / "run").read_text(encoding="utf-8")
    steps = ["ruff check", "ruff format --check", "mypy generator", "pytest"]
    assert all(step.split()[0] in script for step in steps)
    for name in ("README.md", "CONTRIBUTING.md"):
        text = " ".join((REPO / name).read_text(encoding="utf-8").split())
        assert all(step in text for step in steps), name
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    bare = [line for line in readme.splitlines() if line.startswith(("python ", "pip "))]
    assert bare == []

"""The golden site: a tiny fixed project built from scratch writes, file for file, the output
committed under tests/golden/expected/ (see tests/golden_site.py)."""

from __future__ import annotations

from pathlib import Path

from .golden_site import EXPECTED, REFRESH, _files, build, differences


def test_the_golden_site_is_unchanged(tmp_path: Path) -> None:
    built = build(tmp_path)
    assert any(name.startswith("site_src/drafts/") for name in built)  # a published draft
    assert any(name.startswith("review/") and name.endswith(".md") for name in built)
    found = differences(built, _files(EXPECTED))
    assert not found, (
        f"the golden site changed; if that is intended, run `{REFRESH}` and commit the new "
        "expected output with the change:\n" + "\n".join(found)
    )


def test_a_changed_page_is_reported_with_its_diff() -> None:
    expected = {"site_src/index.md": b"# Drafts\n\none\n", "review/a.json": b"{}"}
    built = {"site_src/index.md": b"# Drafts\n\ntwo\n", "site_src/new.md": b"x"}
    found = differences(built, expected)
    assert "missing: review/a.json" in found and "new: site_src/new.md" in found
    assert "changed: site_src/index.md" in found and "-one" in found and "+two" in found

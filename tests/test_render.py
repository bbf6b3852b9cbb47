"""Rendering helpers: escaping, URLs, and numbers that agree with their verdicts."""

from __future__ import annotations

import re

import pytest

from generator.render import escape
from generator.render.markdown import environment


@pytest.mark.parametrize("text", ["a | b", "`x`", "*y*", "[l](u)", "<b>", "# h", "_u_", "\\"])
def test_md_escapes_every_markdown_and_html_control_character(text: str) -> None:
    out = re.sub(r"&#\d+;", "", escape.md(text))  # what is left besides character references
    assert not re.search(r"[|`*\[\]<>#_\\&]", out), out


def test_md_collapses_lines_and_drops_invisible_characters() -> None:
    out = escape.md("line one\n\n## two\u200b\u202e\u2066 end")
    assert "\n" not in out and "\u200b" not in out and "\u202e" not in out and "\u2066" not in out
    assert out.startswith("line one &#35;&#35; two")


def test_md_does_not_start_an_ordered_list() -> None:
    assert escape.md("1. First") == "1&#46; First"


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//x"]
)
def test_url_refuses_non_http_targets(bad: str) -> None:
    assert escape.url(bad) == ""


def test_url_keeps_http_and_quotes_link_breakers() -> None:
    assert escape.url("https://arxiv.org/abs/2303.01610") == "https://arxiv.org/abs/2303.01610"
    assert ")" not in escape.url("https://x.org/a)b c")


def test_templates_escape_every_interpolated_string() -> None:
    env = environment()
    assert env.from_string("{{ t }}").render(t="<script>") == "&#60;script&#62;"


@pytest.mark.parametrize(("value", "shown"), [(0.1496, "0.14"), (0.15, "0.15"), (0.0, "0.00")])
def test_confidence_is_truncated_so_it_agrees_with_the_threshold(value: float, shown: str) -> None:
    assert environment().from_string("{{ v|trunc }}").render(v=value) == shown


def test_invalid_slug_is_never_linked() -> None:
    with pytest.raises(ValueError):
        environment().from_string("{{ s|slug }}").render(s="../etc")

"""Make untrusted text inert in Markdown and HTML.

Titles, abstracts, evidence and (later) LLM output are written by strangers. Every character
that Markdown or HTML could read as syntax becomes a numeric character reference, which both
render as the literal character; line breaks collapse, so text cannot start a heading, a list
or a table row, and control, zero-width and bidirectional override characters are dropped.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_SPECIAL = set("&<>\"'\\`*_[]{}()#+-!|~:=$^")
_AS_REFERENCE = {ord(ch): f"&#{ord(ch)};" for ch in _SPECIAL}
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)


def clean(text: str) -> str:
    """Text with invisible and control characters removed and every run of whitespace
    (line breaks included) made one space."""
    return re.sub(r"\s+", " ", _INVISIBLE.sub("", text))


def md(text: str) -> str:
    """Escape `text` for use anywhere inline in Markdown (including table cells) or HTML."""
    escaped = clean(text).translate(_AS_REFERENCE)
    # NOTE: "1. text" at the start of a line would open an ordered list.
    return re.sub(r"^(\s*\d+)\.", r"\1&#46;", escaped)


def url(value: str) -> str:
    """An http(s) URL made safe for a Markdown link target, or '' when it is not one."""
    value = clean(value).strip()
    try:  # urlsplit rejects e.g. "http://[" and quote a lone surrogate: not URLs either
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            return ""
        # urlsplit lowercases the scheme ("HTTP://"); write it as it was recognised.
        return quote(parts.scheme + value[len(parts.scheme) :], safe=":/?#=&%@+,;~.-_")
    except ValueError:
        return ""

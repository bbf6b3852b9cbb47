"""Text helpers shared by stages: sentence splitting and normalisation."""

from __future__ import annotations

import re
import unicodedata

# Abbreviations after which a period does not end a sentence (lowercased, without the dot).
ABBREVIATIONS = frozenset(
    """e.g i.e et al etc cf vs fig figs eq eqs sec secs tab no nos vol pp approx resp
    dr mr mrs ms prof st jr sr inc ltd co corp dept univ est ca viz incl max min avg
    appx app ch def thm lem prop cor alg ref refs""".split()
)

# A sentence end: . ! or ?, any closing quotes/brackets (kept with the sentence), then
# whitespace and a capital or digit, possibly after an opening quote or bracket.
_BOUNDARY = re.compile(r"(?<=[.!?])([\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"(\S+)$")


def _ends_with_abbreviation(text: str) -> bool:
    match = _WORD_BEFORE.search(text)
    if not match:
        return False
    word = match.group(1).rstrip(".!?\"')]").lower().lstrip("([\"'")
    if word in ABBREVIATIONS:
        return True
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):  # e.g. "u.s" in "U.S."
        return True
    # A single capital initial ("J. Smith", "(Ł. Kaiser") is a name, not a sentence end.
    initial = match.group(1).lstrip("([\"'")
    return len(initial) == 2 and initial[0].isupper() and initial[1] == "."


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping "e.g.", "et al.", "Fig. 2" and "0.84" inside them."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        head = text[start : match.start()].rstrip()
        if not head or _ends_with_abbreviation(text[: match.start()].rstrip("\"')] ")):
            continue
        sentences.append(text[start : match.end(1)].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def normalize_title(title: str) -> str:
    """A title reduced to lowercase letters and digits, for de-duplication."""
    decomposed = unicodedata.normalize("NFKD", title)
    # Drop the combining marks NFKD split off, so "Ünïcödé" folds to "unicode", not "u ni co de".
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()

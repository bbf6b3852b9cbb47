"""Claim-term coverage: how much of what is *specific* in a claim an evidence sentence says.

Coverage = Σ idf(t) over the claim's terms that the sentence also has / Σ idf(t) over all the
claim's terms. Terms are Snowball-stemmed words without stop words; idf comes from a
background corpus, so a term every paper of the field uses ("experts" in an MoE corpus,
"patients" in a clinical one) counts little and a name or number ("DeepSeek-V3", "671B",
"ALDH1") counts much. Unlike a cosine it is one-sided: a long sentence that states the claim
among other things still covers it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# Words and numbers; hyphenated compounds count by their parts ("hard-routing" states
# "routing", "DeepSeek-V3" states "deepseek" and "v3"), decimals stay whole ("0.84").
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?", re.IGNORECASE)
_MORE_STOP_WORDS = frozenset("does did doing versus vs compared et al".split())


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _MORE_STOP_WORDS


@lru_cache(maxsize=65536)
def terms(text: str) -> frozenset[str]:
    """The distinct stemmed content terms of `text` (memoised: a corpus's sentences recur in
    every question's verification)."""
    stop = _stop_words()
    words = [w.lower() for w in _TOKEN.findall(text)]
    kept = [w for w in words if w not in stop and (len(w) > 1 or w.isdigit())]
    return frozenset(_stemmer().stemWords(kept))


class TermWeights:
    """Document frequencies of terms in a background corpus, and the idf they give."""

    def __init__(self, documents: Iterable[str]):
        self.df: Counter[str] = Counter()
        self.size = 0
        for text in documents:
            self.df.update(terms(text))
            self.size += 1
        self._idf: dict[str, float] = {}
        self._totals: dict[frozenset[str], float] = {}

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            value = math.log((self.size + 1) / (self.df.get(term, 0) + 1)) + 1.0
            self._idf[term] = value
        return value

    def coverage(self, wanted: frozenset[str], found: frozenset[str]) -> float:
        """Share of the idf of the `wanted` terms (a claim's) that `found` (a text's) has."""
        total = self._totals.get(wanted)
        if total is None:
            total = self._totals[wanted] = sum(self.idf(t) for t in wanted)
        # NOTE: summed in `wanted`'s own order, as the total is, so a text that states every
        # term covers exactly 1.0 (an intersection iterates in another order: 0.9999…)
        return sum(self.idf(t) for t in wanted if t in found) / total if total else 0.0

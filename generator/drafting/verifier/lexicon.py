"""Word lists for stance: negation, direction of change, null findings; and claim negation.

These are cues, not a grammar: the stance judge weighs them (generator/drafting/verifier/stance.py)
with weights fitted on labelled claims, never trusts one alone.
"""

from __future__ import annotations

import re

NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|without|cannot|unable|fail(?:s|ed)?|"
    r"lack(?:s|ed|ing)?|absen(?:t|ce)|insufficient|unaffected|unchanged|unrelated)\b|n't\b",
    re.IGNORECASE,
)
UP = re.compile(
    r"\b(?:increas\w*|higher|more|greater|enhanc\w*|elevat\w*|rais\w*|rise[sn]?|rising|rose|"
    r"promot\w*|activat\w*|improv\w*|up-?regulat\w*|induc\w*|stimulat\w*|accelerat\w*|"
    r"augment\w*|exacerbat\w*|worsen\w*|gain\w*|positive\w*|longer|larger|outperform\w*|"
    r"better|boost\w*|faster|amplif\w*|facilitat\w*|prolong\w*|strengthen\w*|potentiat\w*|"
    r"severe|more severe|excess\w*|overexpress\w*|best|superior|benefi\w*)\b",
    re.IGNORECASE,
)
DOWN = re.compile(
    r"\b(?:decreas\w*|lower\w*|less|fewer|reduc\w*|inhibit\w*|suppress\w*|impair\w*|"
    r"down-?regulat\w*|attenuat\w*|declin\w*|diminish\w*|loss|prevent\w*|block\w*|"
    r"negative\w*|slow\w*|shorter|shorten\w*|smaller|protect\w*|deplet\w*|abolish\w*|worse|"
    r"degrad\w*|underperform\w*|poor\w*|mild\w*|counteract\w*|weaken\w*|alleviat\w*|"
    r"ameliorat\w*|mitigat\w*|drop\w*|fell|fall\w*|inferior|harm\w*|deficien\w*)\b",
    re.IGNORECASE,
)
NULL_FINDING = re.compile(
    r"\b(?:no (?:significant|difference|effect|association|change|evidence|correlation|"
    r"improvement|benefit)|not (?:significant\w*|associated|correlated|affect\w*|improve\w*)|"
    r"did not|does not|do not|was not|were not|similar|comparable|no longer)\b",
    re.IGNORECASE,
)

# Opposites swapped when a claim is negated for the semantic probe (first match only).
OPPOSITES = {
    "increase": "decrease",
    "increases": "decreases",
    "increased": "decreased",
    "higher": "lower",
    "more": "less",
    "greater": "smaller",
    "larger": "smaller",
    "reduce": "increase",
    "reduces": "increases",
    "reduced": "increased",
    "improve": "impair",
    "improves": "impairs",
    "improved": "impaired",
    "promote": "inhibit",
    "promotes": "inhibits",
    "enhances": "reduces",
    "activates": "inhibits",
    "positive": "negative",
    "upregulates": "downregulates",
    "induces": "prevents",
    "longer": "shorter",
    "elevated": "reduced",
    "raises": "lowers",
    "faster": "slower",
    "outperforms": "underperforms",
    "better": "worse",
}
OPPOSITES |= {b: a for a, b in list(OPPOSITES.items()) if b not in OPPOSITES}

_AUXILIARY = re.compile(
    r"\b(is|are|was|were|can|could|may|might|does|do|did|has|have|will|should)\b(?! not)",
    re.IGNORECASE,
)
_EXISTING_NEGATION = re.compile(r"\b(?:does not|do not|did not|not|no)\b ?", re.IGNORECASE)


def count(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text))


def negate(claim: str) -> str:
    """The claim's opposite, roughly: an existing negation removed, else the first direction
    word swapped for its opposite, else "not" after the first auxiliary verb."""
    if _EXISTING_NEGATION.search(claim):
        return " ".join(_EXISTING_NEGATION.sub("", claim, count=1).split())
    words = claim.split()
    for i, word in enumerate(words):
        core = word.strip(".,;:()").lower()
        if core in OPPOSITES:
            words[i] = word.lower().replace(core, OPPOSITES[core])
            return " ".join(words)
    match = _AUXILIARY.search(claim)
    if match:
        return f"{claim[: match.end()]} not{claim[match.end() :]}"
    return f"It is not true that {claim}"


_TOKEN = re.compile(r"[a-z0-9][a-z0-9-]*", re.IGNORECASE)
_STOP = frozenset(
    """the a an of in on at to for and or with by from as is are was were be been that this
    these those which who it its their there than then into onto over under between after
    before during while also can may might will would should could have has had do does did
    not no more less""".split()
)


def _stem(word: str) -> str:
    return word.lower()[:5]


def polarity(text: str, anchors: frozenset[str] | None = None, window: int = 8) -> int:
    """Net direction of change in `text`: +1 per up word, −1 per down word, flipped by a
    negation up to three words before it. With `anchors` (stems of the claim's content words),
    each direction word counts once per distinct anchor within `window` words of it, so the
    change said of the claim's subject outweighs changes said of other things."""
    tokens = _TOKEN.findall(text)
    stems = [_stem(t) for t in tokens]
    total = 0
    for i, token in enumerate(tokens):
        sign = 1 if UP.fullmatch(token) else -1 if DOWN.fullmatch(token) else 0
        if not sign:
            continue
        if any(NEGATION.fullmatch(t) for t in tokens[max(0, i - 3) : i]):
            sign = -sign
        if anchors is None:
            total += sign
        else:
            near = set(stems[max(0, i - window) : i + window + 1]) & anchors
            total += sign * len(near)
    return total


def anchors(claim: str) -> frozenset[str]:
    """Stems of the claim's content words (not stop words, not direction words)."""
    return frozenset(
        _stem(t)
        for t in _TOKEN.findall(claim)
        if len(t) > 3 and t.lower() not in _STOP and not UP.fullmatch(t) and not DOWN.fullmatch(t)
    )

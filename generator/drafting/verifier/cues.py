"""The cue phrases of a sentence's role in an abstract: what the paper proposes
(contribution), what it shows (finding), and motivation or background; and what never makes
a claim (questions, code links). The extract stage and the sentence-role model read them."""

from __future__ import annotations

import re

CONTRIBUTION = [
    r"\bwe (?:propose|introduce|present|develop|design|build|construct|formulate|release|devise)",
    r"\b(?:this|our) (?:paper|work|study) (?:proposes|introduces|presents|develops)",
    r"\bour (?:\w+ ){0,2}"
    r"(?:method|approach|model|framework|system|algorithm|design|merging|technique)\b",
    r"\b(?:is|are) proposed\b",
    r"\bnovel\b",
]
FINDING = [
    r"\bwe (?:show|find|found|demonstrate|observe|reveal|report|confirm|verify|prove|"
    r"establish|identify)",
    r"\b(?:results?|experiments?|evaluations?|analys[ie]s|studies)\b[^.;]{0,60}?\b(?:show|indicate|demonstrate|reveal|suggest|confirm|validate|verify)",
    r"\b(?:reveals|shows|demonstrates|indicates)\b",
    r"\b(?:achiev|outperform|surpass|improv|reduc|accelerat|speedup|boost|exceed|yield|attain|saving)\w*",
    r"\d+(?:\.\d+)?\s?(?:%|×|x\b|times\b)",
    r"\b(?:state-of-the-art|sota|significantly|substantially|consistently|up to)\b",
    r"\b(?:better|faster|higher|lower|fewer|smaller|larger) than\b",
]
BACKGROUND = [
    r"\b(?:have|has) (?:shown|become|been|emerged|attracted|gained|achieved)",
    r"\b(?:remain|remains)\b",
    r"^(?:however|yet|although|while|despite|unfortunately)\b",
    r"\b(?:difficult|costly|expensive|prohibitive|impractical)\b",
    r"\b(?:existing|prior|previous|conventional|traditional|vanilla|typical(?:ly)?|recent(?:ly)?)\b",
    r", however,",
    r"\b(?:prone to|suffer|suffers|challeng\w*|struggle\w*|limited|bottleneck|"
    r"poorly understood|drawbacks?)\b",
    r"\b(?:is|are) (?:commonly|widely|often|usually)\b",
]
NEVER = re.compile(
    r"\?|https?://|\bgithub\b|\bcode (?:is|and \w+ are) (?:publicly )?available", re.I
)


def hits(patterns: list[str], sentence: str) -> list[str]:
    lowered = sentence.lower()
    found = []
    for pattern in patterns:
        match = re.search(pattern, lowered)
        if match:
            found.append(match.group(0).strip())
    return found

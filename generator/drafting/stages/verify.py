"""verify: each claim against the sentences of the *other* retrieved papers.

For each claim the verifier (generator/drafting/verifier/) picks each paper's evidence sentence,
keeps
the paper whose evidence is strongest, and a stance judge reads that sentence against the
claim. The claim's state follows: **supported** (strong evidence that agrees), **contradicted**
(strong evidence that disagrees), **related** (on the same subject, not evidence) or **no
evidence**. Confidence is calibrated: the share of labelled claim–abstract pairs at that
strength that had real evidence. The seeds' TF-IDF cosine is kept beside it, for comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from generator.drafting.models import Claim, ClaimCheck, Evidence, Paper, Verification
from generator.drafting.textutil import split_sentences
from generator.inputs.settings import VerifySettings

if TYPE_CHECKING:
    from generator.drafting.verifier.coverage import TermWeights
    from generator.drafting.verifier.scoring import Encoder
    from generator.drafting.verifier.stance import StanceJudge, StanceVerdict

VERSION = "4"
MIN_WORDS = 4


def paper_sentences(paper: Paper) -> list[str]:
    """The sentences of a paper's abstract that can be evidence (titles are not evidence)."""
    return [s for s in split_sentences(paper.abstract) if len(s.split()) >= MIN_WORDS]


def verify(
    claims: Sequence[Claim],
    papers: Sequence[Paper],
    primary: Paper,
    settings: VerifySettings,
    encoder: Encoder | None = None,
    judge: StanceJudge | None = None,
    background: TermWeights | None = None,
) -> Verification:
    """Evidence, stance and state of every claim. `encoder` gives semantic vectors (None with
    the TF-IDF backend); `judge` reads stance (default: the fitted rules judge); `background`
    weighs claim terms by how rare they are in the field (default: in the papers compared).

    Long by design: per claim, the strengths, the evidence pick, the stance and the state
    follow one another and share the claim's vectors and terms."""
    from generator.drafting.verifier import describe, explain_calibration, load_weights
    from generator.drafting.verifier.scoring import score
    from generator.drafting.verifier.stance import RulesStanceJudge, state_of

    weights = load_weights().for_backend(settings.backend)
    others = [p for p in papers if p.id != primary.id]
    pools = [paper_sentences(p) for p in others]
    scored = score(
        [c.text for c in claims], pools, weights, encoder, background, settings.ngram_max
    )
    judge = judge or RulesStanceJudge(weights, encoder)
    failures: list[str] = []

    # Stance matters only where the evidence is strong enough to support or contradict.
    strong = {
        i: (claims[i].text, pools[best.paper][best.sentence])
        for i, best in enumerate(s.best for s in scored)
        if best is not None and best.strength >= weights.thresholds.supported
    }
    verdicts: dict[int, StanceVerdict] = {}
    if strong:
        from generator.machinery.http import ServiceError

        try:
            verdicts = dict(zip(strong, judge.judge(list(strong.values())), strict=True))
        except ServiceError as exc:
            failures.append(f"stance judge {judge.name} failed ({exc}); the rules judge decided")
            fallback = RulesStanceJudge(weights, encoder)
            verdicts = dict(zip(strong, fallback.judge(list(strong.values())), strict=True))

    checks = []
    for i, (claim, result) in enumerate(zip(claims, scored, strict=True)):
        best = result.best
        evidence = None
        strength = 0.0
        verdict = verdicts.get(i)
        if best is not None and best.strength > 0:
            strength = best.strength
            paper = others[best.paper]
            evidence = Evidence(
                sentence=pools[best.paper][best.sentence],
                paper_id=paper.id,
                paper_title=paper.title,
                score=best.strength,
                semantic=best.semantic,
                lexical=best.lexical,
                coverage=best.coverage,
                stance=verdict.stance if verdict else None,
                contradiction=verdict.probability if verdict else None,
                judge=verdict.judge if verdict else "",
                reason=verdict.reason if verdict else "",
            )
        checks.append(
            ClaimCheck(
                claim=claim,
                state=state_of(strength, verdict, weights.thresholds),
                confidence=round(float(weights.calibration(strength)), 3) if evidence else 0.0,
                evidence=evidence,
                tfidf=result.tfidf_max,
            )
        )
    return Verification(
        checks=tuple(checks),
        threshold=settings.threshold,
        method=describe(settings.backend, weights),
        papers_compared=sum(1 for p in pools if p),
        sentences_compared=sum(len(p) for p in pools),
        semantic_method=encoder_name(encoder),
        stance_method=judge.describe(),
        calibration=explain_calibration(weights),
        failures=tuple(failures),
    )


def encoder_name(encoder: Encoder | None) -> str | None:
    describe = getattr(encoder, "describe", None)
    return describe() if callable(describe) else None

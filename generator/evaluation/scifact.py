"""`sovereign eval scifact`: the product's own retrieval and verification, measured on a
SciFact-format split.

Retrieval is the local source (the configured ranker) over the split's corpus, claim as the
query. Verification is `stages.verify.verify`, the function the pipeline calls, run for each
claim against each abstract it cites, with the configured verify backend and stance judge.
`fit_weights` refits the verifier's weights (generator/drafting/verifier/fit.py) on a split.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.drafting.models import Claim, Paper
from generator.evaluation.data import Pair, Split, align
from generator.evaluation.metrics import Judged, ndcg_at, recall_at, verification_measures
from generator.machinery.outputs import write_text

if TYPE_CHECKING:
    from generator.drafting.verifier.coverage import TermWeights
    from generator.drafting.verifier.stance import StanceJudge
    from generator.inputs.settings import Settings

Progress = Callable[[str, int, int], None]  # phase, done, total

_NOBODY = Paper(id="__claim__", title="", abstract="")


def _corpus_file(split: Split, folder: Path) -> Path:
    """The split's corpus as a local-source JSONL file (written once per split)."""
    path = folder / f"corpus-{split.fingerprint}.jsonl"
    if not path.exists():
        lines = [
            json.dumps({"id": d.id, "title": d.title, "abstract": " ".join(d.sentences)})
            for d in split.docs.values()
        ]
        write_text(path, "\n".join(lines) + "\n")
    return path


def _rationale(pair: Pair, ours: list[str]) -> frozenset[int]:
    """Our sentence indices that overlap a gold rationale sentence."""
    return frozenset(i for i, gold in enumerate(align(pair.doc, ours)) if gold & pair.rationale)


def split_background(split: Split) -> TermWeights:
    """Term weights of the split's corpus: what is common in its field and what is specific."""
    from generator.drafting.verifier.coverage import TermWeights

    return TermWeights(f"{d.title} {' '.join(d.sentences)}" for d in split.docs.values())


def evaluate(
    split: Split,
    settings: Settings,
    cache_root: Path,
    judge: StanceJudge | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Every measure of the report, with wall time and peak memory.

    Long by design: each measure of the report in the order printed, inside one timer and
    memory probe."""
    from generator.drafting.sources.local import LocalSource
    from generator.drafting.stages.verify import paper_sentences, verify
    from generator.drafting.verifier import make_encoder

    started = time.perf_counter()
    tick = progress or (lambda phase, done, total: None)
    index_dir = cache_root / "index"
    source = LocalSource(
        settings.search.ranker, _corpus_file(split, cache_root / "eval"), index_dir=index_dir
    )
    tick("indexing", 0, 1)
    _ = source.ranker  # built (or loaded) once, timed apart from the queries
    indexed = time.perf_counter()
    tick("indexing", 1, 1)

    ndcg, recall = [], []
    claims = [c for c in split.claims if split.qrels.get(c.id)]
    for done, record in enumerate(claims, 1):
        found = asyncio.run(source.search(record.text, 50))
        ranked = [p.id for p in found]
        ndcg.append(ndcg_at(ranked, split.qrels[record.id], 10))
        recall.append(recall_at(ranked, split.qrels[record.id], 50))
        tick("retrieval", done, len(claims))
    retrieved = time.perf_counter()

    encoder = make_encoder(settings.verify.backend, index_dir)
    background = split_background(split)
    judged = []
    pairs = list(split.pairs())
    for done, pair in enumerate(pairs, 1):
        claim = Claim(text=pair.claim.text, sentence_index=0, kind="finding")
        result = verify(
            [claim], [pair.doc.paper], _NOBODY, settings.verify, encoder, judge, background
        )
        check = result.checks[0]
        ours = paper_sentences(pair.doc.paper)
        chosen = ours.index(check.evidence.sentence) if check.evidence else None
        judged.append(
            Judged(
                pair.label,
                _rationale(pair, ours),
                chosen,
                check.evidence.score if check.evidence else 0.0,
                check.state,
            )
        )
        tick("verification", done, len(pairs))
    verified = time.perf_counter()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "split": {
            "claims": len(split.claims),
            "documents": len(split.docs),
            "fingerprint": split.fingerprint,
        },
        "settings": {
            "ranker": settings.search.ranker,
            "verify_backend": settings.verify.backend,
            "stance_judge": judge.name if judge else "rules",
        },
        "ndcg_at_10": round(sum(ndcg) / len(ndcg), 4) if ndcg else None,
        "recall_at_50": round(sum(recall) / len(recall), 4) if recall else None,
        **verification_measures(judged),
        "seconds": {
            "index": round(indexed - started, 1),
            "retrieval": round(retrieved - indexed, 1),
            "verification": round(verified - retrieved, 1),
            "total": round(verified - started, 1),
        },
        "wall_seconds": round(verified - started, 1),
        "peak_memory_mb": round(peak_mb, 1),
    }


def fit_weights(
    split: Split, cache_root: Path, out: Path, progress: Progress | None = None
) -> dict[str, Any]:
    """Refit the verifier on `split` for every backend; write the weights to `out` and return
    the cross-validated measures (held-out claims) that are stored with them."""
    from generator.drafting.stages.verify import paper_sentences
    from generator.drafting.verifier import fit as fitting
    from generator.drafting.verifier import make_encoder
    from generator.drafting.verifier.weights import Weights, dump

    tick = progress or (lambda phase, done, total: None)
    examples = []
    for pair in split.pairs():
        ours = paper_sentences(pair.doc.paper)
        if ours:
            examples.append(
                fitting.Example(
                    pair.claim.id, pair.claim.text, tuple(ours), _rationale(pair, ours), pair.label
                )
            )
    backends, measured_cv = {}, {}
    background = split_background(split)
    for n, backend in enumerate(("minilm", "tfidf")):
        tick("fitting", n, 2)
        encoder = make_encoder(backend, cache_root / "index")
        measured = fitting.measure(examples, encoder, background)
        outcomes, probabilities = fitting.cross_validate(examples, measured, encoder)
        backends[backend] = fitting.fit(examples, measured, encoder, probabilities)
        # NOTE: folds fit different weights, so their raw strengths are on different scales;
        # the calibrated confidence is comparable across folds and ranks pairs the same way.
        held_out = [
            Judged(ex.label, ex.rationale, o.chosen, o.confidence, o.state)
            for ex, o in zip(examples, outcomes, strict=True)
        ]
        measured_cv[backend] = verification_measures(held_out)
    tick("fitting", 2, 2)
    weights = Weights(
        fitted_on=f"{len(split.claims)} claims, {len(examples)} claim–abstract pairs "
        f"(split {split.fingerprint})",
        backends=backends,
        measured={"cross_validated": measured_cv, "folds": fitting.FOLDS},
    )
    write_text(out, json.dumps(dump(weights), indent=1, ensure_ascii=False) + "\n")
    return {"fitted_on": weights.fitted_on, "cross_validated": measured_cv}

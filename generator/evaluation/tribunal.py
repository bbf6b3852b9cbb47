"""`sovereign eval tribunal`: build good drafts beside drafts with planted defects and count how
many of each the publication policy lets through.

Every draft is made by the product's pipeline with a planted language model (planted.py) on
127.0.0.1 doing claim extraction, stance judging, the Answer and all three tribunal roles, so
the tribunal praises every draft (9.5/10) and every piece of evidence "supports". What stands
between a bad draft and publication is then only what the product checks itself: coverage,
the pairing checks, the claim gate, the verifier's states and the policy's gates.

Defects, each planted into drafts of on-topic questions of the question sets (or, for the
first, their off-topic questions):
  off-topic question        a question the corpus does not cover
  swapped primary paper     the question pinned to the paper annotated for another question
  negated claims            the model's claims are the paper's own sentences negated
  claims from another paper the model's claims come from another paper's abstract
  altered numbers           the model's claims change the paper's figures
  missing abstract          the pinned primary paper has no abstract
Good drafts (the control) are on-topic questions with faithful claims. A planted draft is
caught when it is not AUTO_APPROVE; a good draft is a false alarm when a gate escalates it.
Since "no supported claim" escalates most drafts of a small corpus, the report also counts the
drafts a gate other than that one caught: what the defect's own check finds.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.evaluation.coverage import OnTopic, QuestionSet

if TYPE_CHECKING:
    from generator.drafting.models import Draft, Question
    from generator.evaluation.planted import PlantedLlm
    from generator.inputs.settings import Settings

Progress = Callable[[str, int, int], None]
DEFECTS = (
    "off-topic question",
    "swapped primary paper",
    "negated claims",
    "claims from another paper",
    "altered numbers",
    "missing abstract",
)


@dataclass(frozen=True)
class Planted:
    """One draft to build: its question, the model's mode, and the corpus it reads."""

    defect: str
    question: Question
    mode: str = "faithful"
    other_abstract: str = ""
    blank: str | None = None  # a paper whose abstract the corpus copy leaves empty


def plan(data: QuestionSet, per_defect: int, corpus: dict[str, Any]) -> list[Planted]:
    """The drafts to build: `per_defect` of each defect and as many good ones."""
    from generator.drafting.models import Question

    on = list(data.on_topic)
    n = min(per_defect, len(on))

    def question(item: OnTopic, slug: str, paper: str | None = None) -> Question:
        return Question(slug=slug, question=item.question, paper=paper, path=f"{slug}.yaml")

    def other(i: int) -> OnTopic:
        return on[(i + len(on) // 2) % len(on)]

    items: list[Planted] = []
    for i, item in enumerate(on[:n]):
        items.append(Planted("good", question(item, f"good-{i}")))
    for i, off in enumerate(data.off_topic[:n]):
        q = Question(slug=f"off-topic-{i}", question=off.question, path=f"off-topic-{i}.yaml")
        items.append(Planted("off-topic question", q))
    for i, item in enumerate(on[:n]):
        swapped = other(i).papers[0]
        items.append(Planted("swapped primary paper", question(item, f"swapped-{i}", swapped)))
        items.append(Planted("negated claims", question(item, f"negated-{i}"), "negate"))
        foreign = corpus[other(i).papers[0]].abstract
        items.append(
            Planted("claims from another paper", question(item, f"other-{i}"), "other", foreign)
        )
        items.append(Planted("altered numbers", question(item, f"numbers-{i}"), "numbers"))
        pinned = item.papers[0]
        items.append(
            Planted("missing abstract", question(item, f"blank-{i}", pinned), blank=pinned)
        )
    return items


def planted_settings(settings: Settings, fake: PlantedLlm, corpus: Path | None) -> Settings:
    """The settings with every language-model stage on the planted endpoint (offline search)."""
    offline = settings.offline()
    return offline.model_validate(
        {
            **offline.model_dump(),
            "search": {
                **offline.search.model_dump(),
                **({"local_corpus": str(corpus)} if corpus else {}),
            },
            "extract": {**offline.extract.model_dump(), "backend": "llm"},
            "verify": {**offline.verify.model_dump(), "stance": "llm"},
            "answer": {"backend": "llm"},
            "review": {**offline.review.model_dump(), "backend": "llm"},
            "services": {
                **offline.services.model_dump(),
                "llm": {
                    **offline.services.llm.model_dump(),
                    "base_url": fake.base_url,
                    "api_key_env": None,
                    "model": "planted-praise",
                    "retries": 0,
                },
            },
        }
    )


def _corpus_without(source: Path, paper: str, folder: Path) -> Path:
    """A copy of the corpus in which `paper` has no abstract."""
    target = folder / f"corpus-without-{paper.replace('/', '_')}.jsonl"
    lines = []
    for line in source.read_text("utf-8").splitlines():
        record = json.loads(line)
        if record.get("id") == paper:
            record["abstract"] = ""
        lines.append(json.dumps(record, ensure_ascii=False))
    target.write_text("\n".join(lines) + "\n", "utf-8")
    return target


def build(item: Planted, settings: Settings, fake: PlantedLlm, folder: Path, n: int) -> Draft:
    """One draft, made by the pipeline against the planted endpoint: a stage cache of its own
    (nothing carries over between defects), the corpus indexes shared in `folder`."""
    from generator.drafting.corpus import bundled_path
    from generator.drafting.pipeline import Context, run_question
    from generator.inputs.settings import corpus_path
    from generator.machinery.cache import StageCache

    source = corpus_path(settings) or bundled_path()
    corpus = _corpus_without(source, item.blank, folder) if item.blank else None
    fake.mode, fake.other_abstract = item.mode, item.other_abstract
    cache = StageCache(folder / f"stages-{n}")
    ctx = Context(settings=planted_settings(settings, fake, corpus), cache=cache)
    try:
        return run_question(item.question, ctx)
    finally:
        cache.close()
        if ctx.services is not None:
            ctx.services.close()


def evaluate(
    data: QuestionSet, settings: Settings, per_defect: int, progress: Progress | None = None
) -> dict[str, Any]:
    """Build every planted and good draft; count what the policy approved and which gates
    caught what."""
    from generator.drafting.corpus import load_corpus
    from generator.drafting.pipeline import PipelineError
    from generator.evaluation.planted import PlantedLlm
    from generator.inputs.settings import corpus_path

    corpus = {p.id: p for p in load_corpus(corpus_path(settings))}
    items = plan(data, per_defect, corpus)
    rows: dict[str, dict[str, Any]] = {
        name: {
            "drafts": 0,
            "approved": 0,
            "gated": 0,
            "gated_beyond_support": 0,
            "gates": Counter(),
            "errors": 0,
        }
        for name in ("good", *DEFECTS)
    }
    with tempfile.TemporaryDirectory() as tmp, PlantedLlm() as fake:
        for done, item in enumerate(items, 1):
            row = rows[item.defect]
            row["drafts"] += 1
            try:
                draft = build(item, settings, fake, Path(tmp), done)
            except PipelineError:  # no draft at all: nothing can be published
                row["errors"] += 1
            else:
                row["approved"] += draft.decision.policy == "AUTO_APPROVE"
                row["gates"].update(g.name for g in draft.decision.gates)
                row["gated"] += bool(draft.decision.gates)
                row["gated_beyond_support"] += any(
                    g.name != "no supported claim" for g in draft.decision.gates
                )
                row.setdefault("scores", []).append(draft.final.tribunal.score)
            if progress:
                progress("drafts", done, len(items))
    report: dict[str, Any] = {"per_defect": per_defect, "defects": {}}
    for name, row in rows.items():
        scores = row.pop("scores", [])
        entry = {
            **row,
            "gates": dict(row["gates"].most_common()),
            "mean_tribunal_score": round(sum(scores) / len(scores), 2) if scores else None,
        }
        if name == "good":
            entry["false_alarms"] = row["gated"]
        else:
            entry["caught"] = row["drafts"] - row["approved"]
        report["defects"][name] = entry
    planted = [report["defects"][d] for d in DEFECTS]
    report["planted_approved"] = sum(d["approved"] for d in planted)
    report["planted"] = sum(d["drafts"] for d in planted)
    return report


def run(args: Any, settings: Settings) -> int:
    """Body of `sovereign eval tribunal`."""
    from generator.cli.common import EXIT_OK, EXIT_USAGE
    from generator.evaluation.command import _progress
    from generator.evaluation.coverage import question_sets_or_none

    data = question_sets_or_none(args.questions, settings)
    if data is None:
        return EXIT_USAGE
    bar, tick = _progress()
    with bar:
        report = evaluate(data, settings, args.per_defect, tick)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        _table(report)
    return EXIT_OK if report["planted_approved"] == 0 else 1


def _table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"planted defects · {report['per_defect']} drafts each · every role and stance "
        "by a model that praises everything"
    )
    columns = (
        "drafts",
        "approved",
        "caught / false alarms",
        "by a gate besides no support",
        "mean score",
        "gates named",
    )
    for column in columns:
        table.add_column(column if column != "drafts" else "defect (drafts)")
    for name, d in report["defects"].items():
        caught = f"{d['false_alarms']} false alarms" if name == "good" else f"{d['caught']} caught"
        gates = ", ".join(f"{g} {n}" for g, n in d["gates"].items()) or "—"
        score = "—" if d["mean_tribunal_score"] is None else f"{d['mean_tribunal_score']:.1f}"
        table.add_row(
            f"{name} ({d['drafts']})",
            str(d["approved"]),
            caught,
            str(d["gated_beyond_support"]),
            score,
            gates,
        )
    Console().print(table)
    print(f"planted drafts approved: {report['planted_approved']} of {report['planted']}")

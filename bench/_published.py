"""`bench/scale.py --published`: a deployment whose N drafts are all published, per engine.

A real site publishes its drafts, so every build hands the site engine N pages to render.
For each N: one project, built cold with `--no-pdf` (every draft escalated), then every draft
but two approved by an owner (a `review:` block with the draft's content hash in each
question file, as `sovereign review` prints it). Then, for each engine (`site.engine`):

  publish                the build that records the owners' decisions (N - 2 published)
  warm                   the build again, nothing changed (--repeat times; the median)
  engine alone           the engine's own build of the site_src/ the warm build left, into
                         a scratch folder: `mkdocs build -d`, or `zensical build` on the
                         config copy our build writes (Zensical keeps one cache per config in
                         .cache/, so its runs after the first are warm, as ours are)
                         — the floor no build of ours can go under
  one question edited    one published question's text changed (its pipeline reruns; the
                         owner's decision is now stale, so the draft leaves the site until
                         the owner approves it again), then the build
  one decision recorded  one of the two held-back drafts approved, then the build

The ratios are to the fastest engine's floor: the goal is warm ≤ 1.2× and one edit ≤ 2×.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scale import (
    PY,
    Run,
    _table,
    build_cmd,
    make_project,
    make_questions,
    median_run,
    run,
    write_question,
)

ENGINES = ("mkdocs", "zensical")
OWNER = "bench-owner"


def settings_text(engine: str) -> str:
    return f"policy:\n  owners: [{OWNER}]\nsite:\n  engine: {engine}\n"


def approve(root: Path, slug: str, question: tuple[str, str, list[str]], suffix: str = "") -> None:
    """Write the question file again with an owner's approval of its current draft; with
    `suffix`, its text edited as well (the decision then names an earlier version: stale)."""
    found = [root / "review" / f"{slug}.json", root / "site_src" / "drafts" / f"{slug}.json"]
    source = next(p for p in found if p.exists())
    data = json.loads(source.read_text(encoding="utf-8"))
    _, text, tags = question
    path = write_question(root / "questions", slug, text + suffix, tags)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(
            f"review:\n  decision: approve\n  by: {OWNER}\n  date: 2026-12-01\n"
            f"  draft_hash: {data['content_hash']}\n"
        )


def engine_alone(root: Path, engine: str, logs: Path, repeat: int) -> Run:
    out = root / f".bench-{engine}-out"
    if engine == "mkdocs":
        cmd = [PY, "-m", "mkdocs", "build", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(out)]
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from generator.publishing.engines.zensical import CONFIG_COPY, config_for

        # The very config copy and output folder our build gives Zensical, so that its cache
        # (kept per config) is the one our next build finds, and this run is as warm as ours.
        out = root / ".site.building"
        copy = root / CONFIG_COPY
        copy.write_text(config_for(root / "mkdocs.yml", root / "site_src", out), encoding="utf-8")
        cmd = [PY, "-m", "zensical", "build", "-f", str(copy)]
    return median_run(f"{engine} alone", cmd, logs, repeat)


def measure_published(n: int, scratch: Path, jobs: int, repeat: int) -> dict:
    questions = make_questions(n)
    base = scratch / f"published-n{n}"
    logs = base / "logs"
    logs.mkdir(parents=True)
    root = make_project(base / "main", questions)
    (root / "sovereign.yml").write_text(settings_text(ENGINES[0]), encoding="utf-8")
    print(f"N = {n}, every draft published, --no-pdf, jobs = {jobs}, scratch {base}")
    runs: dict[str, Run] = {"cold": run("cold build", build_cmd(root, "--no-pdf", jobs=jobs), logs)}
    slugs = [slug for slug, _, _ in questions]
    held = {engine: slugs[i] for i, engine in enumerate(ENGINES)}  # approved later, one each
    for slug, question in zip(slugs, questions, strict=True):
        if slug not in held.values():
            approve(root, slug, question)
    for k, engine in enumerate(ENGINES):
        (root / "sovereign.yml").write_text(settings_text(engine), encoding="utf-8")
        build = build_cmd(root, "--no-pdf", jobs=jobs)
        runs[f"{engine}:publish"] = run(f"{engine}: publish (decisions recorded)", build, logs)
        runs[f"{engine}:warm"] = median_run(f"{engine}: warm", build, logs, repeat)
        runs[f"{engine}:alone"] = engine_alone(root, engine, logs, repeat)
        edited = n // 2 + k  # a published draft: its page is rendered again
        slug, text, tags = questions[edited]
        approve(root, slug, (slug, text, tags), suffix=" Consider only recent evidence.")
        runs[f"{engine}:edit"] = run(f"{engine}: one question edited", build, logs)
        approve(root, held[engine], questions[slugs.index(held[engine])])
        runs[f"{engine}:decision"] = run(f"{engine}: one decision recorded", build, logs)
    return {"n": n, "jobs": jobs, "runs": {k: v.__dict__ for k, v in runs.items()}}


def report_published(result: dict) -> str:
    runs = result["runs"]
    floor = min(runs[f"{e}:alone"]["seconds"] for e in ENGINES)
    rows = []
    for engine in ENGINES:
        keys = ("publish", "warm", "alone", "edit", "decision")
        sec = {k: runs[f"{engine}:{k}"]["seconds"] for k in keys}
        rows.append(
            [
                engine,
                f"{runs[f'{engine}:publish']['extra'].get('published', '?')}",
                f"{sec['publish']:.2f}",
                f"{sec['warm']:.2f}",
                f"{sec['alone']:.2f}",
                f"{sec['edit']:.2f}",
                f"{sec['decision']:.2f}",
                f"{sec['warm'] / floor:.2f}",
                f"{sec['edit'] / floor:.2f}",
            ]
        )
    header = [
        "engine",
        "published",
        "first build s",
        "warm s",
        "engine alone s",
        "one edit s",
        "one decision s",
        "warm / floor",
        "edit / floor",
    ]
    # "first build": the build that records the owners' decisions, the engine's first (its
    # cache cold) over every published page
    return (
        f"\n### N = {result['n']}, every draft published (--no-pdf, --jobs {result['jobs']}; "
        f"cold build {runs['cold']['seconds']:.1f} s)\n\n"
        + _table(rows, header)
        + f"\n\nfloor = the fastest engine alone ({floor:.2f} s); goal: warm / floor ≤ 1.2, "
        "edit / floor ≤ 2"
    )

"""How build time and memory grow with the number of questions (issue 7: speed and scale).

Usage:
    .venv/bin/python bench/scale.py [--sizes 10,100,1000] [--jobs N] [--no-pdf-above 100]
                                    [--preview] [--repeat 1] [--keep-dir] [--json FILE]
    .venv/bin/python bench/scale.py --published [--sizes 100,1000] [--repeat 3]
                                    (every draft published, per site engine: bench/_published.py)

For each size N it makes scratch projects in a temporary folder (mkdocs.yml and the
hand-written pages of site_src/ copied from this repository without the generated files, as
tests/conftest.py `make_project` does) and writes N question files generated from the
bundled corpus (see `make_questions`): unpinned, valid, all distinct. Every figure comes from
the real CLI, `python -m generator.cli --root P build --jobs J ...`, run as a child process.
"the build" below is `build`, plus `--no-pdf` when N is above --no-pdf-above, plus
`--preview` with --preview (then every escalated draft also gets a page MkDocs renders).

  python startup        `python -m generator.cli --help` (interpreter + CLI import)
  cold build            the build on a fresh project, empty cache
  warm build            the build again, nothing changed (--repeat times; the median is shown)
  warm, ours only       the build with `--no-site`: everything of ours (pipeline from the
                        cache, pages, index, PDF stamps checked), no MkDocs
  MkDocs alone          `python -m mkdocs build -q -f P/mkdocs.yml -d SCRATCH` with
                        NO_MKDOCS_2_WARNING=1 on the site_src/ the warm build left
  phases                every build runs with `--timings`, which prints the wall time of
                        each phase of the real command (start-up, questions, pipeline,
                        pages, PDFs, site); the warm and incremental builds' phases are shown
  incremental           one question file's text edited (its whole pipeline reruns), then the
                        build again
  cold build, no PDF    `build --no-pdf` on a second fresh project (only when PDFs are on)
  cold pipeline         `build --no-site --no-pdf` on a third fresh project: the stages and
                        our pages/JSON/index, no PDF, no MkDocs (the issue's "cold offline
                        pipeline")
  warm pipeline         the same command again on that project

How each build's time splits (pipeline, pages, PDFs, MkDocs site) comes from its own
`--timings`, so no figure is a difference of two noisy runs. `--report FILE` prints the tables
of a saved `--json FILE` again.

Peak memory, two figures per run: "max RSS" is the child's ru_maxrss as reported by
`/usr/bin/time -f %M` (Linux folds reaped descendants in as a maximum, so it is the largest
single process of the tree, PDF workers included; without GNU time, os.wait4's ru_maxrss,
which a forked child inherits from this process, so it is then no less than ours); "tree PSS"
is the peak of the summed proportional set size (/proc/PID/smaps_rollup) of the child and all
its descendants, sampled every 0.1 s: the memory of the whole build when it runs several
processes at once (pipeline and PDF workers), shared pages counted once.

Each N's header names the commit measured (`git rev-parse`, "+dirty" when generator/ has
uncommitted changes, "changed!" when it moved during the run) and the 1-min load average
before and after, since other work on the machine skews wall times.

After the warm and incremental builds, the modification times of every file under
site_src/ and review/ are compared with a snapshot taken before: how many files changed
(site/ is rebuilt by MkDocs into a new folder every time, so every file there is new).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from _common import code_version  # bench/ is on sys.path when run as a script

SUMMARY = re.compile(
    r"(?P<drafts>\d+) drafts \((?P<computed>\d+) computed, (?P<cached>\d+) from cache\)"
)
STANDING = re.compile(r"(?P<published>\d+) published · (?P<awaiting>\d+) awaiting review")
TIMINGS = re.compile(r"^timings: (?P<line>.*)$", re.MULTILINE)
PHASE = re.compile(r"(?P<name>[A-Za-z][\w -]*?) (?P<seconds>\d+\.\d+) s")
REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None

TEMPLATES = (
    "What does the work reported in '{title}' establish about {phrase}?",
    "How strong is the evidence on {phrase} presented in '{title}', and do other papers "
    "support it?",
    "Does the study '{title}' show that {phrase} matters for Mixture-of-Experts models?",
    "Which results about {phrase} does '{title}' report, and how well are they corroborated?",
    "To what extent does research such as '{title}' change what is known about {phrase}?",
    "What are the measured effects of {phrase} according to '{title}' and related work?",
)
TAGS = ("routing", "scaling", "inference", "training", "efficiency", "analysis", "systems")


# ---------------------------------------------------------------------------- questions


def _slugify(text: str, limit: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].strip("-")


def make_questions(n: int) -> list[tuple[str, str, list[str]]]:
    """N distinct (slug, question, tags) built from the bundled corpus.

    Question i uses paper i mod 161 (corpus order), its title, and the r-th RAKE keyphrase
    of its abstract (r = i div 161, `generator.drafting.stages.plan.keyphrases`), worded by one of
    six
    templates (chosen by i + r); duplicates, should any arise, take the next keyphrase.
    """
    from generator.drafting.corpus import load_corpus
    from generator.drafting.stages.plan import keyphrases

    papers = load_corpus()
    phrases = {p.id: [k for k in keyphrases(p.abstract) if len(k) > 3] for p in papers}
    seen: set[str] = set()
    made = []
    for i in range(n):
        paper = papers[i % len(papers)]
        r = i // len(papers)
        options = phrases[paper.id] or [paper.title]
        for attempt in range(len(options) * len(TEMPLATES)):
            phrase = options[(r + attempt) % len(options)]
            template = TEMPLATES[(i + r + attempt // len(options)) % len(TEMPLATES)]
            text = template.format(title=paper.title.rstrip("."), phrase=phrase.lower())
            if text not in seen:
                break
        else:
            raise SystemExit(f"could not make a distinct question for paper {paper.id}")
        seen.add(text)
        slug = f"q{i:04d}-{_slugify(paper.title, 50)}"
        made.append((slug, text[:1000], ["bench", TAGS[i % len(TAGS)]]))
    return made


def write_question(folder: Path, slug: str, text: str, tags: list[str]) -> Path:
    path = folder / f"{slug}.yaml"
    body = (
        f"# generated by bench/scale.py\nquestion: {json.dumps(text)}\ntags: [{', '.join(tags)}]\n"
    )
    path.write_text(body, encoding="utf-8")
    return path


def make_project(root: Path, questions: list[tuple[str, str, list[str]]]) -> Path:
    """Like tests/conftest.py `make_project`: config and hand-written pages, our questions.
    The site engine is MkDocs, which every figure before issue 16 measured ("MkDocs alone");
    `--published` and serve_edit.py choose the engine themselves."""
    root.mkdir(parents=True)
    (root / "sovereign.yml").write_text("site:\n  engine: mkdocs\n", encoding="utf-8")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(
        REPO / "site_src", root / "site_src", ignore=shutil.ignore_patterns("drafts", "index.md")
    )
    folder = root / "questions"
    folder.mkdir()
    for slug, text, tags in questions:
        write_question(folder, slug, text, tags)
    return root


# ---------------------------------------------------------------------------- measuring


@dataclass
class Run:
    label: str
    command: str
    seconds: float
    maxrss_mib: float  # ru_maxrss of the child (largest process of its tree)
    tree_mib: float  # peak of the summed PSS of the child and its descendants
    code: int
    log: str
    extra: dict = field(default_factory=dict)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _pss_kib(pid: int) -> int:
    """Proportional set size: a page shared by k processes counts 1/k in each, so the sum
    over a tree does not count twice what a forked child shares with its parent."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree_pss_kib(pid: int) -> int:
    kids = _children()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(kids.get(current, []))
        total += _pss_kib(current)
    return total


def run(label: str, cmd: list[str], log_dir: Path, env: dict | None = None) -> Run:
    """Run `cmd`, return its wall time, max RSS and peak tree PSS; stop on failure."""
    log = log_dir / f"{len(list(log_dir.iterdir())):02d}-{_slugify(label, 40)}.log"
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})}
    peak = [0]
    rss_file = log.with_suffix(".maxrss")
    # NOTE: GNU time, when there is one: a child forked from this (large) process would report
    # our own RSS at fork time as its ru_maxrss; time's child is forked from time itself.
    timed = [TIME, "-f", "%M", "-o", str(rss_file)] if TIME else []
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*timed, *cmd], stdout=out, stderr=subprocess.STDOUT, env=environment
        )
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                peak[0] = max(peak[0], _tree_pss_kib(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    shown = " ".join(str(c) for c in cmd).replace(PY, "python")
    maxrss_kib = usage.ru_maxrss
    if TIME:
        try:
            maxrss_kib = int(rss_file.read_text(encoding="ascii").split()[-1])
        except (OSError, ValueError, IndexError):
            maxrss_kib = 0
    result = Run(label, shown, seconds, maxrss_kib / 1024, peak[0] / 1024, code, str(log))
    text = log.read_text(encoding="utf-8", errors="replace")
    counts = SUMMARY.search(text)
    if counts:
        result.extra["computed"] = int(counts["computed"])
        result.extra["from_cache"] = int(counts["cached"])
    standing = STANDING.search(text)
    if standing:
        result.extra["published"] = int(standing["published"])
        result.extra["awaiting"] = int(standing["awaiting"])
    timings = TIMINGS.search(text)
    if timings:
        result.extra["phases"] = {
            m["name"]: float(m["seconds"]) for m in PHASE.finditer(timings["line"])
        }
    problems = [line for line in text.splitlines() if line.startswith(("warning", "error"))]
    if problems:
        result.extra["problems"] = problems[:5]
        print("    " + "\n    ".join(problems[:5]))
    computed = f"  computed {result.extra['computed']}" if "computed" in result.extra else ""
    print(
        f"  {label:34} {seconds:8.2f} s  {result.maxrss_mib:7.0f} MiB  exit {code}{computed}",
        flush=True,
    )
    if code not in (0,):
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{label} failed (exit {code}); log {log}:\n{tail}")
    return result


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """mtime and size of every file under site_src/ and review/."""
    found = {}
    for folder in ("site_src", "review"):
        for path in (root / folder).rglob("*"):
            if path.is_file():
                stat = path.stat()
                found[str(path.relative_to(root))] = (stat.st_mtime_ns, stat.st_size)
    return found


def compare(before: dict, after: dict) -> dict:
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    return {
        "files": len(after),
        "changed": changed,
        "added": added,
        "removed": removed,
    }


def cli_cmd(root: Path, *args: str) -> list[str]:
    """`python -m generator.cli --root ROOT ARGS…`."""
    return [PY, "-m", "generator.cli", "--root", str(root), *args]


def build_cmd(root: Path, *flags: str, jobs: int) -> list[str]:
    return cli_cmd(root, "build", "--jobs", str(jobs), "--timings", *flags)


def median_run(label: str, cmd: list[str], log_dir: Path, repeat: int, env=None) -> Run:
    runs = [run(label, cmd, log_dir, env) for _ in range(repeat)]
    best = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    if repeat > 1:
        best.extra["all_seconds"] = [round(r.seconds, 3) for r in runs]
    return best


def measure(n: int, scratch: Path, jobs: int, pdf: bool, repeat: int, preview: bool) -> dict:
    questions = make_questions(n)
    base = scratch / f"n{n}"
    logs = base / "logs"
    logs.mkdir(parents=True)
    main = make_project(base / "main", questions)
    flags = (() if pdf else ("--no-pdf",)) + (("--preview",) if preview else ())
    runs: dict[str, Run] = {}
    print(f"N = {n} ({'with' if pdf else 'without'} PDFs), jobs = {jobs}, scratch {base}")

    runs["startup"] = run(
        "python startup (cli --help)", [PY, "-m", "generator.cli", "--help"], logs
    )
    runs["cold"] = run("cold build", build_cmd(main, *flags, jobs=jobs), logs)
    before = snapshot(main)
    runs["warm"] = median_run("warm build", build_cmd(main, *flags, jobs=jobs), logs, repeat)
    warm_files = compare(before, snapshot(main))
    runs["warm_ours"] = median_run(
        "warm, ours only (--no-site)",
        build_cmd(main, "--no-site", *flags, jobs=jobs),
        logs,
        repeat,
    )
    out = base / "mkdocs-out"
    runs["mkdocs"] = median_run(
        "MkDocs alone",
        [PY, "-m", "mkdocs", "build", "-q", "-f", str(main / "mkdocs.yml"), "-d", str(out)],
        logs,
        repeat,
    )
    shutil.rmtree(out, ignore_errors=True)

    # incremental: edit the text of one question (its whole pipeline reruns)
    slug, text, tags = questions[n // 2]
    write_question(main / "questions", slug, text + " Consider only recent evidence.", tags)
    before = snapshot(main)
    runs["incremental"] = run(
        "incremental (one question edited)", build_cmd(main, *flags, jobs=jobs), logs
    )
    incremental_files = compare(before, snapshot(main))
    site_files = sum(1 for p in (main / "site").rglob("*") if p.is_file())

    if pdf:
        nopdf = make_project(base / "nopdf", questions)
        runs["cold_nopdf"] = run(
            "cold build, no PDF",
            build_cmd(nopdf, "--no-pdf", *(("--preview",) if preview else ()), jobs=jobs),
            logs,
        )
    pipe = make_project(base / "pipeline", questions)
    runs["cold_pipeline"] = run(
        "cold pipeline (--no-site --no-pdf)",
        build_cmd(pipe, "--no-site", "--no-pdf", jobs=jobs),
        logs,
    )
    runs["warm_pipeline"] = median_run(
        "warm pipeline (--no-site --no-pdf)",
        build_cmd(pipe, "--no-site", "--no-pdf", jobs=jobs),
        logs,
        repeat,
    )
    return {
        "n": n,
        "pdf": pdf,
        "jobs": jobs,
        "preview": preview,
        "runs": {k: asdict(v) for k, v in runs.items()},
        "warm_files": warm_files,
        "incremental_files": incremental_files,
        "edited": f"questions/{slug}.yaml",
        "site_files": site_files,
    }


# ---------------------------------------------------------------------------- tables


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        cells = [
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    import mkdocs

    return (
        f"{os.cpu_count()} cores · {platform.processor() or platform.machine()} · "
        f"Python {platform.python_version()} · MkDocs {mkdocs.__version__} · "
        f"{platform.system()} {platform.release()}"
    )


def ours_share(run_: dict) -> float:
    """Percent of a build's `--timings` total spent outside the MkDocs site build."""
    phases = run_["extra"].get("phases", {})
    total = phases.get("total") or sum(phases.values())
    return (1 - phases.get("site", 0) / total) * 100 if total else float("nan")


def report(result: dict) -> str:
    runs = result["runs"]
    n = result["n"]
    rows = []
    for run_ in runs.values():
        rows.append(
            [
                run_["label"],
                f"{run_['seconds']:.2f}",
                f"{run_['seconds'] / n * 1000:.0f}",
                f"{run_['maxrss_mib']:.0f}",
                f"{run_['tree_mib']:.0f}",
            ]
        )
    text = [
        f"\n### N = {n} ({'with PDFs' if result['pdf'] else 'PDFs skipped: --no-pdf'}, "
        f"--jobs {result['jobs']}{', --preview' if result.get('preview') else ''}; "
        f"code {result.get('code', '?')}; 1-min load average {result.get('load', '?')})\n",
        f"{runs['cold']['extra'].get('published', '?')} drafts published, "
        f"{runs['cold']['extra'].get('awaiting', '?')} awaiting review (escalated drafts get a "
        f"site page only with --preview)\n",
        _table(rows, ["measurement", "wall s", "ms/question", "max RSS MiB", "tree PSS MiB"]),
    ]
    shown = ("cold", "warm", "incremental")
    phases = [runs[k]["extra"].get("phases", {}) for k in shown]
    prow = [
        [name, *(f"{p.get(name, 0):.2f}" for p in phases)]
        for name in dict.fromkeys(n for p in phases for n in p)
    ]
    text += [
        "\nPhases of the cold, warm and incremental builds (their `build --timings`):\n",
        _table(prow, ["phase", *(f"{k} s" for k in shown)]),
        f"\nours in warm (all but the MkDocs site) = {ours_share(runs['warm']):.1f}%; "
        f"in the incremental build {ours_share(runs['incremental']):.1f}%",
    ]
    for name in ("warm_files", "incremental_files"):
        f = result[name]
        text.append(
            f"{name.replace('_files', '')}: {len(f['changed'])} changed, {len(f['added'])} added, "
            f"{len(f['removed'])} removed of {f['files']} files under site_src/ and review/"
            + (
                f": {', '.join(f['changed'] + f['added'] + f['removed'])}"
                if len(f["changed"] + f["added"] + f["removed"]) <= 8
                else ""
            )
        )
    text.append(
        f"edited: {result['edited']}; site/ holds {result['site_files']} files"
        " (all rewritten by MkDocs)"
    )
    return "\n".join(text)


def summary(results: list[dict]) -> str:
    rows = []
    for r in results:
        runs = r["runs"]
        sec = {k: v["seconds"] for k, v in runs.items()}
        warm = sec["warm"]
        ours = ours_share(runs["warm"])
        peak = max(max(v["maxrss_mib"], v["tree_mib"]) for v in runs.values())
        inc = r["incremental_files"]
        rows.append(
            [
                str(r["n"]),
                "yes" if r["pdf"] else "no",
                f"{sec['cold']:.1f}",
                f"{sec['cold_nopdf'] if r['pdf'] else sec['cold']:.1f}",
                f"{sec['cold_pipeline']:.1f}",
                f"{warm:.1f}",
                f"{sec['mkdocs']:.1f}",
                f"{ours:.0f}%",
                f"{sec['incremental']:.1f}",
                f"{sec['incremental'] / warm:.2f}",
                f"{len(inc['changed']) + len(inc['added']) + len(inc['removed'])}",
                f"{peak:.0f}",
            ]
        )
    header = [
        "N",
        "PDFs",
        "cold s",
        "cold no-PDF s",
        "cold pipeline s",
        "warm s",
        "MkDocs alone s",
        "ours in warm",
        "incr. s",
        "incr./warm",
        "files touched",
        "peak MiB",
    ]
    return (
        "\n## Summary\n\n"
        + _table(rows, header)
        + "\n\nours in warm = 1 − site / total of the warm build's `--timings`; "
        "peak MiB = the larger of max RSS and tree PSS over every run of that N"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated N values")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="build --jobs")
    parser.add_argument(
        "--no-pdf-above", type=int, default=100, help="build with --no-pdf when N is larger"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each warm measurement")
    parser.add_argument("--keep-dir", action="store_true", help="keep the scratch projects")
    parser.add_argument(
        "--preview",
        action="store_true",
        help="build with --preview: every draft gets a site page (MkDocs renders N pages)",
    )
    parser.add_argument(
        "--published",
        action="store_true",
        help="every draft published by an owner, each site engine measured (bench/_published.py)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--report", type=Path, help="print the tables of a saved --json again")
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text(encoding="utf-8"))
        print(f"# Results\n\nmachine: {saved['machine']}")
        if "published" in saved:
            from _published import report_published

            for result in saved["published"]:
                print(report_published(result))
            return
        for result in saved["results"]:
            print(report(result))
        print(summary(saved["results"]))
        return

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    scratch = Path(tempfile.mkdtemp(prefix="sovereign-scale-"))
    print(f"machine: {machine()}")
    if args.published:
        from _published import measure_published, report_published

        published = []
        try:
            for n in sizes:
                load = os.getloadavg()[0]
                result = measure_published(n, scratch, args.jobs, args.repeat)
                result["code"] = code_version()
                result["load"] = f"{load:.2f} → {os.getloadavg()[0]:.2f}"
                published.append(result)
                print(report_published(result))
                print(f"code {result['code']}; 1-min load {result['load']}")
                if args.json:
                    saved = {"machine": machine(), "published": published}
                    args.json.write_text(json.dumps(saved, indent=1))
        finally:
            if not args.keep_dir:
                shutil.rmtree(scratch, ignore_errors=True)
        return
    results = []
    try:
        for n in sizes:
            before, load = code_version(), os.getloadavg()[0]
            results.append(
                measure(n, scratch, args.jobs, n <= args.no_pdf_above, args.repeat, args.preview)
            )
            after = code_version()
            # NOTE: only generator/ matters; a commit elsewhere (docs, bench) changes nothing
            same = before.split(" ", 1)[-1] == after.split(" ", 1)[-1]
            results[-1]["code"] = before if same else f"{before} → {after} (changed!)"
            results[-1]["load"] = f"{load:.2f} → {os.getloadavg()[0]:.2f}"
            print(report(results[-1]), flush=True)
            if args.json:
                args.json.write_text(
                    json.dumps({"machine": machine(), "results": results}, indent=1)
                )
    finally:
        if args.keep_dir:
            print(f"scratch projects kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n# Results\n\nmachine: {machine()}")
    for result in results:
        print(report(result))
    print(summary(results))
    skipped = [n for n in sizes if n > args.no_pdf_above]
    if skipped:
        print(
            f"\nPDFs skipped (--no-pdf) for N = {', '.join(map(str, skipped))} "
            f"(above --no-pdf-above {args.no_pdf_above}): 'cold' there is `build --no-pdf`."
        )


if __name__ == "__main__":
    main()

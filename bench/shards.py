"""Scale-out with shards (issue 7): how the cold wall time of N drafts falls with S shards.

Usage:
    .venv/bin/python bench/shards.py [--n 1000] [--shards 1,2,4] [--jobs 1] [--merge-jobs 2]
                                     [--plain-jobs 2] [--pdf] [--no-alone] [--no-plain]
                                     [--src DIR] [--keep-dir] [--json FILE]

The N questions and the scratch projects are those of bench/scale.py (`make_questions`,
`make_project`), every figure the wall time of the real CLI run as a child process
(`scale.run`: /usr/bin/time for max RSS, tree PSS sampled). For each shard count S, as CI's
publish workflow does with one machine per shard:

  concurrent   S fresh projects (each its own copy of the questions and its own empty cache,
               so the shards share nothing, like CI runners), and in each at the same time
               `python -m generator.cli --root Pi build --offline --shard i/S --out M/shards/i
               --jobs J`; "concurrent phase" = from the first start to the last exit
  merge        `merge M/shards/1 .. M/shards/S --no-pdf --jobs K` in a further fresh project M
               (empty cache, like CI's merge job): pages, JSON, index, review queue, MkDocs
               site. With --pdf, the shards render their drafts' PDFs (no --no-pdf) and merge
               copies them into place (and renders any whose draft or standing changed)
  alone        the same S shard builds again on S more fresh projects, one after the other:
               each shard's time as if it had a machine to itself; "critical path" = the
               slowest of them + merge = the wall time with one machine per shard
  plain        `build --offline [--no-pdf] --jobs C` once on a fresh project (no shards), for
               reference (C = --plain-jobs, the cores as for `build`; skip with --no-plain)

The merged result is checked: merge's "N drafts from S shards", and the draft JSON files under
site_src/drafts/ and review/ of M, which must number N and (with the plain build) carry the
same names and the same site_src/index.md as the plain build.

So that the code measured does not change during the run, point --src at an export of a
commit (`git -C REPO archive HEAD | tar -x -C DIR`): the children then run with cwd = DIR and
PYTHONPATH = DIR, the projects are made from DIR's mkdocs.yml and site_src/, and the script
checks that DIR/generator is what the children import and whether it equals HEAD:generator.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

import scale  # bench/ is on sys.path when run as a script
from _common import REPO, code_version
from scale import PY, Run, _table, cli_cmd, machine, make_project, make_questions, run

MERGED = re.compile(r"(?P<drafts>\d+) drafts from (?P<shards>\d+) shards")
FAILURES = "failures.json"  # generator.machinery.shards.FAILURES


# ---------------------------------------------------------------------------- the code measured


def child_env(src: Path) -> dict[str, str]:
    """What a child needs to import `src`'s generator before the editable install."""
    return {"PYTHONPATH": str(src)}


def check_import(src: Path) -> str:
    """The generator package a child imports; stop unless it is `src`'s."""
    out = subprocess.run(
        [PY, "-c", "import generator; print(generator.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **child_env(src)},
        cwd=src,
    ).stdout.strip()
    if not Path(out).resolve().is_relative_to(src.resolve()):
        raise SystemExit(f"children would import {out}, not the code in {src}")
    return out


def _git(*args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], input=stdin, capture_output=True, text=True, check=True
    ).stdout


def src_version(src: Path, depth: int = 30) -> str:
    """The commit measured: code_version() for this repository; for an export, the newest of
    the last `depth` commits whose generator/ has the blobs of src/generator (read-only git)."""
    if src.resolve() == REPO:
        return code_version()
    try:
        files = sorted(
            str(p.relative_to(src))
            for p in (src / "generator").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        )
        hashed = _git("hash-object", "--stdin-paths", stdin="\n".join(str(src / f) for f in files))
        ours = dict(zip(files, hashed.split(), strict=True))
        head = _git("rev-parse", "--short", "HEAD").strip()
        for commit in _git("rev-list", "-n", str(depth), "HEAD").split():
            listed = _git("ls-tree", "-r", commit, "generator").splitlines()
            if ours == {line.split("\t", 1)[1]: line.split()[2] for line in listed}:
                tree = _git("rev-parse", "--short", f"{commit}:generator").strip()
                moved = "" if commit.startswith(head) else f"; HEAD is now {head}"
                return f"{commit[:7]} generator@{tree} (export in {src}{moved})"
    except (OSError, ValueError, IndexError, subprocess.CalledProcessError):
        return f"export in {src} (not compared with git)"
    return f"export in {src}: generator/ matches none of the last {depth} commits"


# ---------------------------------------------------------------------------- running


def shard_cmd(root: Path, index: int, count: int, out: Path, jobs: int, pdf: bool) -> list[str]:
    """`build --shard index/count` of project `root`, its drafts (and PDFs) written to `out`."""
    flags = [] if pdf else ["--no-pdf"]
    shard = ["--shard", f"{index}/{count}", "--out", str(out), "--jobs", str(jobs)]
    return cli_cmd(root, "build", "--offline", *shard, *flags)


def run_all(jobs: list[tuple[str, list[str]]], logs: Path, env: dict, together: bool):
    """Run the commands at the same time (one thread each, waiting on its child) or one after
    the other; return their Runs and the wall time from the first start to the last exit."""
    results: list[Run | BaseException | None] = [None] * len(jobs)

    def work(k: int, label: str, cmd: list[str]) -> None:
        folder = logs / f"{k + 1}"  # NOTE: scale.run names logs by counting a folder's files
        folder.mkdir(parents=True, exist_ok=True)
        try:
            results[k] = run(label, cmd, folder, env)
        except BaseException as exc:  # SystemExit on failure: report it in the main thread
            results[k] = exc

    started = time.perf_counter()
    if together:
        threads = [
            threading.Thread(target=work, args=(k, label, cmd))
            for k, (label, cmd) in enumerate(jobs)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for k, (label, cmd) in enumerate(jobs):
            work(k, label, cmd)
    wall = time.perf_counter() - started
    for result in results:
        if not isinstance(result, Run):
            raise SystemExit(f"a shard build failed: {result}")
    return results, wall


def run_shards(
    how: str,
    projects: list[Path],
    outs: list[Path],
    count: int,
    args: argparse.Namespace,
    logs: Path,
    env: dict,
) -> tuple[list[Run], float]:
    """The S shard builds, "concurrent" (all at once) or "alone" (one after the other)."""
    return run_all(
        [
            (f"shard {i}/{count} ({how})", shard_cmd(p, i, count, out, args.jobs, args.pdf))
            for i, (p, out) in enumerate(zip(projects, outs, strict=True), 1)
        ],
        logs,
        env,
        together=how == "concurrent",
    )


def shard_contents(folder: Path) -> tuple[list[str], int]:
    """Draft file names of a shard folder and its number of failed questions."""
    names = sorted(p.name for p in folder.glob("*.json") if p.name != FAILURES)
    failures = json.loads((folder / FAILURES).read_text(encoding="utf-8"))
    return names, len(failures)


def published(root: Path) -> dict[str, list[str]]:
    """The draft JSON files a build or merge wrote: site_src/drafts/ and review/."""
    return {
        folder: sorted(p.name for p in (root / folder).glob("*.json"))
        for folder in ("site_src/drafts", "review")
    }


def measure(count: int, questions: list, base: Path, args: argparse.Namespace, env: dict) -> dict:
    """Shards concurrent, merge, shards alone, for one shard count; returns the figures."""
    load_before = os.getloadavg()[0]
    logs = base / "logs"
    merge_root = make_project(base / "merge", questions)
    outs = [merge_root / "shards" / str(i) for i in range(1, count + 1)]
    print(f"S = {count}: {count} shard build(s) at once, --jobs {args.jobs}")
    projects = [make_project(base / f"shard-{i}", questions) for i in range(1, count + 1)]
    together, concurrent_wall = run_shards(
        "concurrent", projects, outs, count, args, logs / "concurrent", env
    )
    print(f"  {'concurrent phase':34} {concurrent_wall:8.2f} s")
    contents = [shard_contents(out) for out in outs]
    merge_flags = ["--jobs", str(args.merge_jobs)] + ([] if args.pdf else ["--no-pdf"])
    (logs / "merge").mkdir(parents=True)
    merged = run(
        f"merge of {count} shard(s)",
        cli_cmd(merge_root, "merge", *map(str, outs), *merge_flags),
        logs / "merge",
        env,
    )
    said = MERGED.search(Path(merged.log).read_text(encoding="utf-8"))
    files = published(merge_root)
    index = (merge_root / "site_src" / "index.md").read_text(encoding="utf-8")
    site_ok = (merge_root / "site" / "index.html").is_file()
    if not args.keep_dir:
        for project in projects:
            shutil.rmtree(project)

    alone, same_as_concurrent = [], None
    if args.alone:
        alone_outs = [base / "alone-out" / str(i) for i in range(1, count + 1)]
        projects = [make_project(base / f"alone-{i}", questions) for i in range(1, count + 1)]
        alone, _ = run_shards("alone", projects, alone_outs, count, args, logs / "alone", env)
        same_as_concurrent = [shard_contents(o) for o in alone_outs] == contents
        if not args.keep_dir:
            for project in projects:
                shutil.rmtree(project)
    result = {
        "shards": count,
        "concurrent": [asdict(r) for r in together],
        "concurrent_wall": concurrent_wall,
        "merge": asdict(merged),
        "alone": [asdict(r) for r in alone],
        "alone_same_drafts": same_as_concurrent,
        "drafts_per_shard": [len(names) for names, _ in contents],
        "failures_per_shard": [failed for _, failed in contents],
        "merge_said": int(said["drafts"]) if said else None,
        "merged_files": {k: len(v) for k, v in files.items()},
        "merged_names": sorted(files["site_src/drafts"] + files["review"]),
        "index": index,
        "site_ok": site_ok,
        "load": f"{load_before:.2f} → {os.getloadavg()[0]:.2f}",
    }
    if not args.keep_dir:
        shutil.rmtree(merge_root)
    return result


# ---------------------------------------------------------------------------- report


def _each(runs: list[dict]) -> str:
    return " / ".join(f"{r['seconds']:.1f}" for r in runs)


def report(results: list[dict], plain: dict | None, n: int, args: argparse.Namespace) -> str:
    """The Markdown tables."""
    base = results[0]
    here0 = base["concurrent_wall"] + base["merge"]["seconds"]
    crit0 = (
        max(r["seconds"] for r in base["alone"]) + base["merge"]["seconds"]
        if base["alone"]
        else None
    )
    rows, problems = [], []
    for r in results:
        merge = r["merge"]["seconds"]
        here = r["concurrent_wall"] + merge
        merged = sum(r["merged_files"].values())
        row = [
            str(r["shards"]),
            " / ".join(map(str, r["drafts_per_shard"])),
            _each(r["concurrent"]),
            f"{r['concurrent_wall']:.1f}",
            f"{merge:.1f}",
            f"{here:.1f}",
            f"{here0 / here:.2f}×",
        ]
        if r["alone"]:
            crit = max(a["seconds"] for a in r["alone"]) + merge
            row += [_each(r["alone"]), f"{crit:.1f}", f"{crit0 / crit:.2f}×"]
        row += [f"{merged}" + (" ✓" if merged == n and r["merge_said"] == n else " ✗"), r["load"]]
        rows.append(row)
        if merged != n or r["merge_said"] != n or not r["site_ok"]:
            problems.append(
                f"S = {r['shards']}: merge said {r['merge_said']} drafts, {merged} JSON files "
                f"{r['merged_files']}, site {'built' if r['site_ok'] else 'MISSING'}; N = {n}"
            )
        if any(r["failures_per_shard"]):
            problems.append(f"S = {r['shards']}: failed questions {r['failures_per_shard']}")
        if r["alone_same_drafts"] is False:
            problems.append(f"S = {r['shards']}: alone and concurrent shards hold other drafts")
        if plain and r["merged_names"] != plain["names"]:
            problems.append(f"S = {r['shards']}: merged draft files differ from the plain build's")
        if plain and r["index"] != plain["index"]:
            problems.append(f"S = {r['shards']}: site_src/index.md differs from the plain build's")
    header = [
        "S",
        "drafts per shard",
        "shards at once s (each)",
        "concurrent phase s",
        "merge + site s",
        "total here s",
        "speed-up here",
    ]
    if base["alone"]:
        header += ["shards alone s (each)", "critical path s", "speed-up, S machines"]
    header += ["merged drafts", "load 1-min"]
    pdf = "with PDFs" if args.pdf else "`--no-pdf`"
    text = [
        f"\n### N = {n}, cold, offline; shard `--jobs {args.jobs}`, merge `--jobs "
        f"{args.merge_jobs}` {pdf}\n",
        _table(rows, header),
        "",
        "total here = concurrent phase + merge; critical path = slowest shard run alone + "
        "merge (one machine per shard, as in CI, transfers not counted); speed-ups against "
        "S = 1; merged drafts = draft JSON files under site_src/drafts/ and review/ after "
        "merge (✓ = N, and merge said N).",
    ]
    if plain:
        run_ = plain["run"]
        text.append(
            f"\nPlain build, no shards (`build --offline{'' if args.pdf else ' --no-pdf'} "
            f"--jobs {args.plain_jobs}`, fresh "
            f"project): {run_['seconds']:.1f} s, max RSS {run_['maxrss_mib']:.0f} MiB; "
            f"{run_['extra'].get('published', '?')} published, "
            f"{run_['extra'].get('awaiting', '?')} awaiting review."
        )
    rss = [
        f"S = {r['shards']}: shards {max(c['maxrss_mib'] for c in r['concurrent']):.0f}, "
        f"merge {r['merge']['maxrss_mib']:.0f}"
        for r in results
    ]
    text.append("Largest process (max RSS MiB): " + "; ".join(rss) + ".")
    text.append(
        "Checks: "
        + (
            "; ".join(problems)
            if problems
            else "every merge complete (N drafts, site built)"
            + ("; shards alone held the same drafts as at once" if base["alone"] else "")
            + ("; merged draft files and index.md equal the plain build's" if plain else "")
        )
        + "."
    )
    return "\n".join(text)


def main() -> None:
    """Parse the options, run every shard count, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of questions")
    parser.add_argument("--shards", default="1,2,4", help="comma-separated shard counts")
    parser.add_argument("--jobs", type=int, default=1, help="build --jobs of each shard")
    parser.add_argument(
        "--merge-jobs", type=int, default=os.cpu_count() or 1, help="merge --jobs (PDF workers)"
    )
    parser.add_argument(
        "--plain-jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="build --jobs of the unsharded build (default: the cores, as `build` does)",
    )
    parser.add_argument(
        "--pdf", action="store_true", help="shards render the PDFs, merge copies them"
    )
    parser.add_argument(
        "--no-alone", dest="alone", action="store_false", help="skip the shards run alone"
    )
    parser.add_argument(
        "--no-plain", dest="plain", action="store_false", help="skip the unsharded build"
    )
    parser.add_argument(
        "--src", type=Path, default=REPO, help="the project tree whose generator/ is measured"
    )
    parser.add_argument("--keep-dir", action="store_true", help="keep the scratch projects")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    src = args.src.resolve()
    counts = [int(s) for s in args.shards.split(",") if s.strip()]

    # NOTE: `python -m` puts the cwd first on sys.path, before PYTHONPATH: the children must
    # not start in a checkout whose generator/ is not the one measured.
    imported = check_import(src)
    os.chdir(src)
    sys.path.insert(0, str(src))
    scale.REPO = src  # make_project copies mkdocs.yml and site_src/ from here
    env = child_env(src)
    version = src_version(src)
    print(f"machine: {machine()}")
    print(f"code: {version}; children import {imported}")
    questions = make_questions(args.n)
    scratch = Path(tempfile.mkdtemp(prefix="sovereign-shards-"))
    results: list[dict] = []
    plain = None
    started_load = os.getloadavg()
    try:
        for count in counts:
            results.append(measure(count, questions, scratch / f"s{count}", args, env))
        if args.plain:
            root = make_project(scratch / "plain", questions)
            (scratch / "plain-logs").mkdir()
            plain_run = run(
                "plain build (no shards)",
                cli_cmd(
                    root,
                    "build",
                    "--offline",
                    *([] if args.pdf else ["--no-pdf"]),
                    *("--jobs", str(args.plain_jobs)),
                ),
                scratch / "plain-logs",
                env,
            )
            files = published(root)
            plain = {
                "run": asdict(plain_run),
                "names": sorted(files["site_src/drafts"] + files["review"]),
                "index": (root / "site_src" / "index.md").read_text(encoding="utf-8"),
            }
    finally:
        if args.keep_dir:
            print(f"scratch projects kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    after = src_version(src)
    load = os.getloadavg()
    print("\n# Results\n")
    print(f"machine: {machine()}")
    print(
        f"code: {version}" + ("" if after == version else f" → {after} (changed!)") + "; "
        f"1/5/15-min load average before {'/'.join(f'{x:.2f}' for x in started_load)}, "
        f"after {'/'.join(f'{x:.2f}' for x in load)}"
    )
    print(report(results, plain, args.n, args))
    if args.json:
        for r in results:
            r.pop("index")
        args.json.write_text(
            json.dumps({"machine": machine(), "code": version, "results": results}, indent=1)
        )


if __name__ == "__main__":
    main()

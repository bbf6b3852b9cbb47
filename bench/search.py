"""Search latency of the `local` source over a corpus scaled to 20,000+ records (issue 7).

Usage:
    .venv/bin/python bench/search.py [--records 20000] [--seed 7] [--keep FILE] [--json FILE]

The scaled corpus. The bundled corpus (generator/drafting/data/moe_arxiv.jsonl, 161 real arXiv
records) is copy 0, unchanged. Copies 1, 2, ... each hold a synthetic variant of every bundled
record, until --records records exist (20,000 → 125 copies, the last one partial):
  - id: "9KKK.IIIII" (copy K, record I), arXiv-shaped and unique, never a real id in the corpus;
  - abstract: the record's sentences (split after . ! ?) in a shuffled order, each one replaced
    with probability 0.3 by a random sentence of a random other bundled record;
  - title: the record's title with one word dropped (probability 0.5, titles of 4+ words), two
    adjacent words swapped, and a prefix such as "Revisiting" (probability 0.5);
  - authors rotated by K, date and categories kept.
So the vocabulary stays that of the real corpus (realistic term statistics for BM25 and
TF-IDF), every record is distinct, and the texts are as long as real abstracts. A seeded
random.Random makes the corpus identical on every run. It is written to a temporary JSONL.

The queries (at least 200): every bundled question's text, the 4 queries its plan stage
derives (`generator.drafting.stages.plan.keyphrase_plan`, as a build would send them), and the title
of every bundled paper.

What is measured, for each ranker (bm25, tfidf), each in a fresh child process so imports and
memory are its own, with the real `generator.drafting.sources.local.LocalSource(ranker=...,
path=...)`:
  load      `source.papers`: read and validate the JSONL (generator.drafting.corpus.load_corpus)
  index     `source.ranker`: import NumPy + bm25s / scikit-learn and fit the index
  first     the first `await source.search(q, 20)` (after the index is built)
  search    every query through `await source.search(q, 20)` in one event loop (the
            thread hop the pipeline uses included): median, p95, max, mean
  top       the same queries through `source.ranker.top(q, 20)` directly (no thread hop)
  RSS       ru_maxrss of the child at the end
Baseline rows do the same on the bundled 161-record corpus.
Target (issue 7): under 50 ms per query after the index is loaded.

Then the index store (generator/machinery/index_store.py), on the scaled corpus, for each ranker and
for the idf of the TF-IDF embedder, in a fresh child process per index:
  import    import NumPy + bm25s / scikit-learn
  build     fit the index (no imports)
  save      write it to an empty index folder: files, checksums, manifest, rename
  load      read it back through the store (checksums verified), imports already done
  disk      size of its entry folder
  new proc  in another fresh process, what a build worker pays with the saved index: imports
            + load, through the real `LocalSource(..., index_dir=...).ranker` (or the
            embedder's first similarity); its build function made to fail, so it must load.
            Compare with `index s` above (imports + fit). The files are in the page cache.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import code_version  # bench/ is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
RANKERS = ("bm25", "tfidf")
INDEXES = ("bm25", "tfidf", "idf")  # the rankers' indexes and the TF-IDF embedder's idf
PREFIXES = ("Revisiting", "Towards", "Rethinking", "On", "A Study of", "Understanding")
REPLACE = 0.3
TARGET_MS = 50.0
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def scale_corpus(records: int, seed: int) -> list[dict]:
    """The bundled records, then synthetic variants of them, `records` in all."""
    from generator.drafting.corpus import bundled_path

    lines = bundled_path().read_text(encoding="utf-8").splitlines()
    base = [json.loads(line) for line in lines if line.strip()]
    sentences = [SENTENCE.split(" ".join(r["abstract"].split())) for r in base]
    rng = random.Random(seed)
    out = list(base[:records])
    copy = 0
    while len(out) < records:
        copy += 1
        for i, record in enumerate(base):
            if len(out) >= records:
                break
            own = list(sentences[i])
            rng.shuffle(own)
            for j in range(len(own)):
                if rng.random() < REPLACE:
                    other = rng.randrange(len(base) - 1)
                    other += other >= i  # any record but this one
                    own[j] = rng.choice(sentences[other])
            words = record["title"].split()
            if len(words) >= 4 and rng.random() < 0.5:
                del words[rng.randrange(1, len(words))]
            if len(words) >= 2:
                k = rng.randrange(len(words) - 1)
                words[k], words[k + 1] = words[k + 1], words[k]
            if rng.random() < 0.5:
                words.insert(0, rng.choice(PREFIXES))
            authors = list(record.get("authors", []))
            shift = copy % len(authors) if authors else 0
            out.append(
                {
                    **record,
                    "id": f"9{copy:03d}.{i:05d}",
                    "title": " ".join(words),
                    "abstract": " ".join(own),
                    "authors": authors[shift:] + authors[:shift],
                }
            )
    return out


def make_queries() -> list[str]:
    """Bundled questions, their planned queries, and the bundled papers' titles."""
    from generator.drafting.corpus import load_corpus
    from generator.drafting.stages.plan import keyphrase_plan
    from generator.inputs.questions import load_questions
    from generator.inputs.settings import PlanSettings

    queries: list[str] = []
    for question in load_questions(REPO / "questions").questions:
        queries.append(question.question)
        queries.extend(keyphrase_plan(question, PlanSettings()).queries)
    queries.extend(p.title for p in load_corpus())
    return queries


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": statistics.median(ordered) * 1000,
        "p95": p95 * 1000,
        "max": ordered[-1] * 1000,
        "mean": statistics.fmean(ordered) * 1000,
    }


def measure_one(ranker: str, corpus: Path | None, queries: list[str]) -> dict:
    """Run in a child process: load, index and query one LocalSource."""
    from generator.drafting.sources.local import LocalSource

    started = time.perf_counter()
    source = LocalSource(ranker=ranker, path=corpus)
    papers = source.papers
    loaded = time.perf_counter()
    _ = source.ranker
    indexed = time.perf_counter()

    async def searches() -> tuple[float, list[float]]:
        t = time.perf_counter()
        await source.search(queries[0], 20)
        first = time.perf_counter() - t
        times = []
        for query in queries:
            t = time.perf_counter()
            found = await source.search(query, 20)
            times.append(time.perf_counter() - t)
            assert len(found) == 20
        return first, times

    first, times = asyncio.run(searches())
    direct = []
    for query in queries:
        t = time.perf_counter()
        source.ranker.top(query, 20)
        direct.append(time.perf_counter() - t)
    return {
        "ranker": ranker,
        "records": len(papers),
        "queries": len(queries),
        "load_s": loaded - started,
        "index_s": indexed - loaded,
        "first_ms": first * 1000,
        "search_ms": _ms(times),
        "top_ms": _ms(direct),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _index_parts(name: str, corpus: Path | None) -> tuple[dict, Any, Any, Any]:
    """(key, build, save, load) of one index, as the generator's own code makes them."""
    from generator.drafting.corpus import corpus_fingerprint, load_corpus
    from generator.machinery.index_store import index_key

    fingerprint = corpus_fingerprint(corpus)
    if name == "idf":
        from generator.drafting.embedders import tfidf

        hasher = tfidf._hasher()
        key = index_key(tfidf.KIND, fingerprint, tfidf.PARAMS)
        return key, lambda: tfidf._fit_idf(hasher, corpus), tfidf._save_idf, tfidf._load_idf
    from generator.drafting.ranking import RANKERS as CLASSES

    cls = CLASSES[name]
    texts = [p.text for p in load_corpus(corpus)]
    key = index_key(cls.kind, fingerprint, cls.params)
    return key, lambda: cls.build(texts), cls.save, lambda d: cls.load(d, len(texts))


def _must_load() -> Any:
    raise AssertionError("the saved index was not loaded")


def measure_store(name: str, corpus: Path | None, index_dir: Path) -> dict:
    """Run in a child process: import, build, save and load one index."""
    from generator.drafting.corpus import load_corpus
    from generator.machinery.index_store import entry_path, load_or_build

    load_corpus(corpus)
    started = time.perf_counter()
    import numpy  # noqa: F401
    import scipy.sparse  # noqa: F401

    if name == "bm25":
        import bm25s  # noqa: F401
    else:
        import sklearn.feature_extraction.text  # noqa: F401
    imported = time.perf_counter()
    key, build, save, load = _index_parts(name, corpus)
    t = time.perf_counter()
    made = build()
    built = time.perf_counter()
    load_or_build(index_dir, key, build=lambda: made, save=save, load=load)
    saved = time.perf_counter()
    load_or_build(index_dir, key, build=_must_load, save=save, load=load)
    loaded = time.perf_counter()
    entry = entry_path(index_dir, key)
    return {
        "index": name,
        "import_s": imported - started,
        "build_s": built - t,
        "save_s": saved - built,
        "load_s": loaded - saved,
        "disk_mb": sum(p.stat().st_size for p in entry.iterdir()) / 1e6,
    }


def measure_new_process(name: str, corpus: Path | None, index_dir: Path) -> dict:
    """Run in a child process: imports + load of a saved index, via the real classes."""
    from generator.drafting.corpus import load_corpus

    load_corpus(corpus)
    started = time.perf_counter()
    if name == "idf":
        from generator.drafting.embedders import tfidf

        tfidf._fit_idf = lambda *_: _must_load()
        tfidf.TfidfEmbedder(corpus, index_dir).similarity("routing", ["expert routing"])
    else:
        from generator.drafting.ranking import RANKERS as CLASSES
        from generator.drafting.sources.local import LocalSource

        CLASSES[name].build = staticmethod(lambda *_: _must_load())  # type: ignore[assignment]
        source = LocalSource(name, corpus, index_dir=index_dir)  # type: ignore[arg-type]
        _ = source.ranker
    return {"new_process_s": time.perf_counter() - started}


def _run_child(args: list[str]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(ranker: str, corpus: Path | None, queries_file: Path) -> dict:
    args = ["--child", ranker, "--queries-file", str(queries_file)]
    return _run_child(args + (["--corpus", str(corpus)] if corpus else []))


def _store_child(name: str, corpus: Path, index_dir: Path) -> dict:
    args = ["--corpus", str(corpus), "--index-dir", str(index_dir)]
    row = _run_child(["--store-child", name, *args])
    return row | _run_child(["--load-child", name, *args])


def _markdown(header: list[str], body: list[list[str]], left: int) -> str:
    """A Markdown table; the first `left` columns left-aligned, the others right."""
    widths = [max(len(x[i]) for x in [header, *body]) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in body:
        cells = [
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def store_table(rows: list[dict], records: int) -> str:
    header = ["corpus", "index", "import s", "build s", "save s", "load s", "disk MB"]
    header.append("new proc: import + load s")
    body = [
        [
            f"{records:,}",
            r["index"],
            f"{r['import_s']:.2f}",
            f"{r['build_s']:.2f}",
            f"{r['save_s']:.2f}",
            f"{r['load_s']:.2f}",
            f"{r['disk_mb']:.1f}",
            f"{r['new_process_s']:.2f}",
        ]
        for r in rows
    ]
    return _markdown(header, body, left=2)


def table(rows: list[dict]) -> str:
    header = [
        "corpus",
        "ranker",
        "load s",
        "index s",
        "first ms",
        "median ms",
        "p95 ms",
        "max ms",
        "top() median ms",
        "top() p95 ms",
        "RSS MiB",
        f"< {TARGET_MS:.0f} ms",
    ]
    body = []
    for r in rows:
        s, t = r["search_ms"], r["top_ms"]
        body.append(
            [
                f"{r['records']:,}",
                r["ranker"],
                f"{r['load_s']:.2f}",
                f"{r['index_s']:.2f}",
                f"{r['first_ms']:.1f}",
                f"{s['median']:.1f}",
                f"{s['p95']:.1f}",
                f"{s['max']:.1f}",
                f"{t['median']:.1f}",
                f"{t['p95']:.1f}",
                f"{r['maxrss_mib']:.0f}",
                "yes" if s["p95"] < TARGET_MS else "no",
            ]
        )
    return _markdown(header, body, left=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="size of the scaled corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the scaled corpus here and keep it")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--child", choices=RANKERS, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store-child", choices=INDEXES, help=argparse.SUPPRESS)
    parser.add_argument("--load-child", choices=INDEXES, help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        queries = json.loads(args.queries_file.read_text(encoding="utf-8"))
        print(json.dumps(measure_one(args.child, args.corpus, queries)))
        return
    if args.store_child:
        print(json.dumps(measure_store(args.store_child, args.corpus, args.index_dir)))
        return
    if args.load_child:
        print(json.dumps(measure_new_process(args.load_child, args.corpus, args.index_dir)))
        return

    with tempfile.TemporaryDirectory(prefix="sovereign-search-") as tmp:
        started = time.perf_counter()
        records = scale_corpus(args.records, args.seed)
        corpus = args.keep or Path(tmp) / "scaled.jsonl"
        with corpus.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        made = time.perf_counter() - started
        queries = make_queries()
        queries_file = Path(tmp) / "queries.json"
        queries_file.write_text(json.dumps(queries), encoding="utf-8")
        size = corpus.stat().st_size / 1e6
        print(
            f"machine: {os.cpu_count()} cores · Python {platform.python_version()} · "
            f"{platform.system()} {platform.release()} · code {code_version()}"
        )
        print(
            f"scaled corpus: {len(records):,} records ({len(set(r['id'] for r in records)):,} "
            f"distinct ids), {size:.1f} MB, made in {made:.1f} s (seed {args.seed}); "
            f"{len(queries)} queries, 20 results each\n"
        )
        rows = [_child(name, None, queries_file) for name in RANKERS]
        rows += [_child(name, corpus, queries_file) for name in RANKERS]
        index_dir = Path(tmp) / "index"
        stored = [_store_child(name, corpus, index_dir) for name in INDEXES]
    print(table(rows))
    print(
        "\nload: read + validate the JSONL; index: imports + fit; first: first search after the "
        "index; median/p95/max: `await LocalSource.search(q, 20)`; top(): ranker.top(q, 20) "
        f"without the thread hop; last column: p95 of search under {TARGET_MS:.0f} ms\n"
    )
    print(store_table(stored, len(records)))
    print(
        "\nindex store: idf is the TF-IDF embedder's; build: fit only; save: files + checksums + "
        "rename; load: read + verify, imports done; new proc: a fresh process's imports + load "
        "through LocalSource / TfidfEmbedder with building forbidden"
    )
    if args.json:
        raw = {"records": len(records), "rows": rows, "index_store": stored}
        args.json.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()

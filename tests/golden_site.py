"""The golden site: a tiny fixed project (three questions, its own copy of the corpus, a fixed
clock) built from scratch and compared file by file with the output committed under
`tests/golden/expected/`. A change that alters any page, JSON record, chart, feed entry or
review-queue file shows up here, and in review as a diff of that folder.

    .venv/bin/python -m tests.golden_site            # build it and list what differs
    .venv/bin/python -m tests.golden_site --refresh  # make the new output the expected one

Only what Sovereign writes is compared (the generated part of `docs_dir` and the review
area), never the site engine's HTML, which belongs to the engine's version. How long each
stage took is the one thing a fixed clock cannot fix: those figures are masked ("#.### s").
One question
carries an owner's approval, so the project has a published draft as well as escalated ones;
`--refresh` points that approval at the draft as now built, as the owner would.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).with_name("golden")
PROJECT = GOLDEN / "project"  # questions/, sovereign.yml and corpus.jsonl
EXPECTED = GOLDEN / "expected"
EPOCH = "1796126400"  # 2026-12-01 12:00 UTC, the build's clock (SOURCE_DATE_EPOCH)
OUTPUTS = ("site_src", "review")
REFRESH = ".venv/bin/python -m tests.golden_site --refresh"


@contextmanager
def _clock(epoch: str) -> Iterator[None]:
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


_SECONDS_JSON = re.compile(rb'("seconds": )[0-9.e+-]+')
_SECONDS_ROW = re.compile(rb"^\| Stages \|.*$", re.MULTILINE)


def _mask_durations(data: bytes) -> bytes:
    """The stage timings of a draft's record and of its Provenance table, masked."""
    data = _SECONDS_JSON.sub(rb"\g<1>0", data)
    return _SECONDS_ROW.sub(lambda m: re.sub(rb"[0-9]+\.[0-9]+ s\b", b"#.### s", m[0]), data)


def build(workdir: Path) -> dict[str, bytes]:
    """Build the golden project in `workdir`; return what Sovereign wrote, by relative path."""
    from generator.cli import main

    root = workdir / "golden"
    shutil.copytree(PROJECT, root)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    hand_written = shutil.ignore_patterns(
        "drafts", "review", "index.md", "tags.md", "index.*.svg", "feed.xml"
    )
    shutil.copytree(REPO / "site_src", root / "site_src", ignore=hand_written)
    before = set(_files(root / "site_src"))
    with _clock(EPOCH):
        status = main(["--root", str(root), "build", "--no-site", "--no-pdf", "--jobs", "1"])
    if status != 0:
        raise RuntimeError(f"the golden project's build exited {status}")
    written = {}
    for folder in OUTPUTS:
        for name, data in _files(root / folder).items():
            if folder != "site_src" or name not in before:
                written[f"{folder}/{name}"] = _mask_durations(data)
    return written


def differences(built: dict[str, bytes], expected: dict[str, bytes]) -> list[str]:
    """One line per file missing, new or changed, then a diff of the first changed text file."""
    lines = [f"missing: {name}" for name in sorted(expected.keys() - built.keys())]
    lines += [f"new: {name}" for name in sorted(built.keys() - expected.keys())]
    changed = sorted(n for n in built.keys() & expected.keys() if built[n] != expected[n])
    lines += [f"changed: {name}" for name in changed]
    for name in changed:
        try:
            old, new = expected[name].decode(), built[name].decode()
        except UnicodeDecodeError:
            continue
        diff = difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"expected/{name}", f"built/{name}", lineterm=""
        )
        lines += list(diff)[:60]
        break
    return lines


def _approve_as_built(built: dict[str, bytes]) -> bool:
    """Point each approval in the golden questions at the draft's hash as built; whether any
    changed (the project must then be built again)."""
    changed = False
    for question in sorted((PROJECT / "questions").glob("*.yaml")):
        text = question.read_text(encoding="utf-8")
        records = [f"{d}/{question.stem}.json" for d in ("site_src/drafts", "review")]
        record = next((built[r] for r in records if r in built), None)
        if "draft_hash:" not in text or record is None:
            continue
        fresh = re.sub(r"(draft_hash:\s*)\S+", rf"\g<1>{json.loads(record)['content_hash']}", text)
        if fresh != text:
            question.write_text(fresh, encoding="utf-8")
            changed = True
    return changed


def _build_once() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as workdir:
        return build(Path(workdir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refresh", action="store_true", help="write the new expected output")
    args = parser.parse_args(argv)
    built = _build_once()
    if args.refresh:
        if _approve_as_built(built):
            built = _build_once()
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for name, data in built.items():
            (EXPECTED / name).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / name).write_bytes(data)
        print(f"wrote {len(built)} files under {EXPECTED.relative_to(REPO)}; review the diff")
        return 0
    found = differences(built, _files(EXPECTED))
    print("\n".join(found) if found else f"the golden site is unchanged ({len(built)} files)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

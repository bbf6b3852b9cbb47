"""`sovereign cache info|clear`: the caches, shown or forgotten."""

from __future__ import annotations

import argparse

from generator.cli.common import EXIT_OK, settings_of


def cmd_cache(args: argparse.Namespace) -> int:
    """Show or clear the caches: stage results, HTTP answers, corpus indexes and drawn charts
    (the draft archive, which stale owner decisions are compared with, is kept)."""
    import diskcache

    from generator.publishing.ledger import FILE_NAME as LEDGER_FILE

    root = args.root / settings_of(args).paths.cache_dir
    for part, what in (("stages", "stage results"), ("http", "HTTP answers")):
        with diskcache.Cache(str(root / part)) as store:
            if args.action == "clear":
                print(f"{root / part}: removed {store.clear()} {what}")
            else:
                print(f"{root / part}: {len(store)} {what}, {store.volume() / 1e6:.1f} MB")
    index, charts = root / "index", root / "charts"
    built = sorted(p for p in index.glob("*") if p.is_dir()) if index.is_dir() else []
    drawn = list(charts.glob("*.svg")) if charts.is_dir() else []
    if args.action == "clear":
        import shutil

        shutil.rmtree(index, ignore_errors=True)
        print(f"{index}: removed {len(built)} corpus indexes")
        shutil.rmtree(charts, ignore_errors=True)
        print(f"{charts}: removed {len(drawn)} drawn charts")
        # NOTE: without its ledger the next build checks every draft again instead of
        # trusting what the last one wrote.
        (root / LEDGER_FILE).unlink(missing_ok=True)
    else:
        size = sum(f.stat().st_size for p in built for f in p.rglob("*") if f.is_file())
        print(f"{index}: {len(built)} corpus indexes, {size / 1e6:.1f} MB")
        size = sum(f.stat().st_size for f in drawn)
        print(f"{charts}: {len(drawn)} drawn charts, {size / 1e6:.1f} MB")
    archive = root / "drafts"
    versions = len(list(archive.glob("*/*.json"))) if archive.is_dir() else 0
    print(f"{archive}: {versions} archived draft versions (kept)")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="show or clear the stage cache")
    p.add_argument("action", choices=["info", "clear"])
    p.set_defaults(func=cmd_cache)

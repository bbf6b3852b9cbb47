"""`sovereign serve`: the site served, rebuilt and reloaded on every edit."""

from __future__ import annotations

import argparse

from generator.cli.common import settings_of


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the site with the engine's live-reloading server, writing the pages again
    whenever a question file or the settings change (see generator/publishing/serve.py)."""
    from generator.cli.build import build_command
    from generator.publishing.serve import serve

    def build() -> int:
        flags = ["--no-site", "--no-pdf", "--preview", *(["--offline"] if args.offline else [])]
        return build_command(args.root, *flags)

    return serve(args.root, settings_of(args), args.addr, build)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve the site locally, rebuilt and reloaded when a question changes"
    )
    p.add_argument("--addr", default="127.0.0.1:8000", help="address and port to serve on")
    p.add_argument("--offline", action="store_true", help="use the offline backends")
    p.set_defaults(func=cmd_serve)

"""Screenshots of the built site for a reviewer: the index and one draft, at 1400 and 390 px.

    ./run site                                   # build the demo first
    .venv/bin/python scripts/screenshots.py      # → screenshots/{index,draft}-{1400,390}.png

Options: --site DIR (default site/), --out DIR (default screenshots/), --draft SLUG (default:
the first draft the index links). The site is served from 127.0.0.1, as it is published, and
opened in Debian's Chromium through Playwright; each screenshot is the whole page.
"""

from __future__ import annotations

import argparse
import functools
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (1400, 390)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve `site` from 127.0.0.1 until the block ends; yield its address."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def shoot(page: Any, url: str, target: Path) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(target), full_page=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=Path("site"))
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--draft", help="the draft's slug (default: the first on the index)")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"no site at {args.site}/index.html: build it first (./run site)", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: ./run test installs it", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with serve(args.site) as origin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
        page.goto(f"{origin}/index.html")
        if args.draft:
            draft = f"drafts/{args.draft}.html"
        else:
            links = page.eval_on_selector_all(
                "table.sv-index tbody a", "links => links.map(a => a.getAttribute('href'))"
            )
            if not links:
                print(
                    "the index links no draft: build with --preview (./run site)", file=sys.stderr
                )
                return 2
            draft = links[0]
        if not (args.site / draft).is_file():
            print(f"no page {args.site / draft}", file=sys.stderr)
            return 2
        page.close()
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for name, path in (("index", "index.html"), ("draft", draft)):
                target = args.out / f"{name}-{width}.png"
                shoot(page, f"{origin}/{path}", target)
                print(f"{target}  ({path} at {width} px)")
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

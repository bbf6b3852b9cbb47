"""The site as a reader uses it, in Debian's Chromium (Playwright): every page at 1400 px and
at 390 px without sideways scrolling and without a serious or critical accessibility
violation (axe-core, injected); the index filtered by a word or a status, sorted by a
column, its charts drawn and its feed linked; every draft it lists can be opened, and the
theme's search finds a draft by a word of its Answer; nothing is asked of the network. Each
check runs on the site built by each engine (MkDocs, Zensical). The browser is the system's,
never a downloaded one; axe-core comes from the npm registry (tests/axe, installed by
./run test)."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import pytest

from generator.cli import main

from .browsing import search
from .conftest import REPO, make_project

CHROMIUM = "/usr/bin/chromium"
AXE = REPO / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = [1400, 390]
QUESTIONS = [
    "moe-serving-offloading.yaml",
    "anyexperts-scaling-routing-signatures.yaml",
    "anyexperts-scaling-smoe-dropout.yaml",  # the same question text as the one above
    "smoe-routing-zero-shot-generalization.yaml",  # off-topic for the corpus: not covered
]


@pytest.fixture(scope="module", params=["mkdocs", "zensical"])
def site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The demo built by each site engine (`site.engine`): every check runs on both."""
    settings = f"site:\n  engine: {request.param}\n"
    project = make_project(tmp_path_factory.mktemp("site") / "p", QUESTIONS, settings=settings)
    assert main(["--root", str(project), "build", "--preview", "--no-pdf"]) == 0
    return project / "site"


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site served from 127.0.0.1 at its root, as it is published (the 404 page's links
    are absolute, so it is read only this way)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: ./run test installs chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _open(browser: Any, url: str, width: int, index: bool = True) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    local = ("file:", "http://127.0.0.1", "data:", "blob:", "about:")
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(local)
            else errors.append(f"asked the network for {request.url}")
        ),
    )
    page.goto(url)
    if index:
        page.wait_for_selector("#sv-shown:not(:empty)")  # the table's script has run
    page.errors = errors
    return page


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "assets" not in p.parts)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_index_fits_the_screen(site: Path, browser: Any, width: int) -> None:
    page = _open(browser, (site / "index.html").as_uri(), width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # the question column is the widest: a question reads as a line, not a word per line
    question = page.locator("tbody tr td:first-child a").first.bounding_box()
    assert question and question["width"] >= (250 if width == 1400 else 300)
    assert not page.errors
    page.close()


def test_every_listed_draft_opens(site: Path, browser: Any) -> None:
    page = _open(browser, (site / "index.html").as_uri(), 1400)
    links = page.eval_on_selector_all("tbody a", "links => links.map(a => a.href)")
    assert len(links) == len(QUESTIONS)
    for href in links:
        draft = browser.new_page()
        assert draft.goto(href).ok
        assert draft.locator("h2#answer").count() == 1
        draft.close()
    page.close()


def test_filter_and_sort(site: Path, browser: Any) -> None:
    page = _open(browser, (site / "index.html").as_uri(), 1400)
    assert page.inner_text("#sv-shown") == f"{len(QUESTIONS)} of {len(QUESTIONS)} drafts shown"
    page.fill("#sv-filter", "offloading")
    assert page.inner_text("#sv-shown") == f"1 of {len(QUESTIONS)} drafts shown"
    page.fill("#sv-filter", "")
    page.select_option("#sv-show", "not-covered")
    shown = page.locator("tbody tr:not([hidden])")
    assert shown.count() >= 1
    assert all("Not covered" in shown.nth(i).inner_text() for i in range(shown.count()))
    page.select_option("#sv-show", "")
    page.click("th:nth-child(5) button")  # Score
    scores = [float(s) for s in page.locator("tbody td:nth-child(5)").all_inner_texts()]
    assert scores == sorted(scores)
    assert page.get_attribute("th:nth-child(5)", "aria-sort") == "ascending"
    page.click("th:nth-child(5) button")
    scores = [float(s) for s in page.locator("tbody td:nth-child(5)").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    assert not page.errors
    page.close()


def test_drafts_of_the_same_question_are_told_apart(site: Path, browser: Any) -> None:
    page = _open(browser, (site / "index.html").as_uri(), 1400)
    firsts = page.locator("tbody td:first-child").all_inner_texts()
    same = [t for t in firsts if t.startswith("Can AnyExperts")]
    assert len(same) == 2 and same[0] != same[1]  # slug and primary paper differ
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_and_passes_the_accessibility_check(
    site: Path, served: str, browser: Any, width: int
) -> None:
    assert AXE.is_file(), f"{AXE} is missing: ./run test installs it (npm ci in tests/axe)"
    pages = _pages(site)
    assert len(pages) >= len(QUESTIONS) + 3  # the drafts, the index, tags, how drafts are made
    problems = []
    for path in pages:
        url = f"{served}/{path.relative_to(site).as_posix()}"
        page = _open(browser, url, width, index=path.name == "index.html")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            problems.append(f"{path.name} at {width} px: {wide} px wide, scrolls sideways")
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — '"
            " + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; '))"
        )
        problems += [f"{path.relative_to(site)} at {width} px: {v}" for v in found]
        problems += [f"{path.name}: {e}" for e in page.errors]
        page.close()
    assert not problems, "\n" + "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_charts_are_drawn_and_fit(site: Path, browser: Any, width: int) -> None:
    draft = next(p for p in (site / "drafts").glob("*.html") if ".evidence.svg" in p.read_text())
    for path, expected in ((site / "index.html", 2), (draft, 2)):
        page = _open(browser, path.as_uri(), width, index=path.name == "index.html")
        images = page.locator(".sv-chart img")
        assert images.count() == expected, path.name
        for i in range(expected):
            images.nth(i).scroll_into_view_if_needed()
            images.nth(i).evaluate("img => img.decode()")  # loaded and decodable
            box = images.nth(i).bounding_box()
            assert box and 0 < box["width"] <= width and box["height"] > 50
            assert images.nth(i).get_attribute("alt")
        page.close()


def test_the_feed_is_linked_and_valid(site: Path, browser: Any) -> None:
    page = _open(browser, (site / "index.html").as_uri(), 1400)
    link = page.locator('a[href="feed.xml"]')
    assert link.count() == 1 and "Feed of newly published drafts" in link.inner_text()
    target = site / "feed.xml"
    feed = feedparser.parse(target.read_bytes())
    assert not feed.bozo and feed.version == "atom10"
    page.close()


def _answer_word(site: Path) -> tuple[str, str]:
    """A word of one draft's Answer that no other page of the site holds: (word, slug)."""
    texts = {p.stem: p.read_text().lower() for p in _pages(site)}
    for source in sorted((site.parent / "site_src" / "drafts").glob("*.json")):
        answer = json.loads(source.read_text())["answer"]
        words = re.findall(
            r"[a-z]{7,}", " ".join(s["sentence"] for s in answer["statements"]).lower()
        )
        for word, _ in Counter(words).most_common():
            if sum(word in text for text in texts.values()) == 1:
                return word, source.stem
    raise AssertionError("no draft has an Answer word of its own")


def test_search_finds_a_draft_by_a_word_of_its_answer(site: Path, browser: Any) -> None:
    word, slug = _answer_word(site)
    page = _open(browser, (site / "index.html").as_uri(), 1400)
    found = search(page, word).and_(page.locator(f"a[href*='drafts/{slug}.html']"))
    found.first.wait_for(timeout=30_000)
    assert found.count() >= 1, (word, slug)
    page.close()

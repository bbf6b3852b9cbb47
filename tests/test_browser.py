"""The built site in a real browser: hostile text renders inertly on every page.

A corpus full of payloads (tests/hostile.py) is built three ways: a `--preview` build (every
draft on the site, escalated ones under a banner), a normal build (published drafts only) and
a `--preview` build whose LLM answers (queries, claims, stance reasons, tribunal rationales)
carry payloads too. Every .html page of each site is loaded in headless Debian Chromium,
driven by Playwright's Python package, over http from 127.0.0.1 (and the index also from
file://).

Each payload that runs sets the title or logs PWNED, opens a dialog, or loads a URL off the
test host, so for each page: the title and the console never show PWNED, no dialog opens, no
request leaves 127.0.0.1, no `javascript:` link and no PWNED event handler is in the DOM, and
every table row has as many cells as its header. The links of the answer's and the claims'
tables and of the references are clicked: each is an anchor of the page, or http(s) (the
browser's request for it is recorded and aborted: nothing reaches the network). The theme's
search results and the index opened from file:// are checked the same way.

The browser is the system's (`/usr/bin/chromium`; `./run test` installs it with apt), never
one downloaded by `playwright install`. A missing browser fails these tests, not skips them.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from generator.cli import main

from .browsing import search
from .fake_llm import completion
from .hostile import (
    HOSTILE_QUESTION,
    MARK,
    PAYLOADS,
    SHARED,
    SPLIT_MARK,
    TEMPLATE_EVALUATED,
    hostile_project,
)

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = (
    "the browser tests need Debian's Chromium at {path} and the playwright Python package; "
    "run ./run test, which installs both (apt-get install chromium; pip install .[dev]), "
    "never `playwright install`. ({why})"
)
SETTLE_MS = 300  # after load: time for a delayed payload (onerror, ontoggle, srcdoc) to run
SITES = ("preview", "normal", "llm")

# Besides hostile_project's pinned question: one whose own text is hostile (it becomes the
# page's <title>, header and tags entry).
QUESTIONS = {"hostile-question": f"question: {json.dumps(HOSTILE_QUESTION)}\ntags: [hostile]\n"}


# --------------------------------------------------------------------------- the fake LLM


def _llm_answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A schema-valid answer to any of the project's prompts, full of payloads."""
    system = str(messages[0].get("content", ""))
    everything = " ".join(PAYLOADS.values())
    if "research librarian" in system:
        return {
            "queries": [
                f"sparse expert routing load balancing {PAYLOADS['script']}",
                f"expert collapse {PAYLOADS['md_link']} {PAYLOADS['markdown']}",
                f"top-2 gating capacity factor {PAYLOADS['breakout']}",
                PAYLOADS["template"],
            ]
        }
    if "careful scientific reader" in system:
        kinds = ("finding", "contribution")
        return {
            "claims": [
                {"text": f"{shared} {payload}"[:600], "kind": kinds[i % 2]}
                for i, (shared, payload) in enumerate(
                    zip(SHARED, [everything, *PAYLOADS.values()], strict=False)
                )
            ]
        }
    user = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    pairs = re.search(r'<data name="pairs">\s*(.*?)\s*</data>', user, re.S)
    if pairs:  # the stance judge: its reasons are shown in the claims table
        stances = ("supports", "contradicts", "unclear")
        return {
            "judgements": [
                {
                    "pair": pair["pair"],
                    "stance": stances[i % 3],
                    "reason": f"reason {i}: {everything}"[:400],
                }
                for i, pair in enumerate(json.loads(pairs.group(1)))
            ]
        }
    role = re.search(r"You are the (SKEPTIC|VALIDATOR|SYNTHESIZER)", system)
    name = role.group(1) if role else "ROLE"
    return {"score": 7.5, "rationale": f"{name} rationale: {everything}"[:2000]}


class _ChatHandler(BaseHTTPRequestHandler):
    """POST /chat/completions, OpenAI-style, answering every prompt in kind."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        content = json.dumps(_llm_answer(body["messages"]))
        data = json.dumps(completion(body["model"], content, "chatcmpl-hostile")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Server:
    """An http.server on 127.0.0.1 in a thread."""

    httpd: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _serve(handler: Any) -> Server:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return Server(httpd, thread)


# --------------------------------------------------------------------------- the builds


def _build(root: Path, *args: str, settings: str = "") -> Path:
    project = hostile_project(root, settings=settings, questions=QUESTIONS)
    assert main(["--root", str(project), "build", *args]) == 0
    return project / "site"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """name -> built site folder, for the three builds."""
    tmp = tmp_path_factory.mktemp("hostile-sites")
    built = {
        # every draft escalated (nothing reaches the bar), all on the site with a banner
        "preview": _build(tmp / "preview", "--preview", settings="review:\n  approve_at: 9.9\n"),
        # the default bar: the drafts the tribunal approves are published; built by the
        # other engine than the default, so the payloads are checked on both engines' pages
        "normal": _build(tmp / "normal", settings="site:\n  engine: mkdocs\n"),
    }
    chat = _serve(_ChatHandler)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("NVIDIA_API_KEY", "nvapi-hostile-test")
            built["llm"] = _build(
                tmp / "llm",
                "--preview",
                "--no-pdf",
                settings=(
                    "plan: {backend: llm}\nextract: {backend: llm}\nreview: {backend: llm}\n"
                    "services:\n  llm:\n"
                    f"    base_url: {chat.origin}\n    retries: 0\n    timeout: 10\n"
                ),
            )
    finally:
        chat.close()
    yield built


@pytest.fixture(scope="module")
def servers(sites: dict[str, Path]) -> Iterator[dict[str, Server]]:
    """One http server per site, each at its own root (the 404 page uses absolute paths)."""
    running = {
        name: _serve(functools.partial(_Quiet, directory=str(site))) for name, site in sites.items()
    }
    yield running
    for server in running.values():
        server.close()


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """The launched system Chromium, or the reason it could not be launched (a str)."""
    if not Path(CHROMIUM).exists():
        yield MISSING.format(path=CHROMIUM, why=f"{CHROMIUM} does not exist")
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        yield MISSING.format(path=CHROMIUM, why=f"cannot import playwright: {exc}")
        return
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    except Exception as exc:
        manager.stop()
        yield MISSING.format(path=CHROMIUM, why=f"launching it failed: {exc}")
        return
    yield browser
    browser.close()
    manager.stop()


def _need(context: Any) -> None:
    """Fail (in the test itself: a failure, not a setup error) when there is no browser."""
    if isinstance(context, str):
        pytest.fail(context, pytrace=False)


# What the DOM holds that a payload could have put there.
SCAN_JS = r"""
(marks) => {
  const marked = (v) => marks.some(m => v.includes(m));
  const out = {handlers: [], jsLinks: [], scripts: [], marked: [], tables: [], text: ""};
  const urlAttrs = ["href", "src", "action", "formaction", "data", "xlink:href", "poster"];
  // attributes that load or run something (the theme copies text into title attributes)
  const activeAttrs = [...urlAttrs, "srcset", "style", "content", "http-equiv", "srcdoc"];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on") && marked(a.value)) {
        out.handlers.push(`<${el.tagName.toLowerCase()} ${name}="${a.value.slice(0, 80)}">`);
      }
      if (urlAttrs.includes(name) && /^\s*(javascript|vbscript):/i.test(a.value)) {
        out.jsLinks.push(`<${el.tagName.toLowerCase()} ${name}="${a.value.slice(0, 80)}">`);
      }
      if (name === "srcdoc" || (marked(a.value) && activeAttrs.includes(name))) {
        out.marked.push(`<${el.tagName.toLowerCase()} ${name}="${a.value.slice(0, 80)}">`);
      }
    }
  }
  for (const a of document.querySelectorAll("a[href], area[href]")) {
    if (a.protocol === "javascript:") out.jsLinks.push(`<a href="${a.href.slice(0, 80)}">`);
  }
  for (const s of document.scripts) {
    if (marked(s.text)) out.scripts.push(s.text.slice(0, 80));
  }
  for (const t of document.querySelectorAll("article table")) {
    out.tables.push({
      id: t.closest("[id]") ? t.closest("[id]").id : "",
      widths: [...t.rows].map(r => r.cells.length),
    });
  }
  out.text = document.body ? document.body.innerText : "";
  return out;
}
"""

# Mark the links of the answer's and the claims' tables and of the references
# (data-sv-link=i); their hrefs.
LINKS_JS = r"""
() => {
  const section = (id) => {
    const found = [];
    const h2 = document.getElementById(id);
    let el = h2 && h2.nextElementSibling;
    for (; el && el.tagName !== "H2"; el = el.nextElementSibling) found.push(el);
    return found;
  };
  const links = [];
  const claims = section("5-extracted-claims").flatMap(el => [...el.querySelectorAll("table")]);
  const answer = section("answer").flatMap(el => [...el.querySelectorAll("table")]);
  const refs = section("references");
  const linked = [...answer, ...claims, ...refs];
  for (const a of linked.flatMap(el => [...el.querySelectorAll("a[href]")])) {
    a.setAttribute("data-sv-link", String(links.length));
    links.push(a.getAttribute("href"));
  }
  const widths = [...answer, ...claims].map(t => [...t.rows].map(r => r.cells.length));
  return {links, widths, claimTables: claims.length, references: refs.length};
}
"""


@dataclass
class Visit:
    """What one page did while it was open."""

    url: str
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    text: str = ""


def _local(url: str, origin: str | None) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    if origin is None:  # a file:// visit
        return parts.scheme == "file"
    return f"{parts.scheme}://{parts.netloc}" == origin


def _open(context: Any, url: str, origin: str | None, visit: Visit) -> Any:
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("request", lambda r: visit.requests.append(r.url))
    page.on("console", lambda m: visit.console.append(m.text))
    page.on("pageerror", lambda e: visit.errors.append(str(e)))

    def dialog(d: Any) -> None:
        visit.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(url, wait_until="load")
    return page


def _check_page(page: Any, visit: Visit, origin: str | None) -> None:
    """Every inertness check of the brief on the page as it is now."""
    titles = [page.title()]
    page.wait_for_timeout(SETTLE_MS)
    titles.append(page.title())
    found = page.evaluate(SCAN_JS, [MARK, SPLIT_MARK])
    visit.text = found["text"]
    bad = visit.problems
    if any(MARK in t for t in titles):
        bad.append(f"document.title became {titles!r}")
    bad += [f"console: {m[:200]}" for m in visit.console if MARK in m]
    bad += [f"page error: {m[:200]}" for m in visit.errors]
    bad += [f"dialog opened: {d[:200]}" for d in visit.dialogs]
    bad += [
        f"request left the test host: {u[:200]}" for u in visit.requests if not _local(u, origin)
    ]
    bad += [f"javascript: link {x}" for x in found["jsLinks"]]
    bad += [f"event handler {x}" for x in found["handlers"]]
    bad += [f"inline script {x!r}" for x in found["scripts"]]
    bad += [f"attribute {x}" for x in found["marked"]]
    for table in found["tables"]:
        if len(set(table["widths"])) != 1:
            bad.append(f"table in #{table['id']} has rows of {table['widths']} cells")
    if TEMPLATE_EVALUATED in visit.text:
        bad.append("template syntax was evaluated")
    if "\u202e" in visit.text or "\u200b" in visit.text:
        bad.append("a bidi override or zero-width character reached the page")


def _click_links(context: Any, url: str, origin: str, visit: Visit) -> int:
    """Click every link of the claims table and the references; returns how many."""
    page = _open(context, url, origin, visit)
    info = page.evaluate(LINKS_JS)
    bad = visit.problems
    if info["claimTables"] != 1:
        bad.append(f"expected one claims table, found {info['claimTables']}")
    for widths in info["widths"]:
        if len(widths) < 2 or len(set(widths)) != 1:
            bad.append(f"claims table rows have {widths} cells")
    if not info["references"]:
        bad.append("no references section")
    for i, href in enumerate(info["links"]):
        scheme = urlsplit(href).scheme
        if not (href.startswith("#") or scheme in {"http", "https"}):
            bad.append(f"link {href[:120]!r} is neither http(s) nor an anchor of the page")
            continue
        if href.startswith("#"):
            page.locator(f'[data-sv-link="{i}"]').click()
            landed = page.evaluate(
                "(h) => location.hash === h && !!document.getElementById(h.slice(1))", href
            )
            if not landed:
                bad.append(f"anchor {href} leads nowhere")
            continue
        # the context aborts the request: the page stays, the request is the evidence
        with page.expect_request(lambda r: r.is_navigation_request()) as request:
            page.locator(f'[data-sv-link="{i}"]').click()
        if request.value.url != href:
            bad.append(f"clicking {href} requested {request.value.url}")
    if MARK in page.title():
        bad.append("document.title became PWNED after clicking the links")
    bad += [f"console after clicks: {m[:200]}" for m in visit.console if MARK in m]
    bad += [f"dialog after clicks: {d[:200]}" for d in visit.dialogs]
    page.close()
    return len(info["links"])


@pytest.fixture
def context(chromium: Any) -> Iterator[Any]:
    """A fresh browser context in which every request off 127.0.0.1 is aborted (so nothing
    reaches the network, and a click on an external link leaves the page where it is); the
    pages record every request. Without a browser: the reason (see `_need`)."""
    if isinstance(chromium, str):
        yield chromium
        return
    ctx = chromium.new_context()

    def route(r: Any) -> None:
        parts = urlsplit(r.request.url)
        if parts.scheme in {"file", "data", "blob"} or parts.hostname == "127.0.0.1":
            r.continue_()
        else:
            r.abort("aborted")

    ctx.route("**/*", route)
    yield ctx
    ctx.close()


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def _report(visits: list[Visit]) -> str:
    return "\n".join(dict.fromkeys(f"{v.url}: {p}" for v in visits for p in v.problems))


@pytest.mark.parametrize("name", SITES)
def test_every_page_renders_payloads_inertly(
    name: str, sites: dict[str, Path], servers: dict[str, Server], context: Any
) -> None:
    _need(context)
    site, origin = sites[name], servers[name].origin
    pages = _pages(site)
    drafts = [p for p in pages if p.startswith("drafts/")]
    # index, tags, about, 404 and a page per draft (every draft in a preview build)
    assert {"index.html", "tags.html", "about.html", "404.html"} <= set(pages), pages
    if name == "normal":  # the published drafts only
        assert drafts, pages
    else:  # every draft
        assert {"drafts/hostile.html", "drafts/hostile-question.html"} <= set(drafts), pages
    visits, clicked = [], 0
    for rel in pages:
        visit = Visit(f"{origin}/{rel}")
        page = _open(context, visit.url, origin, visit)
        _check_page(page, visit, origin)
        page.close()
        visits.append(visit)
        if rel.startswith("drafts/"):
            # the payloads are on the page, shown as text: not dropped, not run
            for shown in ("<script>document.title='PWNED'", "</textarea></style></title>"):
                if shown not in visit.text:
                    visit.problems.append(f"payload {shown!r} is not shown as text")
            if name == "llm" and "SKEPTIC rationale: <script>" not in visit.text:
                visit.problems.append("the LLM's rationale is not shown as text")
            clicks = Visit(f"{visit.url} (clicking links)")
            clicked += _click_links(context, visit.url, origin, clicks)
            visits.append(clicks)
    assert not _report(visits), "\n" + _report(visits)
    assert clicked >= 2 * len(drafts)


def test_index_from_file_url_renders_payloads_inertly(sites: dict[str, Path], context: Any) -> None:
    _need(context)
    for name in ("preview", "normal"):
        visit = Visit((sites[name] / "index.html").as_uri())
        page = _open(context, visit.url, None, visit)
        _check_page(page, visit, None)
        page.close()
        assert not visit.problems, "\n" + "\n".join(visit.problems)
        assert "Does sparse expert routing improve accuracy </textarea>" in visit.text


def test_search_results_render_payloads_inertly(
    sites: dict[str, Path], servers: dict[str, Server], context: Any
) -> None:
    """The theme's search shows text of the pages in its results: it must stay text."""
    _need(context)
    visit = Visit(f"{servers['preview'].origin}/index.html")
    page = _open(context, visit.url, servers["preview"].origin, visit)
    found = search(page, "PWNED onerror script")
    found.first.wait_for(timeout=30_000)
    results = found.count()
    _check_page(page, visit, servers["preview"].origin)
    page.close()
    assert not visit.problems, "\n" + "\n".join(visit.problems)
    assert results >= 2  # the drafts whose text holds the payloads

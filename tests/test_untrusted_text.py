"""Retrieved text is untrusted: payloads in a corpus render inertly and keep tables intact."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from generator.cli import main

from .conftest import make_project

PAYLOAD = (
    "<script>document.title='pwned'</script> <img src=x onerror=\"alert(1)\"> "
    "[click](javascript:alert(1)) | pipe | `tick` *star* _under_ # heading "
    '\u202eevil\u200b {: .x } <a href="javascript:alert(2)">a</a>'
)


def _record(pid: str, title: str, abstract: str) -> dict:
    return {
        "id": pid,
        "title": title,
        "authors": ["Eve <b>Mallory</b>"],
        "published": "2024-01-01",
        "categories": ["cs.LG"],
        "abstract": abstract,
        "url": "javascript:alert(3)",
        "source": "test",
    }


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []
        self.rows: list[int] = []
        self.scripts: list[str] = []
        self._cells: int | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            self.scripts.append(values.get("src") or "")
        if any(k.startswith("on") for k in names):
            self.bad.append(f"{tag} handler {attrs}")
        if tag == "img" and values.get("src") == "x":
            self.bad.append("injected img")
        if (values.get("href") or "").lower().startswith("javascript:"):
            self.bad.append(f"javascript link {attrs}")
        if tag == "tr":
            self._cells = 0
        if tag in {"td", "th"} and self._cells is not None:
            self._cells += 1

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag == "tr" and self._cells is not None:
            self.rows.append(self._cells)
            self._cells = None


def test_payloads_in_titles_abstracts_and_evidence_render_inertly(tmp_path: Path) -> None:
    shared = "Sparse expert routing with load balancing improves accuracy by 12% on the benchmark."
    corpus = [
        _record(
            "2401.00001",
            f"Primary {PAYLOAD}",
            f"We propose RouterX {PAYLOAD}. {shared} Our method outperforms dense baselines.",
        ),
        _record("2401.00002", f"Evidence {PAYLOAD}", f"{shared} {PAYLOAD} routing experts."),
        _record(
            "2401.00003", "Plain routing paper", "Expert routing balances load across experts."
        ),
    ]
    project = make_project(
        tmp_path / "p", questions=[], settings="search:\n  local_corpus: corpus.jsonl\n"
    )
    (project / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in corpus) + "\n")
    (project / "questions" / "hostile.yaml").write_text(
        "question: Does sparse expert routing with load balancing improve accuracy?\n"
        'paper: "2401.00001"\n'
    )
    assert main(["--root", str(project), "build", "--preview"]) == 0
    page = (project / "site" / "drafts" / "hostile.html").read_text()
    scan, reference = _Scan(), _Scan()
    scan.feed(page)
    reference.feed((project / "site" / "about.html").read_text())
    assert scan.bad == []
    # the only scripts are the theme's own: the same as on a hand-written page
    assert len(scan.scripts) == len(reference.scripts)
    assert all(s.startswith("../assets/") or "alert" not in s for s in scan.scripts)
    assert not any("pwned" in s or "alert(" in s for s in scan.scripts)
    assert "<script>document.title" not in page
    assert "&#60;script&#62;document.title" in page  # shown as text, not dropped
    assert "\u202e" not in page and "\u200b" not in page
    md = (project / "site_src" / "drafts" / "hostile.md").read_text()
    claims = md.split("## 5 Extracted Claims", 1)[1].split("\n## ", 1)[0]
    table = [line for line in claims.splitlines() if line.startswith("|")]
    assert len(table) >= 3
    header_cells = table[0].count("|")
    assert all(line.count("|") == header_cells for line in table), table
    assert "&#124;" in md  # the payload's pipes are escaped, not column breaks
    # the answer quotes retrieved sentences, payloads included: as text, in whole cells
    answer = md.split("\n## Answer\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in answer.splitlines() if line.startswith("|")]
    assert len(rows) >= 3, "the hostile papers should answer the question"
    assert all(line.count("|") == rows[0].count("|") for line in rows), rows
    assert "&#60;script&#62;document.title" in answer and "<script>" not in answer
    assert "](javascript" not in answer and "<img" not in answer
    section = page.split('id="answer"', 1)[1].split("<h2", 1)[0]
    assert "&#60;script&#62;document.title" in section and "<script>" not in section
    data = json.loads((project / "site_src" / "drafts" / "hostile.json").read_text())
    assert any(PAYLOAD in st["sentence"] for st in data["answer"]["statements"])
    # every table in the HTML has rows of one width
    widths = set(scan.rows)
    assert widths, "no table rendered"

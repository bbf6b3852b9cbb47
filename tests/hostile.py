"""A hostile corpus: paper records whose titles, authors and abstracts carry payloads.

Every payload that could run marks its success the same way: it sets `document.title` to, or
logs, the word PWNED (or loads a URL off the test host), so a browser test can tell whether
any of them ran. The records overlap in wording, so the primary paper's claims verify against
the other papers and the evidence sentences shown on a draft page carry payloads too.

    from tests.hostile import hostile_corpus, hostile_project
    project = hostile_project(tmp_path / "p")          # corpus.jsonl + a pinned question
    main(["--root", str(project), "build", "--preview"])
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import make_project

MARK = "PWNED"
_RUN = f"document.title='{MARK}';console.log('{MARK}')"

# The text a template engine would produce if any of TEMPLATE's expressions were evaluated.
TEMPLATE_EVALUATED = "TEMPLATEEVALUATED"

PAYLOADS: dict[str, str] = {
    "script": f"<script>{_RUN}</script>",
    "img": f'<img src=x onerror="{_RUN}">',
    "svg": f'<svg onload="{_RUN}"><circle r=5 /></svg>',
    "md_link": f"[click](javascript:console.log('{MARK}'))",
    "md_image": f"![img](javascript:console.log('{MARK}'))",
    "a_href": f"<a href=\"javascript:console.log('{MARK}')\">a link</a>",
    "iframe": f'<iframe srcdoc="<script>parent.{_RUN}</script>"></iframe>',
    "markdown": "| pipe | `tick` *star* **bold** _under_ # heading --- 1. list ~~del~~ > quote",
    "invisible": "zero\u200bwidth \u202eright-to-left override\u202c \u2066isolate\u2069",
    "attr_list": f'{{: onclick="{_RUN}" }} {{: .md-button #evil }}',
    "comment": f"<!-- {MARK} hidden comment --> visible after comment",
    "entities": f"&lt;script&gt;{_RUN}&lt;/script&gt; &#60;img src=x onerror={_RUN}&#62;",
    "template": (
        "${{ github.token }} {{ 'TEMPLATE' ~ 'EVALUATED' }} {% raw %}{{ config }}{% endraw %} "
        "{%- if true %}TEMPLATE{{ 'EVALUATED' }}{% endif %}"
    ),
    "breakout": f"</textarea></style></title></script></noscript><script>{_RUN}</script>",
    "remote": (
        '<img src="http://evil.example/x.png"> <link rel=stylesheet href="//evil.example/x.css">'
        ' <meta http-equiv="refresh" content="0;url=http://evil.example/">'
    ),
    "emoji": ":material-alert: :warning: &copy; \\<b>backslash\\</b>",
    "dialog": f"<details open ontoggle=\"alert('{MARK}')\"><summary>s</summary></details>",
}
# A 5,000-character word: no space for a browser or a table to break at.
LONG_TOKEN = "Superlongtoken" + "x" * 4986

# Claim-shaped sentences (cue phrases of the rules extractor) shared by the primary paper and
# the evidence papers, so that each claim's best evidence sentence is a hostile one.
SHARED = [
    "We show that sparse expert routing with load balancing improves accuracy by 12% on the "
    "routing benchmark",
    "Our method reduces expert collapse and achieves 3x faster training than dense baselines",
    "We find that top-2 gating with capacity factor 1.25 outperforms top-1 gating on translation",
    "Experiments show that upcycled experts surpass scratch training at equal compute",
    "We introduce a router z-loss that stabilises mixture-of-experts training at scale",
]


def _sentence(shared: str, *payloads: str) -> str:
    # the payloads sit inside the sentence, before its full stop, so that they stay with it
    return f"{shared} {' '.join(payloads)}."


def _record(pid: str, title: str, authors: list[str], sentences: list[str]) -> dict:
    return {
        "id": pid,
        "title": title,
        "authors": authors,
        "published": "2024-01-01",
        "categories": ["cs.LG"],
        "abstract": " ".join(sentences),
        "url": f"javascript:console.log('{MARK}')",
        "source": "test",
    }


def hostile_corpus() -> list[dict]:
    """Corpus records (the shape of generator/drafting/data/moe_arxiv.jsonl) full of payloads."""
    p = PAYLOADS
    names = list(p)
    authors = [
        f"Eve {p['script']}",
        f"Mallory {p['img']}",
        f"Trudy {p['a_href']}",
        f"Oscar {p['markdown']}",
        f"Sybil {p['breakout']}",
        f"Ivan {p['invisible']}",
        f"Walter {p['remote']}",
    ]
    primary = _record(
        "2401.00001",
        f"Primary routing {p['script']} {p['img']} {p['markdown']} {p['breakout']} {p['template']}",
        authors,
        [
            _sentence(SHARED[0], p["script"], p["md_link"], p["markdown"]),
            _sentence(SHARED[1], p["img"], p["attr_list"], p["template"]),
            _sentence(SHARED[2], p["svg"], p["a_href"], p["entities"], LONG_TOKEN),
            _sentence(SHARED[3], p["iframe"], p["comment"], p["invisible"], p["emoji"]),
            _sentence(SHARED[4], p["breakout"], p["md_image"], p["remote"]),
        ],
    )
    records = [primary]
    # Evidence papers: each repeats the shared sentences with other payloads.
    for n in range(4):
        rotated = names[n * 3 :] + names[: n * 3]
        sentences = [
            _sentence(shared, p[rotated[i % len(rotated)]], p[rotated[(i + 5) % len(rotated)]])
            for i, shared in enumerate(SHARED)
        ]
        sentences.append(_sentence(f"Sparse experts {LONG_TOKEN}"))
        records.append(
            _record(
                f"2401.0001{n}",
                f"Evidence {n} on expert routing {p[rotated[0]]} {p[rotated[1]]} {p[rotated[2]]}",
                authors[n:] + authors[:n],
                sentences,
            )
        )
    # A paper whose title is nothing but payloads, and one of Markdown block syntax and
    # line breaks (the corpus loader and the escaping must flatten them).
    records.append(
        _record(
            "2401.00020",
            " ".join(p.values()),
            [" ".join(p.values())],
            [_sentence(SHARED[0], *p.values())],
        )
    )
    records.append(
        _record(
            "2401.00021",
            "# heading\n---\n1. list\n| a | b |\n|---|---|\n```\ncode\n```\n> quote",
            ["* star", "- dash", "1. one", "| pipe |"],
            [
                _sentence("We show that expert routing balances load", "\n\n# heading\n\n"),
                "    indented code block after a blank line.\n\n---\n\n| a | b |\n|---|---|",
            ],
        )
    )
    return records


QUESTION = (
    "Does sparse expert routing with load balancing improve accuracy over dense baselines and "
    "reduce expert collapse in mixture-of-experts training?"
)
# A question file is written by whoever opens a pull request: its text is untrusted as well.
# It becomes the page's <title>, so there its payloads build the mark from two halves: the
# title shown as text then never contains it, and a title or log that does means one ran.
SPLIT_MARK = "'PW'+'NED'"
HOSTILE_QUESTION = (
    "Does sparse expert routing improve accuracy "
    + " ".join(PAYLOADS[k] for k in ("breakout", "entities", "img", "markdown", "template"))
    + "?"
).replace(f"'{MARK}'", SPLIT_MARK)


def hostile_project(
    root: Path, settings: str = "", questions: dict[str, str] | None = None
) -> Path:
    """A project at `root` whose corpus is `hostile_corpus()` and whose question `hostile`
    pins the primary hostile paper. `settings` is appended to the sovereign.yml that selects
    the corpus (so it must not open another `search:` section); `questions` adds more question
    files (slug -> YAML text)."""
    project = make_project(
        root,
        questions=[],
        settings="search:\n  local_corpus: corpus.jsonl\n" + settings,
    )
    (project / "corpus.jsonl").write_text(
        "\n".join(json.dumps(r) for r in hostile_corpus()) + "\n", encoding="utf-8"
    )
    (project / "questions" / "hostile.yaml").write_text(
        f'question: {json.dumps(QUESTION)}\npaper: "2401.00001"\ntags: [routing, hostile]\n',
        encoding="utf-8",
    )
    for slug, text in (questions or {}).items():
        (project / "questions" / f"{slug}.yaml").write_text(text, encoding="utf-8")
    return project

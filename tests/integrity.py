"""Checks that a project's outputs are whole: no half-written page, JSON, PDF or site."""

from __future__ import annotations

import json
from pathlib import Path


def half_written(project: Path) -> list[str]:
    """Every output file that is not complete (empty list: all whole)."""
    bad: list[str] = []
    for folder in (project / "site_src" / "drafts", project / "review"):
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            data = path.read_bytes()
            name = str(path.relative_to(project))
            if path.suffix == ".json":
                try:
                    json.loads(data)
                except ValueError:
                    bad.append(f"{name}: not whole JSON")
            elif path.suffix == ".md" and path.name != "README.md":
                if b"| Pipeline ran |" not in data.rstrip()[-200:]:
                    bad.append(f"{name}: page does not end with its Provenance table")
            elif path.suffix == ".pdf" and not (
                data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
            ):
                bad.append(f"{name}: not a whole PDF")
            elif path.name.endswith(".tmp"):
                bad.append(f"{name}: temporary file left behind")
    index = project / "site" / "index.html"
    if (project / "site").exists() and not index.read_text().rstrip().endswith("</html>"):
        bad.append("site/index.html is not a whole page")
    return bad

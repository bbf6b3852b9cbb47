"""Regenerate generator/schema/question.schema.json from `QuestionFile` (run after editing it).

.venv/bin/python scripts/write_schema.py
"""

from __future__ import annotations

import json
from pathlib import Path

from generator.questions import QuestionFile

SCHEMA = Path(__file__).resolve().parent.parent / "generator" / "schema" / "question.schema.json"


def render() -> str:
    """The schema file's exact text."""
    return json.dumps(QuestionFile.model_json_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA}")


if __name__ == "__main__":
    main()

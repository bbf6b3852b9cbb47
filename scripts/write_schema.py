"""Regenerate generator/inputs/schema/question.schema.json from `QuestionFile` (run after editing
it).

.venv/bin/python scripts/write_schema.py
"""

from __future__ import annotations

import json

from generator.inputs.questions import SCHEMA, QuestionFile


def render() -> str:
    """The schema file's exact text."""
    return json.dumps(QuestionFile.model_json_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA}")


if __name__ == "__main__":
    main()

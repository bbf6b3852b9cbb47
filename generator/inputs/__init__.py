"""What the user writes: question files and the settings file, read safely and validated.

Others use: `questions` (`load_questions`, `QuestionFile`), `settings` (`load_settings`,
`Settings`, `SettingsError`), `yamlsrc` (YAML with the line of every key) and `validation`
(pydantic errors as `file:line: field: message`). `schema/` holds the question files' JSON
Schema (`scripts/write_schema.py` writes it).
"""

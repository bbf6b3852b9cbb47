"""What makes a draft: the pipeline, its stages and their swappable backends.

`pipeline` runs one question's stages through the stage cache (`run_question`, `Context`);
`models` holds the typed data that passes between them (`Draft` and its parts). The stages
are in `stages/`, one module each (plan, search, select, extract, verify, answer, review,
decide); the backends they call are in `sources/` (local corpus, arXiv, Semantic Scholar),
`embedders/`, `llm/`, `verifier/` and `tribunal/`. `corpus` is the bundled offline corpus
(`data/`), `ranking` its rankers, `textutil` sentence splitting.
"""

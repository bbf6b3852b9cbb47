"""The machinery beneath: caching, the web, outputs and processes.

`cache` (the stage cache), `index_store` (corpus indexes on disk), `http` (the one HTTP
boundary: timeouts, retries, rate limits, circuits), `deadline` (a question's time budget
for web services), `outputs` (atomic writes), `lock` (one build per project), `workers`
(process pools), `shards` (splitting a build across machines and merging it), `timing` and
`logs` (what a build reports about itself).
"""

"""What publishes a draft: where it stands, its pages and PDFs, and the site.

`standing` combines the tribunal's policy with the owner's decision; `owners` says who may
decide; `writers` writes pages, JSON, charts and PDFs into the site or the review area and
the index; `ledger` remembers what the last build wrote so the next skips it; `render/` turns
a draft into Markdown, charts, the feed and PDF; `engines/` builds the static site (Zensical
or MkDocs); `serve` rebuilds on every edit; `gitdiff` tells the pull-request check what a
branch changed.
"""

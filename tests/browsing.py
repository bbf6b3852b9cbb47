"""What the browser tests share: using the theme's search, whichever engine built the site."""

from __future__ import annotations

from typing import Any

WAIT_MS = 30_000


def search(page: Any, words: str) -> Any:
    """Type `words` into the site's search and return the locator of its result links.

    Material for MkDocs (the `mkdocs` engine) has the field in the header and a worker that
    indexes the site first; Zensical opens a dialog from a button and lists results there."""
    field = page.locator("input.md-search__input")
    if field.count():
        field.click()
        page.wait_for_function(
            "() => !document.querySelector('.md-search-result__meta')"
            ".textContent.includes('Initializing')",
            timeout=WAIT_MS,
        )
        field.press_sequentially(words)
        return page.locator(".md-search-result__item a.md-search-result__link")
    page.locator(".md-search__button").first.click()
    page.locator("dialog[open]").wait_for(timeout=WAIT_MS)
    page.keyboard.type(words)
    return page.locator("dialog[open] [role=listbox] a[role=option]")

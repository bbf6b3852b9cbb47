"""Rendering: drafts to Markdown pages and JSON, and the index page."""

"""Sovereign: autonomous research drafts from question files, published with MkDocs."""

__version__ = "0.1.0"

"""The one failure every site engine reports."""


class SiteBuildError(Exception):
    """The engine failed; the message carries its warnings or its output."""

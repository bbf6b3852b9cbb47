"""The WeasyPrint side of the PDF export: imported only when a PDF is rendered.

Importing WeasyPrint costs ~0.6 s, so `pdf.py` imports this module lazily. Everything
WeasyPrint fetches goes through `SafeFetcher`, which serves our own print assets and refuses
everything else, so no retrieved text can make a render touch the network or the disk.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from generator.machinery.logs import collecting
from generator.publishing.render.print_style import ASSETS, STYLESHEET, PdfError

CHART_PREFIX = "data:image/svg+xml;base64,"  # charts.data_uri: the one data URL served


class SafeFetcher(URLFetcher):
    """A URL fetcher that serves only files inside `generator/publishing/render/pdf_assets/`.

    `file://` URLs whose path, once resolved (symlinks followed), lies inside the assets
    folder are read, and base64 SVG `data:` URLs (the charts, drawn by us) are decoded; an
    SVG's own fetches come back here. Everything else raises ValueError: other schemes
    (http, https, ftp, other data:), a host, `..` segments, and files or symlinks that lead
    outside the folder.
    Constructed with fail_on_errors, so a refused fetch stops the render instead of being
    logged and skipped: our template never asks for anything else.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fail_on_errors", True)
        super().__init__(**kwargs)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith(CHART_PREFIX):  # our own charts, inside the document
            data = base64.b64decode(url[len(CHART_PREFIX) :], validate=True)
            return URLFetcherResponse(url, data, headers={"Content-Type": "image/svg+xml"})
        path = allowed_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
        )


def allowed_path(url: str) -> Path:
    """The asset file a `file://` URL names, or ValueError saying why it is refused."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        raise ValueError(f"refusing to fetch {url[:80]!r}: only the PDF's own assets are loaded")
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"refusing to fetch {url[:80]!r}: file URLs with a host")
    raw = unquote(parts.path)
    if "\x00" in raw or ".." in PurePosixPath(raw).parts:
        raise ValueError(f"refusing to fetch {url[:80]!r}: '..' in the path")
    root = ASSETS.resolve()
    try:
        resolved = Path(raw).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise ValueError(f"refusing to fetch {url[:80]!r}: {exc}") from exc
    if not resolved.is_relative_to(root) or not resolved.is_file():
        raise ValueError(f"refusing to fetch {url[:80]!r}: outside {root}")
    return resolved


def render_pdf(html: str) -> bytes:
    """The PDF bytes for a complete HTML document; PdfError when nothing usable comes out."""
    fetcher = SafeFetcher()
    # NOTE: WeasyPrint logs its errors instead of raising them: keep them, and fail on any.
    with collecting("weasyprint", logging.ERROR) as collect:
        data = _render(html, fetcher)
    if collect.messages:
        raise PdfError("WeasyPrint reported errors: " + "; ".join(collect.messages))
    if not data or not data.startswith(b"%PDF"):
        raise PdfError("WeasyPrint produced no PDF data")
    return bytes(data)


def _render(html: str, fetcher: SafeFetcher) -> bytes:
    try:
        css = weasyprint.CSS(url=STYLESHEET.as_uri(), url_fetcher=fetcher)
        document = weasyprint.HTML(
            string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=fetcher
        ).render(stylesheets=[css])
        if not document.pages:
            raise PdfError("WeasyPrint laid out zero pages")
        data = document.write_pdf()
    except PdfError:
        raise
    except (Exception, FatalURLFetchingError) as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        raise PdfError(f"WeasyPrint failed: {type(exc).__name__}: {exc}{cause}") from exc
    return bytes(data or b"")

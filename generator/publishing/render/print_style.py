"""What both halves of the PDF export share (`pdf.py`, which fills the HTML, and
`_pdf_engine.py`, which WeasyPrint runs): the folder of files a PDF may load, the print
stylesheet in it, and the export's error."""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "pdf_assets"
STYLESHEET = ASSETS / "print.css"


class PdfError(Exception):
    """A PDF could not be rendered or written; the message says why."""

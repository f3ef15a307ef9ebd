"""Is an upload a real PDF we will keep? Decided by its content, never its name or declared type:
it must start with the PDF signature, stay within the size limit, parse (pypdf) with at least one
page, and not be encrypted (a coordinator could not open it). The reason names no content."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

PDF_SIGNATURE = b"%PDF-"


@dataclass(frozen=True)
class CheckedPdf:
    data: bytes
    size: int
    pages: int
    sha256: str


class PdfRefused(ValueError):
    pass


def check_pdf(data: bytes, *, max_bytes: int) -> CheckedPdf:
    if not data:
        raise PdfRefused("The file is empty.")
    if len(data) > max_bytes:
        raise PdfRefused(f"The file is larger than {max_bytes // (1024 * 1024) or 1} MB.")
    if not data[:1024].lstrip().startswith(PDF_SIGNATURE):
        raise PdfRefused("The file is not a PDF.")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings quote the file's contents
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PdfRefused("The PDF is password-protected: attach it without a password.")
        pages = len(reader.pages)
    except PdfRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise PdfRefused("The file says it is a PDF but cannot be read as one.") from None
    if pages < 1:
        raise PdfRefused("The PDF has no pages.")
    return CheckedPdf(data=data, size=len(data), pages=pages, sha256=hashlib.sha256(data).hexdigest())

"""How every receipt and credit note download is answered, whoever asks."""

from flask import Response, abort

from .models.receipt import Receipt
from .services.receipts.documents import filename_of, pdf_of


def pdf_download(document: Receipt | None) -> Response:
    """The document as a PDF, cached by the asker's browser only; 404 if there is none."""
    if document is None:
        abort(404, description="We could not find that document.")
    response = Response(pdf_of(document), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename_of(document)}"'
    # An issued document never changes, but it is one person's: no shared cache keeps it.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

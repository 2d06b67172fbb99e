"""The receipt PDF draws any snapshot: fpdf2's core fonts take Latin-1 only, and a variant's
line name carries an em dash ("Kenya — 1 kg · ground"); a naira or euro amount a sign
outside Latin-1. Before the fix the em dash raised and the receipt mail job failed."""

import io

from pypdf import PdfReader

from shop.services.notifications.receipts import receipt_pdf


def snapshot(currency: str, name: str) -> dict:
    return {
        "label": "R-000001", "issued_at": "2026-12-07T20:00:00+00:00", "order_number": "#12",
        "seller": {"name": "Tea & Co — Lagos", "address": ["1 Marina"], "tax_id": None},
        "buyer": {"name": "Ada Obi", "email": "ada@example.test"}, "ship_to": ["1 Marina"],
        "shipping_method": "Standard", "currency": currency,
        "lines": [{"name": name, "quantity": 1, "unit_price": 250000, "total": 250000}],
        "subtotal": 250000, "shipping": 0, "tax": 0, "tax_rate_bp": 0, "total": 250000,
        "reference": None,
    }


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_variant_line_with_an_em_dash_is_drawn_with_a_plain_dash():
    text = text_of(receipt_pdf(snapshot("USD", "Kenya — 1 kg · ground"), None))
    assert "Kenya - 1 kg · ground" in text and "Tea & Co - Lagos" in text


def test_a_naira_and_a_euro_amount_print_their_code_where_the_font_has_no_sign():
    for currency, code in (("NGN", "NGN"), ("EUR", "EUR")):
        text = text_of(receipt_pdf(snapshot(currency, "Sencha"), None))
        assert f"{code}" in text and "2,500" in text.replace(".", ",").replace("\u202f", "")

"""Receipts and credit notes as PDF, drawn with fpdf2 from their frozen snapshot only: a
document drawn today reads as it did the day it was issued."""

from __future__ import annotations

from collections.abc import Iterable

from fpdf import FPDF

from ...domain.money import format_money
from ...domain.receipts import method_label

# fpdf2's core fonts draw Latin-1 only (it refuses anything else, the em dash of a variant's
# name "Kenya — 1 kg" included): the usual typography gets its plain form, a currency sign
# outside Latin-1 its ISO code, and anything else prints as "?".
_PLAIN = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"',
                        "…": "...", "•": "·", "€": "EUR ", "₦": "NGN ", "₵": "GHS "})


def _text(value: str) -> str:
    return value.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def _start(title: str, seller: dict) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title(_text(title))
    pdf.set_author(_text(seller["name"]))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text(seller["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in seller["address"] + ([f"Tax ID: {seller['tax_id']}"] if seller["tax_id"]
                                     else []):
        pdf.cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 9, _text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    return pdf


def _facts(pdf: FPDF, facts: Iterable[tuple[str, str]]) -> None:
    for label, value in facts:
        pdf.cell(45, 7, _text(label))
        pdf.cell(0, 7, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def receipt_pdf(snapshot: dict, payment_method: dict | None) -> bytes:
    """Number, seller, buyer, shipping address and method, lines, tax, total, how it was
    paid and the payment's reference."""
    currency = snapshot["currency"]
    money = lambda amount: _text(format_money(amount, currency))  # noqa: E731
    pdf = _start(f"Receipt {snapshot['label']}", snapshot["seller"])
    ship_to = snapshot["ship_to"] or [""]
    _facts(pdf, [
        ("Receipt number", snapshot["label"]), ("Order", snapshot["order_number"]),
        ("Date", snapshot["issued_at"][:10]),
        ("Billed to", f"{snapshot['buyer']['name']} <{snapshot['buyer']['email']}>"),
        ("Paid with", method_label(payment_method)),
        ("Payment reference", snapshot["reference"] or "-"),
        ("Ship to", ship_to[0]), *(("", line) for line in ship_to[1:]),
        ("Shipping method", f"{snapshot['shipping_method']}, {money(snapshot['shipping'])}"),
    ])
    pdf.set_font("Helvetica", "B", 11)
    for heading, width, align in (("Item", 95, "L"), ("Qty", 20, "R"),
                                  ("Unit price", 35, "R"), ("Amount", 35, "R")):
        pdf.cell(width, 8, heading, border="B", align=align)
    pdf.ln()
    pdf.set_font("Helvetica", "", 11)
    for line in snapshot["lines"]:
        pdf.cell(95, 7, _text(line["name"]))
        pdf.cell(20, 7, str(line["quantity"]), align="R")
        pdf.cell(35, 7, money(line["unit_price"]), align="R")
        pdf.cell(35, 7, money(line["total"]), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    rate = snapshot["tax_rate_bp"]
    for label, amount, style in (("Subtotal", snapshot["subtotal"], ""),
                                 (f"Shipping ({snapshot['shipping_method']})",
                                  snapshot["shipping"], ""),
                                 (f"Tax ({rate / 100:g}%)" if rate else "Tax",
                                  snapshot["tax"], ""),
                                 *((("Cash on delivery fee", snapshot["payment_fee"], ""),)
                                   if snapshot.get("payment_fee") else ()),
                                 ("Total", snapshot["total"], "B")):
        pdf.set_font("Helvetica", style, 11)
        pdf.cell(150, 7, _text(label), align="R")
        pdf.cell(35, 7, money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def credit_note_pdf(snapshot: dict, payment_method: dict | None) -> bytes:
    """Number, the receipt it corrects, what was given back and to which means of payment."""
    amount = _text(format_money(snapshot["amount"], snapshot["currency"]))
    pdf = _start(f"Credit note {snapshot['label']}", snapshot["seller"])
    _facts(pdf, [
        ("Credit note number", snapshot["label"]), ("Corrects receipt", snapshot["receipt"]),
        ("Order", snapshot["order_number"]), ("Date", snapshot["issued_at"][:10]),
        ("Credited to", f"{snapshot['buyer']['name']} <{snapshot['buyer']['email']}>"),
        ("Refunded to", method_label(payment_method)),
        ("Refund reference", snapshot["reference"] or "-"),
        *((("Reason", snapshot["reason"].replace("_", " ")),) if snapshot["reason"] else ()),
    ])
    for line in snapshot["lines"]:
        pdf.cell(0, 7, _text(f"{line['quantity']} x {line['name']} returned"),
                 new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(150, 7, "Amount credited", align="R")
    pdf.cell(35, 7, amount, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

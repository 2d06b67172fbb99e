"""The PDF receipt (invoice) attached to the payment e-mail, drawn with fpdf2."""

from __future__ import annotations

from fpdf import FPDF

from ...domain.money import format_money
from ...domain.pricing import method_label
from ...models import Order


def invoice_number(order: Order) -> str:
    return f"INV-{order.paid_at:%Y}-{order.number}" if order.paid_at else f"INV-{order.number}"


def _text(value: str) -> str:
    # The PDF core fonts speak Windows-1252 only; anything else prints as "?".
    return value.encode("cp1252", "replace").decode("cp1252")


def receipt_pdf(order: Order, *, shop_name: str, payment_reference: str | None) -> bytes:
    """Invoice number, shipping address and method, lines, tax, shipping, total and the
    PaymentIntent id."""
    money = lambda amount: _text(format_money(amount, order.currency))  # noqa: E731
    pdf = FPDF(format="A4")
    pdf.set_title(f"Receipt {invoice_number(order)}")
    pdf.set_author(_text(shop_name))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text(shop_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    facts = [
        ("Invoice number", invoice_number(order)),
        ("Order", order.number),
        ("Date", f"{order.paid_at:%Y-%m-%d}" if order.paid_at else ""),
        ("Billed to", f"{order.ship_name} <{order.email}>"),
        ("Payment reference", payment_reference or "-"),
    ]
    ship_to = order.ship_to_lines()
    facts += [("Ship to", ship_to[0]), *(("", line) for line in ship_to[1:]),
              ("Shipping method", f"{method_label(order.shipping_method)}, "
                                  f"{format_money(order.shipping, order.currency)}")]
    for label, value in facts:
        pdf.cell(45, 7, _text(label))
        pdf.cell(0, 7, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    for heading, width, align in (("Item", 95, "L"), ("Qty", 20, "R"),
                                  ("Unit price", 35, "R"), ("Amount", 35, "R")):
        pdf.cell(width, 8, heading, border="B", align=align)
    pdf.ln()
    pdf.set_font("Helvetica", "", 11)
    for line in order.lines:
        pdf.cell(95, 7, _text(line.name))
        pdf.cell(20, 7, str(line.quantity), align="R")
        pdf.cell(35, 7, money(line.unit_price), align="R")
        pdf.cell(35, 7, money(line.total), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    tax_label = f"Tax ({order.tax_rate_bp / 100:g}%)" if order.tax_rate_bp else "Tax"
    for label, amount, style in (("Subtotal", order.subtotal, ""),
                                 (f"Shipping ({method_label(order.shipping_method)})",
                                  order.shipping, ""),
                                 (tax_label, order.tax, ""), ("Total", order.total, "B")):
        pdf.set_font("Helvetica", style, 11)
        pdf.cell(150, 7, _text(label), align="R")
        pdf.cell(35, 7, money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

"""What a receipt and a credit note say: plain data, frozen when the document is issued.

The snapshot is a JSON-able dict built from plain values (no ORM), so that a document drawn
years later reads what was true when it was issued, whatever happened to the product, the
price list or the store's settings since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CASH_ON_DELIVERY = "cash_on_delivery"
BANK_TRANSFER = "bank_transfer"
# Wording for the ways to pay that carry no card (later providers name theirs with these).
METHOD_WORDING = {CASH_ON_DELIVERY: "Cash on delivery", BANK_TRANSFER: "Bank transfer"}

BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express",
          "discover": "Discover", "jcb": "JCB", "diners": "Diners Club",
          "unionpay": "UnionPay", "cartes_bancaires": "Cartes Bancaires"}


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    tax_id: str

    def as_dict(self) -> dict:
        return {"name": self.name, "address": [line for line in self.address.splitlines()
                                                if line.strip()], "tax_id": self.tax_id}


def card_method(brand: str | None, last4: str | None) -> dict | None:
    """A card as the receipt names it; None if the charge did not say which card."""
    if not brand or not last4:
        return None
    return {"type": "card", "brand": brand, "last4": last4}


def other_method(kind: str) -> dict:
    return {"type": kind}


def method_label(method: dict | None) -> str:
    """"Visa ending in 4242", "Cash on delivery"; "Card" while the card is not known."""
    if not method:
        return "Card"
    if method.get("type") == "card":
        brand = BRANDS.get(method["brand"], str(method["brand"]).title())
        return f"{brand} ending in {method['last4']}"
    kind = str(method.get("type"))
    return METHOD_WORDING.get(kind, kind.replace("_", " ").capitalize())


def receipt_snapshot(*, label: str, issued_at: datetime, order_number: str, seller: Seller,
                     buyer_name: str, email: str, ship_to: list[str], shipping_label: str,
                     currency: str, lines: list[dict], subtotal: int, shipping: int, tax: int,
                     tax_rate_bp: int, total: int, reference: str | None) -> dict:
    """The receipt's content; amounts in minor units of ``currency``."""
    return {
        "label": label, "issued_at": issued_at.isoformat(), "order_number": order_number,
        "seller": seller.as_dict(), "buyer": {"name": buyer_name, "email": email},
        "ship_to": ship_to, "shipping_method": shipping_label, "currency": currency,
        "lines": lines, "subtotal": subtotal, "shipping": shipping, "tax": tax,
        "tax_rate_bp": tax_rate_bp, "total": total, "reference": reference,
    }


def credit_note_snapshot(*, label: str, receipt: dict, issued_at: datetime, amount: int,
                         lines: list[dict], reason: str | None, reference: str | None) -> dict:
    """A credit note: what was given back, against which receipt (the seller and buyer are
    the receipt's, as issued)."""
    return {
        "label": label, "issued_at": issued_at.isoformat(), "receipt": receipt["label"],
        "order_number": receipt["order_number"], "seller": receipt["seller"],
        "buyer": receipt["buyer"], "currency": receipt["currency"], "amount": amount,
        "lines": lines, "reason": reason or "", "reference": reference,
    }

"""Building orders in any state and acting as staff through the real admin forms."""

from __future__ import annotations

import html as html_module
import itertools
import re
import secrets
from datetime import datetime, timedelta

from shop.extensions import db
from shop.models import HoldStatus, InventoryHold, Order, OrderLine, PaymentAttempt, Store
from shop.models.types import utcnow

from ..factories import make_product, set_stock

_seq = itertools.count(1)


def make_order(store: Store, *, product=None, quantity: int = 1, status: str = "pending",
               payment_status: str = "unpaid", email: str = "ada@example.com",
               created_at: datetime | None = None, paid: bool = False,
               hold: HoldStatus | None = HoldStatus.ACTIVE, attempt: str | None = None,
               intent: str | None = None, attention: str | None = None,
               name: str = "Ada Lovelace") -> Order:
    """An order as checkout and payment would have left it (no Stripe involved)."""
    product = product or make_product(store, price=1250)
    subtotal = product.price * quantity
    order = Order(
        store_id=store.id, token=secrets.token_urlsafe(16),
        checkout_token=secrets.token_urlsafe(16), status=status, payment_status=payment_status,
        email=email, ship_name=name, ship_line1="1 Analytical Way", ship_line2="",
        ship_city="Springfield", ship_postal_code="62701", ship_country="US",
        shipping_method="standard", currency="USD", subtotal=subtotal, shipping=500, tax=0,
        total=subtotal + 500, created_at=created_at or utcnow(), attention=attention,
        paid_at=utcnow() if paid else None,
        lines=[OrderLine(product_id=product.id, variant_id=product.variants[0].id,
                         name=product.name, unit_price=product.price,
                         quantity=quantity, total=subtotal)])
    db.session.add(order)
    db.session.flush()
    if hold is not None:
        db.session.add(InventoryHold(product_id=product.id, variant_id=product.variants[0].id,
                                     order_id=order.id,
                                     quantity=quantity, status=hold,
                                     expires_at=utcnow() + timedelta(minutes=15)))
    if attempt is not None:
        db.session.add(PaymentAttempt(
            store_id=store.id, order_id=order.id, status=attempt, amount=order.total,
            currency="USD", idempotency_key=f"test-{next(_seq)}-{secrets.token_hex(4)}",
            provider_reference=intent))
    db.session.commit()
    return order


def paid_order(store: Store, *, product=None, quantity: int = 1, **kwargs) -> Order:
    """Paid: its hold converted, the stock already taken (as ``commit_stock`` does)."""
    product = product or make_product(store, price=1250, stock=10)
    set_stock(product, product.stock_on_hand - quantity)
    kwargs = {"status": "paid", "payment_status": "paid", "attempt": "captured", **kwargs}
    return make_order(store, product=product, quantity=quantity, paid=True,
                      hold=HoldStatus.CONVERTED, **kwargs)


def csrf(client, url: str = "/admin/") -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post(client, url: str, data: dict | None = None, token_from: str = "/admin/", **kwargs):
    """POST a form as the browser would: with the CSRF token of a page this user can see."""
    return client.post(url, data={"csrf_token": csrf(client, token_from), **(data or {})},
                       **kwargs)


def field_error(html: str, field_id: str) -> str | None:
    """The error message shown beside ``field_id``, if any."""
    match = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]+)</p>', html)
    return html_module.unescape(match.group(1)) if match else None


def open_alert(store: Store, kind: str = "stripe_refused", message: str = "Stripe refused.") -> int:
    """An open staff alert of ``kind`` in ``store`` (its id)."""
    from shop.services.platform.alerts import raise_alert
    from shop.services.platform.tx import write_transaction

    with write_transaction() as session:
        return raise_alert(session, store_id=store.id, kind=kind, message=message).id

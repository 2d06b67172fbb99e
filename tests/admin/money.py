"""Paid orders made the real way (storefront checkout, Stripe.js confirm against the sandbox,
return to the status page) and the admin's money forms posted as a browser would."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    AuditEvent,
    Order,
    OutboxMessage,
    PaymentAttempt,
    PaymentTransaction,
    SentEmail,
)

from ..payments import sandbox_requests
from ..shopper import CARD_3DS, CARD_OK, Browser, Shopper, intent_id_from_secret
from .helpers import csrf


def paid_checkout(app, stripe_client, sandbox_url: str, items, *, manual: bool = False,
                  email: str = "ada@example.com") -> Order:
    """Check ``items`` ((product, quantity), …) out as a guest and pay with 4242.

    ``manual``: the card is only authorized (CAPTURE_METHOD=manual), as staff capture later.
    """
    shopper = Shopper(app.test_client())
    for product, quantity in items:
        shopper.add(product, quantity)
    saved = app.config["CAPTURE_METHOD"]
    app.config["CAPTURE_METHOD"] = "manual" if manual else "automatic"
    try:
        token = shopper.checkout(email=email)
        secret = shopper.client_secret(token)
        Browser(stripe_client, sandbox_url).confirm(secret, CARD_OK)
    finally:
        app.config["CAPTURE_METHOD"] = saved
    assert shopper.return_from_stripe(token, intent_id_from_secret(secret)).status_code == 303
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.token == token))
    assert order.payment_status == ("authorized" if manual else "paid"), order.payment_status
    return order


def attempt_of(order: Order) -> PaymentAttempt:
    db.session.rollback()
    return db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.order_id == order.id))


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident)


def ledger(attempt_id: int, kind: str | None = None) -> list[tuple]:
    db.session.rollback()
    query = select(PaymentTransaction.kind, PaymentTransaction.status, PaymentTransaction.amount,
                   PaymentTransaction.actor).where(PaymentTransaction.attempt_id == attempt_id)
    if kind:
        query = query.where(PaymentTransaction.kind == kind)
    return [tuple(row) for row in db.session.execute(query.order_by(PaymentTransaction.id))]


def in_three_d_secure(app, stripe_client, sandbox_url: str, product) -> Order:
    """A guest who checked out one ``product`` and is in 3-D Secure (came back before
    finishing it): the attempt is AUTHORIZING, the order's payment ``processing``."""
    shopper = Shopper(app.test_client())
    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    assert Browser(stripe_client, sandbox_url).confirm(secret, CARD_3DS).status == \
        "requires_action"
    assert shopper.return_from_stripe(token, intent_id_from_secret(secret)).status_code == 303
    db.session.rollback()
    return db.session.scalar(select(Order).where(Order.token == token))


def at_stripe(sandbox, method: str, path: str) -> list[dict]:
    """The requests the sandbox received (its request log): what Stripe was really asked."""
    return sandbox_requests(sandbox, method, path)


def refund_calls(sandbox) -> int:
    """Every refund request Stripe received so far (compare before and after an action)."""
    return len(at_stripe(sandbox, "POST", "/v1/refunds"))


def refunds_at_stripe(stripe_client, intent_id: str) -> list[tuple[int, str]]:
    """The refunds Stripe holds for ``intent_id``: (amount, status), oldest first."""
    refunds = stripe_client.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100})
    return sorted(((r.amount, r.status, r.created) for r in refunds.data), key=lambda r: r[2])


def captures_at_stripe(sandbox, intent_id: str) -> list[dict]:
    return at_stripe(sandbox, "POST", f"/v1/payment_intents/{intent_id}/capture")


def audit_rows(**where) -> list[tuple]:
    db.session.rollback()
    query = select(AuditEvent.entity_type, AuditEvent.action, AuditEvent.from_state,
                   AuditEvent.to_state, AuditEvent.actor)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return [tuple(row) for row in db.session.execute(query.order_by(AuditEvent.id))]


def outbox_jobs(job: str) -> list[dict]:
    db.session.rollback()
    return [json.loads(args) for args in db.session.scalars(
        select(OutboxMessage.args).where(OutboxMessage.job == job).order_by(OutboxMessage.id))]


def sent(order_id: int, kind_like: str = "%") -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(SentEmail.kind).where(
        SentEmail.order_id == order_id, SentEmail.kind.like(kind_like)).order_by(SentEmail.id)))


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def top_error(html: str) -> str | None:
    """The message at the top of an admin page (``role="alert"``)."""
    import html as html_module

    match = re.search(r'<div class="alert alert-error" role="alert"><p>(.*?)</p></div>', html,
                      re.S)
    return html_module.unescape(match.group(1)).strip() if match else None


def flash_message(html: str) -> str | None:
    import html as html_module

    match = re.search(r'<p class="flash flash-success">(.*?)</p>', html, re.S)
    return html_module.unescape(match.group(1)) if match else None


class RefundPage:
    """The refund form of one payment, used in its two steps as a browser would."""

    def __init__(self, client, attempt_id: int):
        self.client, self.url = client, f"/admin/payments/{attempt_id}/refund"

    def review(self, **fields):
        return self._post({"step": "review", **fields})

    def refund(self, *, expected: int | None = None, confirm: bool = True, **fields):
        """Review, then confirm the amount the review showed (or ``expected``)."""
        if expected is None:
            reviewed = self.review(**fields)
            assert reviewed.status_code == 200, top_error(reviewed.get_data(as_text=True))
            expected = reviewed_amount(reviewed.get_data(as_text=True))
        data = {"step": "refund", "expected": str(expected), **fields}
        if confirm:
            data["confirm"] = "y"
        return self._post(data)

    def _post(self, data: dict):
        data = {"reason": "requested_by_customer", **data}
        return self.client.post(self.url, data={"csrf_token": csrf(self.client, self.url),
                                                **data})


def reviewed_amount(html: str) -> int:
    match = re.search(r'name="expected"[^>]*value="(\d+)"', html) or \
        re.search(r'value="(\d+)"[^>]*name="expected"', html)
    assert match, "the review step shows no amount to confirm"
    return int(match.group(1))

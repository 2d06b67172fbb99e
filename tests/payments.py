"""Payments for the ledger tests: orders in any store, authorized through the real sandbox,
and clients of the payments API as staff (session + CSRF header) or with an API key."""

from __future__ import annotations

import secrets

import stripe
from sqlalchemy import func, select

from shop.domain.states import AttemptStatus, OrderStatus, PaymentStatus
from shop.extensions import db
from shop.models import AuditEvent, InventoryHold, Order, OrderLine, PaymentAttempt, Product
from shop.models.types import utcnow
from shop.services.accounts.api_keys import create_api_key
from shop.services.payments.history import note_attempt
from shop.services.payments.settle import ensure_payment_intent, settle_payment

from .factories import PASSWORD
from .shopper import login


def make_order(store, product: Product, *, quantity: int = 1, capture_method: str = "manual",
               attempt: bool = True, email: str = "buyer@example.com") -> Order:
    """An order as checkout leaves it (holds, an INITIATED attempt), without the storefront."""
    total = product.price * quantity
    order = Order(store_id=store.id, token=secrets.token_urlsafe(16),
                  checkout_token=secrets.token_urlsafe(16), status=OrderStatus.PENDING,
                  payment_status=PaymentStatus.UNPAID, email=email, ship_name="Ada",
                  ship_line1="1 Way", ship_city="Town", ship_postal_code="1", ship_country="US",
                  shipping_method="standard", currency="USD", subtotal=total, shipping=0,
                  tax=0, total=total,
                  lines=[OrderLine(product_id=product.id, variant_id=product.variants[0].id,
                                   name=product.name,
                                   unit_price=product.price, quantity=quantity, total=total)])
    db.session.add(order)
    db.session.flush()
    db.session.add(InventoryHold(product_id=product.id, variant_id=product.variants[0].id,
                                 order_id=order.id, quantity=quantity,
                                 expires_at=utcnow().replace(year=utcnow().year + 1)))
    if attempt:
        row = PaymentAttempt(
            store_id=store.id, order_id=order.id, status=AttemptStatus.INITIATED,
            amount=total, currency="USD", capture_method=capture_method,
            idempotency_key=f"pi-create-{secrets.token_hex(8)}")
        db.session.add(row)
        db.session.flush()
        note_attempt(db.session, row, user_id=order.user_id)  # as checkout does
    db.session.commit()
    return order


def pay(stripe_client: stripe.StripeClient, order: Order,
        card: str = "pm_card_visa") -> PaymentAttempt:
    """Create the intent, confirm it as Stripe.js would, and settle it as the return does."""
    attempt = ensure_payment_intent(order_id=order.id)
    intent_id = attempt.provider_reference
    try:
        stripe_client.v1.payment_intents.confirm(intent_id, params={"payment_method": card})
    except stripe.CardError:
        pass  # a decline is an outcome like any other: settling records it
    settle_payment(intent_id=intent_id, actor="shopper:test")
    db.session.rollback()
    return db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.id == attempt.id))


def authorized(store, product, stripe_client, **kwargs) -> PaymentAttempt:
    attempt = pay(stripe_client, make_order(store, product, **kwargs))
    assert attempt.status == AttemptStatus.AUTHORIZED, attempt.status
    return attempt


def captured(store, product, stripe_client, **kwargs) -> PaymentAttempt:
    attempt = pay(stripe_client, make_order(store, product, capture_method="automatic",
                                            **kwargs))
    assert attempt.status == AttemptStatus.CAPTURED, attempt.status
    return attempt


def fresh(model, ident):
    db.session.rollback()  # end the read snapshot (SQLite WAL) and reload
    return db.session.get(model, ident)


def attempt_moves(attempt_id: int) -> list[tuple[str | None, str]]:
    db.session.rollback()
    return [tuple(row) for row in db.session.execute(
        select(AuditEvent.from_state, AuditEvent.to_state)
        .where(AuditEvent.entity_type == "payment_attempt", AuditEvent.entity_id == attempt_id,
               AuditEvent.action == "payment_state_change")
        .order_by(AuditEvent.id))]


def sandbox_requests(stripe_sandbox, method: str, path: str) -> list[dict]:
    import requests

    response = requests.get(f"{stripe_sandbox.url}/_config/requests",
                            params={"method": method, "path": path}, timeout=10)
    response.raise_for_status()
    return response.json()["data"]


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


class Api:
    """The payments API as one caller sees it: a staff session or a bearer key."""

    def __init__(self, client, *, token: str | None = None, csrf: str | None = None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        if csrf:
            self.headers["X-CSRFToken"] = csrf

    @classmethod
    def staff(cls, app, user) -> Api:
        client = app.test_client()
        response = login(client, user.email, PASSWORD)
        assert response.status_code == 303, response.status_code
        answer = client.get("/api/payments/csrf")
        return cls(client, csrf=answer.get_json()["csrf_token"]
                   if answer.status_code == 200 else None)

    @classmethod
    def key(cls, app, store) -> Api:
        _key, token = create_api_key(store_id=store.id, name="test")
        return cls(app.test_client(), token=token)

    def post(self, path: str, body=None, *, key: str | None = None, headers=None):
        extra = {"Idempotency-Key": key} if key else {}
        return self.client.post(f"/api/payments{path}", json=body,
                                headers={**self.headers, **extra, **(headers or {})})

    def get(self, path: str = "", **params):
        return self.client.get(f"/api/payments{path}", query_string=params,
                               headers=self.headers)

"""Shared by the cash-on-delivery and bank-transfer tests: a store offering both, its
owner signed in, and small readers of what a payment left behind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    AuditEvent,
    Order,
    PaymentAttempt,
    PaymentTransaction,
    Role,
    StoreSettings,
)

from .factories import PASSWORD, make_user
from .shopper import csrf_token, login

BANK = "Bean & Leaf Ltd\nIBAN GB33 BUKB 2020 1555 5555 55"


@pytest.fixture
def offline_store(store):
    db.session.add(StoreSettings(store_id=store.id, payment_methods=["stripe", "cod",
                                                                     "bank_transfer"],
                                 cod_fee=200, cod_max_amount=10_000, bank_account=BANK,
                                 bank_transfer_hold_days=3))
    db.session.commit()
    return store


@pytest.fixture
def staff(clean_app, offline_store):
    make_user("owner@example.com", store=offline_store, role=Role.OWNER)
    client = clean_app.test_client()
    assert login(client, "owner@example.com", PASSWORD).status_code == 303
    return client


def confirm(client, url: str, **data):
    """GET the confirmation page (its CSRF token), then POST it ticked."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                  "confirm": "y", **data})


def stock(product) -> int:
    db.session.expire_all()
    return db.session.get(type(product), product.id).variants[0].stock_on_hand


def only_order() -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order))


def captures(order: Order) -> list[PaymentTransaction]:
    return list(db.session.scalars(select(PaymentTransaction).join(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id, PaymentTransaction.kind == "capture")))


def audited(order: Order, action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_type == "order", AuditEvent.entity_id == order.id,
        AuditEvent.action == action))



"""Rows for tests, built through the models (no HTTP)."""

from __future__ import annotations

import itertools
import secrets

from shop.extensions import db
from shop.models import Category, Order, OrderLine, Product, Role, Store, User
from shop.services.accounts.users import create_user, grant_role

PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only

_seq = itertools.count(1)


def make_store(slug: str = "main") -> Store:
    store = Store(slug=slug, name=f"Store {slug}", currency="USD")
    db.session.add(store)
    db.session.commit()
    return store


def make_product(store: Store, *, name: str | None = None, price: int = 1000, stock: int = 10,
                 category: Category | None = None) -> Product:
    n = next(_seq)
    name = name or f"Product {n}"
    product = Product(store_id=store.id, slug=f"product-{n}", name=name, price=price,
                      currency="USD", stock_on_hand=stock, category_id=category.id if category
                      else None, description=f"{name} description")
    db.session.add(product)
    db.session.commit()
    return product


def make_user(email: str | None = None, *, store: Store | None = None,
              role: Role | None = None, password: str = PASSWORD) -> User:
    """A user through the real accounts service; with ``store``, a member of it."""
    user = create_user(email=email or f"user{next(_seq)}@example.com", password=password)
    if store is not None:
        grant_role(user_id=user.id, store_id=store.id, role=role or Role.STAFF)
    return db.session.get(User, user.id)


def make_order(store: Store, product: Product, *, user: User | None = None,
               email: str = "ada@example.com", quantity: int = 1, status: str = "pending",
               payment_status: str = "unpaid", created_at=None, **fields) -> Order:
    """An order row as checkout would leave it (no holds, no attempt): for pages that only
    read orders. Money paths build their orders through the real checkout instead."""
    n = next(_seq)
    total = product.price * quantity
    order = Order(
        store_id=store.id, token=f"order-token-{n}-{secrets.token_hex(8)}",
        checkout_token=f"checkout-{n}-{secrets.token_hex(8)}", user_id=user.id if user else None,
        status=status, payment_status=payment_status, email=email, ship_name="Ada Lovelace",
        ship_line1="1 Analytical Way", ship_city="Springfield", ship_postal_code="62701",
        ship_country="US", shipping_method="standard", currency="USD", subtotal=total,
        shipping=0, tax=0, total=total,
        lines=[OrderLine(product_id=product.id, name=product.name, unit_price=product.price,
                         quantity=quantity, total=total)], **fields)
    if created_at is not None:
        order.created_at = created_at
    db.session.add(order)
    db.session.commit()
    return order

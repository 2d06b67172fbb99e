"""Rows for tests, built through the models (no HTTP)."""

from __future__ import annotations

import itertools
import secrets

from shop.extensions import db
from shop.models import Category, Order, OrderLine, Product, ProductVariant, Role, Store, User
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
    product.variants.append(ProductVariant(store_id=store.id, sku=f"product-{n}", name="",
                                           price=price, stock_on_hand=stock, position=0))
    db.session.add(product)
    db.session.commit()
    return product


def make_variant(product: Product, name: str, *, price: int = 1000, stock: int = 10,
                 sku: str | None = None, active: bool = True) -> ProductVariant:
    """One more variant of ``product`` (its maintained "from" price and stock sum kept)."""
    variant = ProductVariant(store_id=product.store_id, product_id=product.id,
                             sku=sku or f"{product.slug}-{next(_seq)}", name=name, price=price,
                             stock_on_hand=stock, position=len(product.variants),
                             active=active)
    db.session.add(variant)
    product.stock_on_hand += stock
    if active:
        product.price = min([price] + [v.price for v in product.variants if v.active])
    db.session.commit()
    return variant


def set_stock(product: Product, stock: int) -> None:
    """Put the on-hand stock of a product without options at ``stock`` (its one variant's)."""
    (variant,) = product.variants
    variant.stock_on_hand = stock
    product.stock_on_hand = stock
    db.session.commit()


def set_price(product: Product, price: int) -> None:
    """The price of a product without options (its one variant's, and so its "from" price)."""
    (variant,) = product.variants
    variant.price = price
    product.price = price
    db.session.commit()


def default_variant(product: Product) -> ProductVariant:
    (variant,) = product.variants
    return variant


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
        lines=[OrderLine(product_id=product.id, variant_id=product.variants[0].id,
                         name=product.name, sku=product.variants[0].sku,
                         unit_price=product.price, quantity=quantity, total=total)], **fields)
    if created_at is not None:
        order.created_at = created_at
    db.session.add(order)
    db.session.commit()
    return order

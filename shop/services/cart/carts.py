"""Cart use cases. The cart lives in the database; the browser only knows its token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.errors import DomainError, OutOfStock, TooManyUnits
from ...extensions import db
from ...models import Cart, CartItem, Product
from ...models.types import utcnow
from ..inventory.holds import available_quantities
from ..platform.settings import effective_settings
from ..platform.tx import write_transaction

MAX_QUANTITY = 99


class UnknownProduct(DomainError):
    code = "unknown_product"


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int
    available: int

    @property
    def total(self) -> int:
        return self.product.price * self.quantity

    @property
    def short(self) -> bool:
        return self.quantity > self.available


@dataclass(frozen=True)
class CartView:
    cart: Cart | None
    lines: list[CartLine]

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)


def find_cart(token: str | None, store_id: int) -> Cart | None:
    if not token:
        return None
    return db.session.scalar(select(Cart).where(Cart.token == token, Cart.store_id == store_id))


def view_cart(cart: Cart | None) -> CartView:
    if cart is None:
        return CartView(None, [])
    items = list(cart.items)
    available = available_quantities(db.session(), (i.product for i in items), utcnow())
    lines = [CartLine(i.product, i.quantity, available[i.product.id]) for i in items]
    return CartView(cart, lines)


def _cart_for_update(session: Session, token: str | None, store_id: int,
                     user_id: int | None = None) -> Cart:
    cart = None
    if token:
        cart = session.scalar(select(Cart).where(Cart.token == token, Cart.store_id == store_id))
    if cart is None:
        cart = Cart(store_id=store_id, token=secrets.token_urlsafe(24), user_id=user_id)
        session.add(cart)
        session.flush()
    return cart


def _product(session: Session, store_id: int, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.store_id != store_id or not product.active:
        raise UnknownProduct("That product is not available.")
    return product


def _check_quantity(session: Session, product: Product, quantity: int) -> None:
    if quantity > MAX_QUANTITY:
        raise OutOfStock(product.name, quantity, MAX_QUANTITY)
    # Checkout refuses the same (the cap may change while a cart waits); said here first.
    limit = effective_settings(product.store_id).max_units_per_product
    if quantity > limit:
        raise TooManyUnits(product.name, limit)
    available = available_quantities(session, [product], utcnow())[product.id]
    if quantity > available:
        raise OutOfStock(product.name, quantity, available)


def add_to_cart(*, cart_token: str | None, store_id: int, product_id: int, quantity: int,
                user_id: int | None = None) -> Cart:
    """Add units of a product; the total in the cart may not exceed what is available.

    A cart created for a signed-in shopper (``user_id``) is theirs, found again next login.
    """
    with write_transaction() as session:
        product = _product(session, store_id, product_id)
        cart = _cart_for_update(session, cart_token, store_id, user_id)
        item = next((i for i in cart.items if i.product_id == product_id), None)
        new_quantity = quantity + (item.quantity if item else 0)
        _check_quantity(session, product, new_quantity)
        if item:
            item.quantity = new_quantity
        else:
            cart.items.append(CartItem(product_id=product_id, quantity=quantity))
        cart.updated_at = utcnow()
    return cart


def set_quantity(*, cart_token: str, store_id: int, product_id: int, quantity: int) -> None:
    """Change a line's quantity; 0 removes it."""
    with write_transaction() as session:
        cart = _cart_for_update(session, cart_token, store_id)
        item = next((i for i in cart.items if i.product_id == product_id), None)
        if item is None:
            raise UnknownProduct("That product is not in your cart.")
        if quantity == 0:
            cart.items.remove(item)
        else:
            _check_quantity(session, item.product, quantity)
            item.quantity = quantity
        cart.updated_at = utcnow()

"""Cart use cases. The cart lives in the database; the browser only knows its token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.errors import DomainError, OutOfStock, TooManyUnits
from ...extensions import db
from ...models import Cart, CartItem, Product, ProductVariant
from ...models.types import utcnow
from ..inventory.holds import available_quantities
from ..platform.settings import effective_settings
from ..platform.tx import write_transaction

MAX_QUANTITY = 99


class UnknownProduct(DomainError):
    code = "unknown_product"


class UnknownVariant(DomainError):
    code = "unknown_variant"


@dataclass(frozen=True)
class CartLine:
    """A line of the cart: one variant of a product, at the variant's price."""

    product: Product
    variant: ProductVariant
    quantity: int
    available: int

    @property
    def name(self) -> str:
        return self.variant.label(self.product.name)

    @property
    def total(self) -> int:
        return self.variant.price * self.quantity

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
    available = available_quantities(db.session(), (i.variant for i in items), utcnow())
    lines = [CartLine(i.product, i.variant, i.quantity, available[i.variant_id]) for i in items]
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


def _variant(session: Session, product: Product, variant_id: int | None) -> ProductVariant:
    """The variant chosen on the product page. Without a choice, the product's one variant
    when it has no options (older forms and links post no ``variant``)."""
    if variant_id is None:
        variants = [v for v in product.variants if v.active]
        if len(product.variants) == 1 and variants:
            return variants[0]
        raise UnknownVariant(f"Choose which {product.name} you want.")
    variant = session.get(ProductVariant, variant_id)
    if variant is None or variant.product_id != product.id or not variant.active:
        raise UnknownVariant(f"That option of {product.name} is not available; "
                             "please choose another.")
    return variant


def _check_quantity(session: Session, product: Product, variant: ProductVariant,
                    quantity: int) -> None:
    name = variant.label(product.name)
    if quantity > MAX_QUANTITY:
        raise OutOfStock(name, quantity, MAX_QUANTITY)
    # Checkout refuses the same (the cap may change while a cart waits); said here first.
    limit = effective_settings(product.store_id).max_units_per_product
    if quantity > limit:
        raise TooManyUnits(name, limit)
    available = available_quantities(session, [variant], utcnow())[variant.id]
    if quantity > available:
        raise OutOfStock(name, quantity, available)


def add_to_cart(*, cart_token: str | None, store_id: int, product_id: int, quantity: int,
                variant_id: int | None = None, user_id: int | None = None) -> Cart:
    """Add units of a product's variant; the total in the cart may not exceed what is
    available of it. An unknown, inactive or other product's variant raises
    ``UnknownVariant`` and adds nothing.

    A cart created for a signed-in shopper (``user_id``) is theirs, found again next login.
    """
    with write_transaction() as session:
        product = _product(session, store_id, product_id)
        variant = _variant(session, product, variant_id)
        cart = _cart_for_update(session, cart_token, store_id, user_id)
        item = next((i for i in cart.items if i.variant_id == variant.id), None)
        new_quantity = quantity + (item.quantity if item else 0)
        _check_quantity(session, product, variant, new_quantity)
        if item:
            item.quantity = new_quantity
        else:
            cart.items.append(CartItem(product_id=product.id, variant_id=variant.id,
                                       quantity=quantity))
        cart.updated_at = utcnow()
    return cart


def set_quantity(*, cart_token: str, store_id: int, product_id: int, quantity: int,
                 variant_id: int | None = None) -> None:
    """Change a line's quantity; 0 removes it. The line is the variant's, or without
    ``variant_id`` the product's only line."""
    with write_transaction() as session:
        cart = _cart_for_update(session, cart_token, store_id)
        items = [i for i in cart.items if i.product_id == product_id
                 and (variant_id is None or i.variant_id == variant_id)]
        if len(items) != 1:
            raise UnknownProduct("That product is not in your cart.")
        item = items[0]
        if quantity == 0:
            cart.items.remove(item)
        else:
            _check_quantity(session, item.product, item.variant, quantity)
            item.quantity = quantity
        cart.updated_at = utcnow()

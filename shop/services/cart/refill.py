"""Filling a cart from elsewhere: the account's saved cart on login, or a closed order.

Both cap every line at what is available now and say in plain words what they changed, so
the shopper never meets the shortage for the first time at checkout.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.errors import DomainError
from ...domain.money import format_money
from ...domain.states import ORDER_CALLED_OFF, PaymentStatus
from ...models import Cart, CartItem, Order, Product, ProductVariant
from ...models.types import utcnow
from ..inventory.holds import available_quantities
from ..platform.settings import effective_settings
from ..platform.tx import write_transaction
from .carts import MAX_QUANTITY


class NotRebuildable(DomainError):
    code = "not_rebuildable"


@dataclass
class Refill:
    cart_token: str | None
    notes: list[str] = field(default_factory=list)  # what was changed, for a flash message
    added: int = 0  # units put in the cart


def _add(cart: Cart, variant: ProductVariant, quantity: int) -> None:
    item = next((i for i in cart.items if i.variant_id == variant.id), None)
    if item is None:
        cart.items.append(CartItem(product_id=variant.product_id, variant_id=variant.id,
                                   quantity=quantity, product=variant.product, variant=variant))
    else:
        item.quantity += quantity


def _cap(session: Session, cart: Cart, notes: list[str]) -> None:
    available = available_quantities(session, (i.variant for i in cart.items), utcnow())
    per_order = effective_settings(cart.store_id).max_units_per_product
    for item in list(cart.items):
        limit = min(available[item.variant_id], MAX_QUANTITY)
        if item.quantity <= limit and item.quantity <= per_order:
            continue
        name = item.variant.label(item.product.name)
        if limit <= 0:
            notes.append(f"{name} is sold out, so it is no longer in your cart.")
            cart.items.remove(item)
        elif per_order < limit:
            notes.append(f"You can buy at most {per_order} of {name} in one "
                         f"order: your cart now has {per_order}.")
            item.quantity = per_order
        else:
            notes.append(f"Only {limit} of {name} available: your cart now "
                         f"has {limit}.")
            item.quantity = limit


def merge_guest_cart(*, store_id: int, guest_token: str | None, user_id: int) -> Refill:
    """On login: one cart for the user, holding the guest cart's lines plus the saved ones.

    The guest's cart row is the one that survives (it becomes the user's): an order checked
    out from it may still be paid, and paying empties the cart it came from.
    """
    with write_transaction() as session:
        saved = session.scalar(
            select(Cart).where(Cart.user_id == user_id, Cart.store_id == store_id,
                               Cart.token != (guest_token or ""))
            .order_by(Cart.updated_at.desc(), Cart.id.desc()).limit(1))
        guest = session.scalar(select(Cart).where(
            Cart.token == (guest_token or ""), Cart.store_id == store_id))
        if guest is not None and guest.user_id not in (None, user_id):
            guest = None  # someone else's cart: never adopt it
        if guest is None:
            return Refill(saved.token if saved is not None else None)
        guest.user_id = user_id
        result = Refill(guest.token)
        if saved is not None:
            for item in saved.items:
                _add(guest, item.variant, item.quantity)
            saved.items.clear()
            saved.user_id = None
        _cap(session, guest, result.notes)
        guest.updated_at = utcnow()
    return result


def rebuild_cart_from_order(*, store_id: int, order_id: int, cart_token: str | None,
                            user_id: int | None, locale: str = "en_US") -> Refill:
    """Put a canceled or expired order's lines back in the cart at today's prices."""
    with write_transaction() as session:
        order = session.get(Order, order_id)
        if order is None or order.store_id != store_id or order.status not in ORDER_CALLED_OFF \
                or order.payment_status == PaymentStatus.PAID:
            raise NotRebuildable("Only a canceled or expired order can be put back in the cart.")
        cart = session.scalar(select(Cart).where(
            Cart.token == (cart_token or ""), Cart.store_id == store_id))
        if cart is None:
            cart = Cart(store_id=store_id, token=secrets.token_urlsafe(24), user_id=user_id)
            session.add(cart)
            session.flush()
        result = Refill(cart.token)
        for line in order.lines:
            product = session.get(Product, line.product_id)
            variant = session.get(ProductVariant, line.variant_id)
            if product is None or not product.active or product.store_id != store_id \
                    or variant is None or not variant.active:
                result.notes.append(f"{line.name} is no longer sold.")
                continue
            if variant.price != line.unit_price:
                now_price = format_money(variant.price, product.currency, locale)
                was_price = format_money(line.unit_price, order.currency, locale)
                result.notes.append(f"{line.name} now costs {now_price} (it was {was_price}).")
            _add(cart, variant, line.quantity)
        _cap(session, cart, result.notes)
        result.added = sum(i.quantity for i in cart.items)
        cart.updated_at = utcnow()
    return result

"""Checkout: one checkout token → one order, its holds and its payment attempt."""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...domain.errors import DomainError, TooManyUnits
from ...domain.payment_methods.payment_choice import OrderFacts
from ...domain.pricing import PricedLine, RateTable, quote
from ...domain.states import AttemptStatus, OrderStatus, PaymentStatus, transition
from ...extensions import db
from ...models import Cart, InventoryHold, Order, PaymentAttempt
from ...models.types import utcnow
from ..accounts.addresses import AddressData, remember_address
from ..inventory.holds import counting, place_holds, release_live_holds
from ..payments import offline
from ..payments.history import note_attempt
from ..payments.ledger import configured_capture_method
from ..payments.methods import (
    PROVIDER_OF,
    MethodSettings,
    check_fits,
    chosen_or_initial,
    method_settings,
    offered_rule,
)
from ..payments.settle import IntentRequest
from ..platform.audit import record_change
from ..platform.settings import ShopSettings, effective_settings
from ..platform.tx import get_existing, write_transaction
from . import cart_read
from .client_keys import ip_hash, session_hash
from .order_rows import NewOrder, insert_order

log = logging.getLogger(__name__)


class StaleCheckout(DomainError):
    """The form's one-time token is not the cart's current one (old tab, forged post)."""

    code = "stale_checkout"


class TooManyOpenCheckouts(DomainError):
    """The browser session or the address already has as many unpaid orders holding stock
    as it may (MAX_OPEN_CHECKOUTS_PER_SESSION / _PER_IP)."""

    code = "too_many_open_checkouts"

    def __init__(self, *, count: int, by: str, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"{count} unpaid orders from {by} are already holding items, the most we "
            f"allow at once. Pay for one of them, or try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}, when its hold ends. Nothing was charged.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class CheckoutDetails:
    email: str
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str
    shipping_method: str
    region: str = ""  # ISO 3166-2 where the country has regions (domain/regions.py)


def _address_data(details: CheckoutDetails) -> AddressData:
    return AddressData(name=details.name, line1=details.line1, line2=details.line2,
                       city=details.city, postal_code=details.postal_code,
                       country=details.country, region=details.region)


def checkout_token_for(cart: Cart) -> str:
    """The cart's current one-time checkout token, issued on first use."""
    if cart.checkout_token:
        return cart.checkout_token
    with write_transaction() as session:
        fresh = get_existing(session, Cart, cart.id)
        if not fresh.checkout_token:
            fresh.checkout_token = secrets.token_urlsafe(24)
        token = fresh.checkout_token
    return token


def order_for_checkout_token(token: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.checkout_token == token))


@dataclass(frozen=True)
class PlacedOrder:
    """What a checkout post leads to: the order (new, or the one an earlier post of the same
    form made), the attempts it superseded, and, for a new order, its PaymentIntent request."""

    order_id: int
    token: str
    superseded: list[int] = field(default_factory=list)
    intent: IntentRequest | None = None  # None: an earlier post's order, ask its attempt
    payment_method: str = "stripe"

    @classmethod
    def earlier(cls, order: Order) -> PlacedOrder:
        return cls(order.id, order.token, payment_method=order.payment_method)


@dataclass(frozen=True)
class CheckoutCart:
    """The cart as the checkout reads it: its lines priced from the catalog as it is now."""

    id: int
    checkout_token: str | None
    has_unpaid: bool  # orders of this cart that a new checkout supersedes
    open_by_session: int  # other unpaid orders holding stock: of this browser session,
    open_by_ip: int  # and of this address
    lines: tuple[PricedLine, ...]  # active products only


@dataclass(frozen=True)
class Client:
    """Where a checkout came from, as the orders keep it: keyed hashes only."""

    ip: str | None
    session: str | None

    @classmethod
    def of(cls, *, client_ip: str | None, client_session: str | None) -> Client:
        return cls(ip_hash(client_ip), session_hash(client_session))


def place_order(
    *, store_id: int, cart_token: str | None, checkout_token: str, details: CheckoutDetails,
    client_ip: str | None = None, client_session: str | None = None,
    user_id: int | None = None, save_address: bool = False,
    payment_method: str | None = None, store_country: str = "US",
) -> PlacedOrder:
    """Create the order for ``checkout_token`` or return the one it already made.

    Prices, shipping and the holds' lifetime follow the store's settings as they are in
    this transaction. The superseded attempts are earlier unpaid attempts of the same cart:
    their orders are canceled here, the caller cancels their intents, and the new order's
    holds end no later than theirs did (a new checkout never renews a hold).
    Raises ``StaleCheckout``, ``OutOfStock``, ``EmptyCart``, ``UnsupportedDestination``,
    ``InvalidRegion``, ``TooManyUnits`` or ``TooManyOpenCheckouts``.
    ``client_ip`` and ``client_session`` (the browser session's id) are kept only as keyed
    hashes. A signed-in shopper's order carries ``user_id``; ``save_address`` adds the
    shipping address to their address book in the same transaction. ``payment_method``
    (None: the store's pre-selected one) must be one the store offers and that fits the
    order (``PaymentMethodUnavailable``); only a Payment Element order gets a PaymentIntent
    request.
    """
    client, now = Client.of(client_ip=client_ip, client_session=client_session), utcnow()
    try:
        with write_transaction() as session:
            cart = _cart_for_checkout(session, store_id, cart_token, client, now)
            if cart is None or cart.checkout_token != checkout_token:
                # The order placed clears the cart's token in its transaction, so a token
                # that still matches has no order yet, and one that does not may be a
                # repeated post whose order is ours.
                existing = order_for_checkout_token(checkout_token)
                if existing is not None:
                    return PlacedOrder.earlier(existing)
                raise StaleCheckout("Your checkout was out of date. Please review and try again.")
            settings = effective_settings(store_id)
            methods = method_settings(store_id)
            payment_method = chosen_or_initial(payment_method, methods, settings.rates.currency)
            method = offered_rule(payment_method, methods)
            _check_units(cart, settings.max_units_per_product)
            _check_open_checkouts(session, cart, client, now)
            superseded, ends = (_supersede_unpaid_orders(session, cart.id, now)
                                if cart.has_unpaid else ([], None))
            order = _create_order(session, store_id, cart, checkout_token, details,
                                  settings.rates, client=client, user_id=user_id,
                                  payment_method=payment_method,
                                  fee=offline.method_fee(payment_method, methods))
            check_fits(method, OrderFacts(order.total, order.currency, details.country,
                                          store_country))
            if user_id is not None and save_address:
                remember_address(session, user_id=user_id, data=_address_data(details),
                                 strict=False)
            place_holds(session, order_id=order.id, quantities=order.quantities, now=now,
                        ttl=_hold_time(settings, ends, now, payment_method, methods))
            offline.prepare_order(session, order, payment_method, now, cart_id=cart.id)
            attempt = _create_attempt(session, order, payment_method, user_id=user_id)
            # Spent: the cart's next checkout gets a new one.
            carts = Cart.__table__  # the table's UPDATE: no cart object here to keep in step
            session.execute(update(carts).where(carts.c.id == cart.id).values(checkout_token=None))
            placed = PlacedOrder(order.id, order.token, superseded,
                                 IntentRequest.of(order, attempt)
                                 if payment_method == "stripe" else None, payment_method)
    except IntegrityError:
        # A concurrent post with the same token committed first: its order is ours.
        existing = order_for_checkout_token(checkout_token)
        if existing is None:
            raise
        return PlacedOrder.earlier(existing)
    return placed


def _cart_for_checkout(session: Session, store_id: int, cart_token: str | None,
                       client: Client, now: datetime) -> CheckoutCart | None:
    """The cart, its lines, whether it has unpaid orders to supersede and how many open
    checkouts its client has elsewhere, in one statement (most carts have no unpaid
    orders: their checkout skips that query)."""
    rows = session.execute(cart_read.cart_lines(), {
        "token": cart_token or "", "store_id": store_id, "session": client.session,
        "ip": client.ip, "now": now}).all()
    if not rows:
        return None
    lines = tuple(PricedLine(row.product_id, _line_name(row.name, row.variant_name),
                             row.price, row.quantity, row.variant_id, row.sku)
                  for row in rows
                  if row.product_id is not None and row.active and row.variant_active)
    first = rows[0]
    return CheckoutCart(first.cart_id, first.checkout_token, bool(first.has_unpaid),
                        first.open_by_session or 0, first.open_by_ip or 0, lines)


def _line_name(product: str, variant: str) -> str:
    return f"{product} — {variant}" if variant else product


def _check_units(cart: CheckoutCart, limit: int) -> None:
    """The cart refuses more already; a cart filled before the owner lowered the cap, or
    a forged post, meets it here."""
    units: dict[int, int] = {}
    for line in cart.lines:
        units[line.product_id] = units.get(line.product_id, 0) + line.quantity
        if units[line.product_id] > limit:
            raise TooManyUnits(line.name, limit)


def _check_open_checkouts(session: Session, cart: CheckoutCart, client: Client,
                          now: datetime) -> None:
    """One more unpaid order holding stock, unless the session or the address has as many
    as it may. Counted in this transaction (SQLite's write lock: exact; on PostgreSQL two
    checkouts of one address at the same instant may both pass, which the per-address
    rate limit on checkout bounds)."""
    config = current_app.config
    for count, limit, column, key, by in (
            (cart.open_by_session, config["MAX_OPEN_CHECKOUTS_PER_SESSION"],
             "client_session", client.session, "you"),
            (cart.open_by_ip, config["MAX_OPEN_CHECKOUTS_PER_IP"], "client_ip_hash",
             client.ip, "your connection")):
        if count >= limit:
            log.warning("checkout refused: too_many_open_checkouts",
                        extra={"counted_by": column, "open": count, "limit": limit})
            ends = _first_hold_end(session, column, key, cart.id, now)
            raise TooManyOpenCheckouts(count=count, by=by, retry_after=max(
                1, math.ceil(((ends or now) - now).total_seconds())))


def _first_hold_end(session: Session, column: str, key: str | None, cart_id: int,
                    now: datetime) -> datetime | None:
    """When the first of those open orders stops holding stock (the refusal's Retry-After)."""
    held = InventoryHold.__table__.alias("held")
    ends = session.execute(
        select(func.max(held.c.expires_at))
        .select_from(Order).join(held, held.c.order_id == Order.id)
        .where(*cart_read.open_checkouts_of(Order, column, key, cart_id, now),
               counting(now, held))
        .group_by(Order.id)).scalars().all()
    return min(ends, default=None)


def _hold_time(settings: ShopSettings, ends: datetime | None, now: datetime, method: str,
               methods: MethodSettings) -> timedelta:
    """The store's hold time, or, when this checkout replaces orders of its cart whose holds
    still ran until ``ends``, what is left of those (a retry window at most): checking out
    again never renews a hold, or one unpaid cart could keep stock from everyone."""
    if ends is None:
        return offline.hold_time(method, methods, settings.hold_ttl)
    return min(settings.hold_retry, ends - now)


def _create_order(
    session: Session, store_id: int, cart: CheckoutCart, checkout_token: str,
    details: CheckoutDetails, rates: RateTable, *, client: Client, user_id: int | None,
    payment_method: str, fee: int,
) -> NewOrder:
    q = quote(cart.lines, country=details.country, region=details.region,
              shipping_method=details.shipping_method, rates=rates)
    return insert_order(session, dict(
        store_id=store_id, token=secrets.token_urlsafe(24), checkout_token=checkout_token,
        cart_id=cart.id, status=OrderStatus.PENDING, payment_status=PaymentStatus.UNPAID,
        email=details.email, ship_name=details.name, ship_line1=details.line1,
        ship_line2=details.line2, ship_city=details.city, ship_postal_code=details.postal_code,
        ship_region=details.region, ship_country=details.country,
        shipping_method=q.shipping_method, currency=q.currency,
        subtotal=q.subtotal, shipping=q.shipping, tax=q.tax, tax_rate_bp=q.tax_rate_bp,
        payment_fee=fee, total=q.total + fee, client_ip_hash=client.ip,
        client_session=client.session,
        user_id=user_id, payment_method=payment_method,
    ), [dict(product_id=line.product_id, variant_id=line.variant_id, name=line.name,
             sku=line.sku, unit_price=line.unit_price, quantity=line.quantity,
             total=line.total) for line in q.lines])


def _create_attempt(session: Session, order: NewOrder, method: str, *,
                    user_id: int | None) -> PaymentAttempt:
    attempt = PaymentAttempt(
        store_id=order.store_id, order_id=order.id, provider=PROVIDER_OF[method],
        status=AttemptStatus.INITIATED, amount=order.total, currency=order.currency,
        idempotency_key=f"pi-create-{secrets.token_hex(16)}",
        # Stripe's hosted page takes the money at once (CAPTURE_METHOD is the Element's).
        capture_method=("automatic" if method == "stripe_checkout"
                        else configured_capture_method()),
    )
    session.add(attempt)
    session.flush()  # its id, for its audit row and the PaymentIntent's metadata
    note_attempt(session, attempt, user_id=user_id)
    actor = f"shopper:{order.email}"
    record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                  action="order_created", from_state=None, to_state=order.status, actor=actor)
    record_change(session, store_id=order.store_id, entity_type="payment_attempt",
                  entity_id=attempt.id, action="payment_state_change", from_state=None,
                  to_state=attempt.status, actor=actor)
    return attempt


def _supersede_unpaid_orders(session: Session, cart_id: int,
                             now: datetime) -> tuple[list[int], datetime | None]:
    """A new checkout from the same cart replaces its unpaid orders and frees their holds.

    Returns their attempts and when the last of their holds that still counted would have
    ended (None: none did), which the new order's holds may not outlast.
    """
    stale = session.scalars(select(Order).where(*cart_read.unpaid_orders_of(cart_id))).all()
    attempt_ids: list[int] = []
    ends: datetime | None = None
    for order in stale:
        order.status = transition("order", OrderStatus(order.status), OrderStatus.CANCELED)
        until = release_live_holds(session, order.id, now)
        if until is not None and (ends is None or until > ends):
            ends = until
        record_change(session, store_id=order.store_id, entity_type="order",
                      entity_id=order.id, action="order_state_change",
                      from_state=OrderStatus.PENDING, to_state=order.status,
                      actor="shopper", reason="replaced by a new checkout of the same cart")
        attempt_ids += session.scalars(
            select(PaymentAttempt.id).where(PaymentAttempt.order_id == order.id)
        ).all()
    return attempt_ids, ends

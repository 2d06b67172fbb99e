"""Saved cards: one Stripe Customer per account and store, and the cards saved on it.

The shop keeps only the Customer's id (``stripe_customers``); brand, last 4 and expiry are
read from Stripe each time a page lists them. Every lookup goes through the shopper's own
Customer, and Stripe answers 404 for a PaymentMethod of anyone else's: another shopper's
card id behaves exactly like one that does not exist.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ...domain.errors import NotFound
from ...extensions import db
from ...models import AuditEvent, StripeCustomer, User
from ...providers.stripe_gateway import SavedCard, gateway
from ..payments.errors import GatewayError
from ..platform.audit import record_change
from ..platform.tx import write_transaction

_PM_ID = re.compile(r"pm_[A-Za-z0-9_]{1,100}")
_SETI_ID = re.compile(r"seti_[A-Za-z0-9]{1,100}")


class UnknownCard(NotFound):
    """Not one of this shopper's saved cards (whether or not it exists elsewhere)."""

    code = "unknown_payment_method"


@dataclass(frozen=True)
class Wallet:
    cards: list[SavedCard]
    default_id: str | None


@dataclass(frozen=True)
class SetupOutcome:
    """Where a SetupIntent stands, as Stripe has it: ``saved``, ``failed`` or ``pending``."""

    status: str
    card: SavedCard | None = None
    message: str | None = None


def customer_for(*, user_id: int, store_id: int) -> str | None:
    return db.session.scalar(select(StripeCustomer.customer_id).where(
        StripeCustomer.user_id == user_id, StripeCustomer.store_id == store_id))


def ensure_customer(*, user_id: int, store_id: int) -> str:
    """The account's Customer in this store, created at Stripe the first time.

    Two tabs at once: the idempotency key (account, store and the account's creation
    instant, so that a reused row id never inherits an old Customer) makes Stripe answer
    both with one Customer, and the unique (user, store) row keeps the first writer's.
    """
    existing = customer_for(user_id=user_id, store_id=store_id)
    if existing:
        return existing
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("no such account")
    customer_id = gateway().create_customer(
        email=user.email, metadata={"user_id": str(user_id), "store_id": str(store_id)},
        idempotency_key=f"customer-{store_id}-{user_id}-{user.created_at.timestamp():.6f}")
    try:
        with write_transaction() as session:
            session.add(StripeCustomer(user_id=user_id, store_id=store_id,
                                       customer_id=customer_id))
            record_change(session, store_id=store_id, entity_type="user", entity_id=user_id,
                          action="stripe_customer", from_state=None, to_state=customer_id,
                          actor=f"user:{user_id}")
    except IntegrityError:
        pass  # the other request stored it first; its row is the one that counts
    stored = customer_for(user_id=user_id, store_id=store_id)
    assert stored is not None, "a row was stored by this request or by the one it raced"
    return stored


def wallet(*, user_id: int, store_id: int) -> Wallet:
    """The shopper's saved cards and their default; none without a Customer (no call)."""
    customer_id = customer_for(user_id=user_id, store_id=store_id)
    if customer_id is None:
        return Wallet([], None)
    g = gateway()
    return Wallet(g.list_cards(customer_id), g.default_payment_method(customer_id))


def _own_card(user_id: int, store_id: int, payment_method_id: str) -> tuple[str, SavedCard]:
    customer_id = customer_for(user_id=user_id, store_id=store_id)
    if customer_id is None or not _PM_ID.fullmatch(payment_method_id):
        raise UnknownCard("We could not find that card in your account.")
    try:
        return customer_id, gateway().customer_card(customer_id, payment_method_id)
    except GatewayError as exc:
        if exc.http_status == 404:
            raise UnknownCard("We could not find that card in your account.") from exc
        raise


def _audit(user_id: int, store_id: int, action: str, card: SavedCard,
           reason: str | None = None) -> None:
    with write_transaction() as session:
        record_change(session, store_id=store_id, entity_type="user", entity_id=user_id,
                      action=action, from_state=None,
                      to_state=f"{card.id} {card.brand} {card.last4}", actor=f"user:{user_id}",
                      reason=reason)


def set_default_card(*, user_id: int, store_id: int, payment_method_id: str) -> SavedCard:
    """Make one of the shopper's cards the Customer's default (``invoice_settings``)."""
    customer_id, card = _own_card(user_id, store_id, payment_method_id)
    gateway().set_default_payment_method(customer_id, card.id)
    _audit(user_id, store_id, "card_default", card)
    return card


def remove_card(*, user_id: int, store_id: int, payment_method_id: str) -> SavedCard:
    """Detach one of the shopper's cards from their Customer (Stripe forgets it as default)."""
    _customer_id, card = _own_card(user_id, store_id, payment_method_id)
    gateway().detach_payment_method(card.id)
    _audit(user_id, store_id, "card_removed", card)
    return card


def start_setup(*, user_id: int, store_id: int) -> str:
    """A SetupIntent on the shopper's Customer for the add-a-card page: its client secret."""
    customer_id = ensure_customer(user_id=user_id, store_id=store_id)
    _id, client_secret = gateway().create_setup_intent(
        customer_id=customer_id, idempotency_key=f"seti-{secrets.token_hex(16)}")
    return client_secret


def finish_setup(*, user_id: int, store_id: int, setup_intent_id: str) -> SetupOutcome:
    """The add-a-card return page: the SetupIntent's real status, never the query string's.

    Another shopper's SetupIntent is not found; a reload records the saved card once.
    """
    customer_id = customer_for(user_id=user_id, store_id=store_id)
    if customer_id is None or not _SETI_ID.fullmatch(setup_intent_id):
        raise UnknownCard("We could not find that card in your account.")
    try:
        setup = gateway().retrieve_setup_intent(setup_intent_id)
    except GatewayError as exc:
        if exc.http_status == 404:
            raise UnknownCard("We could not find that card in your account.") from exc
        raise
    if setup.customer != customer_id:
        raise UnknownCard("We could not find that card in your account.")
    if setup.status == "succeeded" and setup.payment_method:
        card = gateway().customer_card(customer_id, setup.payment_method)
        if not _recorded(user_id, setup.id):
            _audit(user_id, store_id, "card_saved", card, reason=setup.id)
        return SetupOutcome("saved", card=card)
    if setup.status == "requires_payment_method":
        return SetupOutcome("failed", message=setup.error.message if setup.error
                            else "The card was not saved. Please try again.")
    return SetupOutcome("pending")


def _recorded(user_id: int, setup_intent_id: str) -> bool:
    return bool(db.session.scalar(select(exists().where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == user_id,
        AuditEvent.action == "card_saved", AuditEvent.reason == setup_intent_id))))


def customer_session(*, user_id: int, store_id: int, intent_id: str,
                     intent_customer: str | None) -> str:
    """For the payment page of a signed-in shopper's own order: the PaymentIntent gets
    their Customer (saved cards can pay it, a ticked "save" attaches the new one), and the
    Payment Element a Customer Session showing their saved cards."""
    customer_id = ensure_customer(user_id=user_id, store_id=store_id)
    if intent_customer != customer_id:
        gateway().set_intent_customer(intent_id, customer_id)
    return gateway().create_customer_session(customer_id)

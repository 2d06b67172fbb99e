"""Webhooks of the redirect providers (Paystack, Flutterwave): verify, dedup, apply once.

The adapter checks the signature (Paystack: HMAC-SHA512 of the raw body; Flutterwave: the
``verif-hash`` secret) and names the event; a forged one raises ``InvalidSignature`` and
nothing is recorded. An event is only a hint: the payment is verified by reference at the
provider (as Flutterwave advises; Paystack the same) and each pending refund is fetched, and
that answer goes through the one settle path and the shared refund path. Each event is kept
once per (provider, event id): a redelivery is answered ``duplicate`` and changes nothing,
and a concurrent first delivery that commits first turns this one's INSERT into a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import EventStatus, ProviderEvent
from ...providers.base import EventKind, InvalidSignature, ProviderError
from ...providers.base import ProviderEvent as Event
from ..payments.errors import InvalidWebhook
from ..payments.methods import REDIRECT_PROVIDERS, provider_named
from ..payments.redirect import apply_provider_payment, fetch_truth
from ..platform.tx import lock_rows, write_transaction
from ..refunds.provider_refunds import settle_refunds_of

log = logging.getLogger(__name__)

DUPLICATE = "duplicate"
# Every payment event only says "ask": the provider's verify call is the truth.
PAYMENT_EVENTS = (EventKind.PAYMENT_SUCCEEDED, EventKind.PAYMENT_FAILED,
                  EventKind.PAYMENT_CANCELED)
REFUND_EVENTS = (EventKind.REFUND_SUCCEEDED, EventKind.REFUND_FAILED)


def verify(provider: str, headers: Mapping[str, str], body: bytes) -> Event:
    """The event a delivery carries if its signature is genuine; else ``InvalidWebhook``."""
    if provider not in REDIRECT_PROVIDERS:
        raise InvalidWebhook(f"unknown provider {provider}")
    with provider_named(provider) as client:
        try:
            return client.parse_webhook(headers, body)
        except InvalidSignature as exc:
            raise InvalidWebhook(str(exc)) from exc
        except ProviderError as exc:  # a signed body we cannot read: not ours to trust
            raise InvalidWebhook(str(exc)) from exc


def _seen(event: Event) -> bool:
    db.session.rollback()
    return db.session.scalar(select(ProviderEvent.outcome).where(
        ProviderEvent.provider == event.provider,
        ProviderEvent.event_id == event.event_id)) is not None


def handle(event: Event, *, payload: str) -> str:
    """Apply a verified event once; its outcome, or ``duplicate``. A provider that cannot be
    asked raises ``GatewayError`` (answered 503: the provider delivers again)."""
    if _seen(event):
        return DUPLICATE
    actor = f"webhook:{event.provider}:{event.event_id}"[:120]
    outcome = EventStatus.IGNORED
    truth = None
    if event.kind in PAYMENT_EVENTS and event.reference:
        truth = fetch_truth(event.provider, event.reference)
    elif event.kind in REFUND_EVENTS and event.reference:
        # Applied before the event is recorded: each refund row moves once whatever repeats.
        settle_refunds_of(event.reference, actor=actor)
        outcome = EventStatus.PROCESSED
    try:
        with write_transaction() as session:
            row = session.scalar(lock_rows(select(ProviderEvent).where(
                ProviderEvent.provider == event.provider,
                ProviderEvent.event_id == event.event_id)))
            if row is not None:
                return DUPLICATE
            if truth is not None:
                settled = apply_provider_payment(session, event.provider, truth, actor=actor)
                outcome = EventStatus.PROCESSED if settled else EventStatus.UNMATCHED
            session.add(ProviderEvent(provider=event.provider, event_id=event.event_id,
                                      type=event.raw_type[:100] or "unknown",
                                      reference=event.reference, outcome=outcome,
                                      payload=payload))
            session.flush()
    except IntegrityError:
        return DUPLICATE  # a concurrent delivery of the same event committed first
    log.info("provider event", extra={"provider": event.provider, "event_id": event.event_id,
                                      "type": event.raw_type, "status": str(outcome)})
    return str(outcome)

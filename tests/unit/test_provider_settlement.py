"""A redirect provider's normalised status on our attempt machine, and its amount check."""

from __future__ import annotations

import pytest

from shop.domain.payment_methods.provider_settlement import plan_provider_moves, reported_mismatch
from shop.domain.states import AttemptStatus as A
from shop.providers.base import PaymentStatus


@pytest.mark.parametrize(("current", "status", "moves"), [
    (A.INITIATED, PaymentStatus.SUCCEEDED, [A.AUTHORIZING, A.AUTHORIZED, A.CAPTURED]),
    (A.AUTHORIZING, PaymentStatus.SUCCEEDED, [A.AUTHORIZED, A.CAPTURED]),
    (A.CAPTURED, PaymentStatus.SUCCEEDED, []),
    (A.INITIATED, PaymentStatus.FAILED, [A.FAILED]),
    (A.CAPTURED, PaymentStatus.FAILED, []),
    (A.FAILED, PaymentStatus.SUCCEEDED, []),
    (A.INITIATED, PaymentStatus.PENDING, []),
    (A.INITIATED, PaymentStatus.CANCELED, [A.CANCELED]),
    (A.CAPTURED, PaymentStatus.CANCELED, []),
    (A.INITIATED, PaymentStatus.AUTHORIZED, [A.AUTHORIZING, A.AUTHORIZED]),
    (A.CAPTURED, PaymentStatus.AUTHORIZED, []),
])
def test_forward_moves_only(current, status, moves):
    assert plan_provider_moves(current, status) == moves


def test_every_status_of_the_protocol_has_a_ledger_word():
    from shop.services.payments.redirect import _LEDGER_STATUS

    assert set(_LEDGER_STATUS) == set(PaymentStatus)


def test_a_cancel_while_authorizing_ends_the_attempt():
    assert plan_provider_moves(A.AUTHORIZING, PaymentStatus.CANCELED) == [A.CANCELED]


@pytest.mark.parametrize(("amount", "currency", "why"), [
    (250_000, "NGN", None),
    (250_000, "ngn", None),
    (1, "NGN", "Paystack reported"),
    (250_000, "GHS", "in GHS, not NGN"),
    (None, None, "reported no amount"),
])
def test_the_reported_amount_must_be_the_attempts(amount, currency, why):
    found = reported_mismatch(provider="Paystack", reported_amount=amount,
                              reported_currency=currency, amount=250_000, currency="NGN")
    assert (found is None) if why is None else (why in found)

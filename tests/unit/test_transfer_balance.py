"""What a bank-transfer order owes after partial transfers, and the overpayment flag."""

import pytest

from shop.domain.payment_methods.transfer_balance import Transfer, TransferMismatch, balance


def test_nothing_received_owes_everything():
    b = balance(5000, "eur", [])
    assert (b.owed, b.overpaid, b.status, b.paid_in_full) == (5000, 0, "unpaid", False)


def test_partial_transfers_add_up_and_stay_pending():
    b = balance(5000, "EUR", [Transfer(2000, "EUR"), Transfer(1500, "eur")])
    assert (b.received, b.owed, b.status, b.needs_refund) == (3500, 1500, "partial", False)


def test_exact_payment_is_paid():
    b = balance(5000, "EUR", [Transfer(4000, "EUR"), Transfer(1000, "EUR")])
    assert (b.owed, b.overpaid, b.status, b.paid_in_full) == (0, 0, "paid", True)


def test_overpayment_is_flagged_for_refund():
    b = balance(5000, "EUR", [Transfer(3000, "EUR"), Transfer(2500, "EUR")])
    assert (b.owed, b.overpaid, b.status, b.needs_refund) == (0, 500, "overpaid", True)


@pytest.mark.parametrize("transfers", [[Transfer(100, "USD")], [Transfer(0, "EUR")],
                                       [Transfer(-5, "EUR")], [Transfer(True, "EUR")]])
def test_transfers_that_cannot_count_are_refused(transfers):
    with pytest.raises(TransferMismatch):
        balance(5000, "EUR", transfers)


@pytest.mark.parametrize("total", [0, -1, True])
def test_bad_totals_are_refused(total):
    with pytest.raises(TransferMismatch):
        balance(total, "EUR", [])

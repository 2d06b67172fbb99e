"""What a bank-transfer order still owes after the transfers staff have recorded.

A partial transfer leaves the order pending with the rest owed; more than the total is an
overpayment, flagged so staff refund the difference. Integer minor units in one currency;
a transfer in another currency is refused rather than guessed at. Pure: not wired yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import DomainError


class TransferMismatch(DomainError):
    """A transfer that cannot count towards this order (another currency, a bad amount)."""

    code = "transfer_mismatch"
    status = 422


@dataclass(frozen=True)
class Transfer:
    amount: int  # minor units received, > 0
    currency: str


@dataclass(frozen=True)
class Balance:
    total: int
    received: int
    currency: str

    @property
    def owed(self) -> int:
        return max(self.total - self.received, 0)

    @property
    def overpaid(self) -> int:
        return max(self.received - self.total, 0)

    @property
    def paid_in_full(self) -> bool:
        return self.received >= self.total

    @property
    def needs_refund(self) -> bool:
        """The overpayment flag: staff owe the shopper the difference."""
        return self.overpaid > 0

    @property
    def status(self) -> str:
        """``unpaid``, ``partial``, ``paid`` or ``overpaid``."""
        if self.received == 0:
            return "unpaid"
        if self.received < self.total:
            return "partial"
        return "overpaid" if self.overpaid else "paid"


def balance(total: int, currency: str, transfers: Iterable[Transfer]) -> Balance:
    """The balance of an order of ``total`` minor units after ``transfers``."""
    if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
        raise TransferMismatch("an order total is a positive whole number of minor units")
    currency = currency.upper()
    received = 0
    for transfer in transfers:
        if isinstance(transfer.amount, bool) or not isinstance(transfer.amount, int) \
                or transfer.amount <= 0:
            raise TransferMismatch("a transfer amount is a positive whole number of minor "
                                   "units")
        if transfer.currency.upper() != currency:
            raise TransferMismatch(f"a transfer in {transfer.currency.upper()} cannot pay an "
                                   f"order in {currency}")
        received += transfer.amount
    return Balance(total=total, received=received, currency=currency)

"""Why a money action was refused, in words a shop owner understands, with its HTTP status.

Services raise domain errors with codes for machines; the admin shows them at the top of the
page. The messages that need the payment's currency are built here from the error's fields.
"""

from __future__ import annotations

from flask import abort

from ..domain import ledger
from ..domain.errors import DomainError, IllegalTransition, NotFound
from ..services.payments.errors import GatewayError
from ..web import shop_money

# What the admin's money actions catch; anything else is a bug and a 500.
REFUSALS = (DomainError, GatewayError)


def refusal(exc: Exception, *, currency: str, verb: str) -> tuple[int, str]:
    """(status, message) for a refused ``verb`` ("captured", "voided", "refunded"…)."""
    if isinstance(exc, NotFound):
        abort(404, description=str(exc))
    return getattr(exc, "status", 503), _words(exc, currency, verb)


def _words(exc: Exception, currency: str, verb: str) -> str:
    money = lambda amount: shop_money(amount, currency)  # noqa: E731
    if isinstance(exc, IllegalTransition):
        return f"This payment is {exc.current}, so it cannot be {verb}."
    if isinstance(exc, ledger.OperationInProgress):
        return ("Another capture or void of this payment is under way. Reload the page in a "
                "moment to see how it ended.")
    if isinstance(exc, ledger.RefundExceedsBalance):
        if exc.refundable == 0:
            return "Nothing is left to refund on this payment."
        return (f"That is more than is left to refund: {money(exc.requested)} asked, only "
                f"{money(exc.refundable)} of this payment can still be refunded.")
    if isinstance(exc, ledger.ProviderRefused):
        said = str(exc).strip().rstrip(".")
        return f"Stripe refused: {said}. Nothing was {verb}."
    if isinstance(exc, GatewayError):
        return f"We could not reach Stripe, so nothing was {verb}. Try again in a minute."
    return str(exc)

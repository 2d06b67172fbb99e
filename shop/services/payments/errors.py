"""Errors of the payment provider, as services and views see them: raised by the gateway
(``shop/providers/stripe_gateway.py``), caught by services, mapped to pages and JSON at the
edge. Views import them from here, never from the gateway."""

from __future__ import annotations

from ...providers.base import ProviderError, ProviderUnavailable


class GatewayError(Exception):
    """The provider could not be reached, or refused the request.

    ``retryable``: trying again with the same idempotency key may help. ``permanent``: the
    provider understood and refused (a bad parameter, a wrong or restricted key): sending it
    again will not help, and staff must hear of it. Not an outage.
    """

    def __init__(self, message: str, *, code: str = "gateway_error", retryable: bool = False,
                 http_status: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.http_status = http_status
        self.permanent = permanent


def as_gateway_error(exc: ProviderError) -> GatewayError:
    """A provider's refusal (``shop/providers``) in the words the shop's failure paths
    already handle."""
    return GatewayError(str(exc), code=exc.code, http_status=exc.status,
                        retryable=isinstance(exc, ProviderUnavailable), permanent=exc.permanent)


class InvalidWebhook(Exception):
    """The request is not a genuine, fresh event from the provider."""

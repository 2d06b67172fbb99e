"""Who is calling: a bearer API key (one store) or a signed-in staff member (their stores).

The blueprint is exempt from CSRFProtect's automatic check; this hook applies it itself to
session requests, so that only a request carrying a valid API key (which a browser never
sends on its own) goes without the CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request
from flask_login import current_user

from ..domain.refund_policy import Refunder
from ..extensions import csrf
from ..services.accounts.api_keys import authenticate_api_key
from . import bp
from .errors import ApiError

csrf.exempt(bp)


@dataclass(frozen=True)
class Principal:
    actor: str  # written to audit rows and transactions
    store_ids: frozenset[int]
    user_id: int | None = None  # a signed-in staff member; None for an API key

    @property
    def refunder(self) -> Refunder:
        """Who asks, for the refund limit and window: the person's role in the payment's
        store, or an API key (held to the staff limit and the window)."""
        return Refunder.user(self.user_id) if self.user_id else Refunder.api_key()


def principal() -> Principal:
    return g.principal


@bp.before_request
def authenticate() -> None:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        key = authenticate_api_key(token.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            raise ApiError(401, "invalid_api_key", "The API key is malformed, unknown or "
                                                   "revoked.")
        g.principal = Principal(f"api_key:{key.prefix}", frozenset({key.store_id}))
        return
    if not current_user.is_authenticated:
        raise ApiError(401, "authentication_required",
                       "Sign in as staff or send Authorization: Bearer <API key>.")
    if not current_user.is_staff:
        raise ApiError(403, "forbidden", "This API is for store staff.")
    csrf.protect()
    g.principal = Principal(f"staff:{current_user.email}", frozenset(current_user.store_ids),
                            current_user.id)

"""Who a checkout came from, kept as keyed hashes: enough to count an address's or a browser
session's declined payments and open checkouts, without keeping the address itself.

The key is the app's SECRET_KEY: without it a stored hash cannot be turned back into an
address by trying all of them. Rotating the key starts the counts afresh.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def client_hash(kind: str, value: str | None) -> str | None:
    """32 hex digits standing for ``value`` (an address, a session id); None for none."""
    if not value:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def ip_hash(address: str | None) -> str | None:
    return client_hash("ip", address)


def session_hash(session_id: str | None) -> str | None:
    return client_hash("session", session_id)

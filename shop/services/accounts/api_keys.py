"""Per-store API keys. The key is shown once; we keep a lookup prefix and a SHA-256 hash.

A fast hash is enough here (unlike passwords): the secret part is 256 random bits, so there
is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select

from ...domain.errors import DomainError
from ...extensions import db
from ...models import ApiKey
from ...models.types import utcnow
from ..platform.tx import get_existing, write_transaction

SCHEME = "shk"
# last_used_at is written at most this often, so that API traffic is not a stream of writes.
TOUCH_EVERY = timedelta(minutes=1)


class UnknownApiKey(DomainError):
    code = "unknown_api_key"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_key(*, store_id: int, name: str) -> tuple[ApiKey, str]:
    """A new key for ``store_id``; returns the row and the key, which is never stored."""
    prefix = secrets.token_hex(6)
    token = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    with write_transaction() as session:
        key = ApiKey(store_id=store_id, name=name.strip()[:120] or "API key", prefix=prefix,
                     key_hash=_hash(token))
        session.add(key)
    return key, token


def _parts(token: str) -> tuple[str, str, str]:
    """A key ``<scheme>_<prefix>_<secret>`` in its three parts (empty where missing)."""
    scheme, _, rest = token.partition("_")
    prefix, _, secret = rest.partition("_")
    return scheme, prefix, secret


def prefix_of(token: str) -> str:
    """The public part of a key as sent, checked or not (a rate limit's key)."""
    return _parts(token)[1][:32]


def authenticate_api_key(token: str) -> ApiKey | None:
    """The live key ``token`` names, or None (malformed, unknown, wrong secret, revoked)."""
    scheme, prefix, secret = _parts(token)
    if scheme != SCHEME or not prefix or not secret:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or not hmac.compare_digest(key.key_hash, _hash(token)):
        return None
    if key.revoked_at is not None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        with write_transaction() as session:
            get_existing(session, ApiKey, key.id).last_used_at = now
        key = get_existing(db.session, ApiKey, key.id)
    return key


def revoke_api_key(*, prefix: str) -> ApiKey:
    with write_transaction() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        if key is None:
            raise UnknownApiKey(f"No API key with prefix {prefix!r}.")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
    return key

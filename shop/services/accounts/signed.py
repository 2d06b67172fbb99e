"""Signed, expiring tokens for the links the shop e-mails about an account (no table).

Each purpose is its own itsdangerous salt, so a password-reset token does not load as an
e-mail verification token, nor the other way round, though SECRET_KEY signs both. A token
carries the user id and a fingerprint of what must not have changed since it was mailed
(the password hash, the address); the caller compares that under the user's row lock.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ...domain.errors import DomainError


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # Oldest key first, newest last (itsdangerous signs with the last): a key rotation does
    # not kill the links already in people's mailboxes, as it does not sign them out.
    keys = [*current_app.config.get("SECRET_KEY_FALLBACKS", ()),
            current_app.config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=purpose)


def fingerprint(text: str) -> str:
    """A short digest of ``text``: enough to tell that it changed, without putting the
    password hash or the address itself in a URL that ends up in logs."""
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def same_fingerprint(data: dict, key: str, text: str) -> bool:
    return hmac.compare_digest(str(data.get(key, "")), fingerprint(text))


def dump(purpose: str, *, uid: int, **fingerprints: str) -> str:
    """A token for user ``uid`` with each value of ``fingerprints`` as its fingerprint."""
    return _serializer(purpose).dumps(
        {"uid": uid, **{key: fingerprint(text) for key, text in fingerprints.items()}})


def load(purpose: str, token: str, *, max_age: int, error: type[DomainError],
         what: str) -> dict:
    """The data of a token signed for ``purpose`` within ``max_age`` seconds, with an int
    ``uid``; raises ``error`` saying that the ``what`` expired or is not valid."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise error(f"This {what} has expired. Ask for a new one below.") from exc
    except BadSignature as exc:
        raise error(f"This {what} is not valid. Ask for a new one below.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise error(f"This {what} is not valid. Ask for a new one below.")
    return data

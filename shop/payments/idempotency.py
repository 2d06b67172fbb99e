"""``Idempotency-Key`` handling for the API's POST endpoints.

The key is scoped to the store the request acts on. A repeat of a finished request
replays its status and body (a success shows the attempt as it is now, with
``"is_existing": true``); a repeat while the first runs is a 409; the same key with another
body a 422. Conflicts (409) and server-side failures (5xx) are not kept, so the client can
retry them with the same key.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import jsonify, request

from ..services.payments.queries import get_payment
from ..services.platform.idempotency import (
    MAX_KEY_LENGTH,
    Replay,
    claim_key,
    complete_key,
    fingerprint,
    release_key,
)
from .auth import principal
from .errors import ApiError, render
from .schemas import attempt_json

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # MAX_KEY_LENGTH visible ASCII characters


def idempotency_key(*, required: bool) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None or key == "":
        if required:
            raise ApiError(400, "idempotency_key_missing",
                           "This endpoint needs an Idempotency-Key header.")
        return None
    if not _KEY.match(key):
        raise ApiError(400, "idempotency_key_invalid", f"Idempotency-Key must be 1 to "
                                                       f"{MAX_KEY_LENGTH} visible characters.")
    return key


def run_once(key: str | None, store_id: int, work: Callable[[], tuple[dict, int]]):
    """Run ``work`` (→ body, status) at most once per key; a response either way."""
    if key is None:
        body, status = work()
        return jsonify(body), status
    claim = claim_key(store_id=store_id, key=key,
                      fingerprint=fingerprint(request.method, request.path,
                                              request.get_json(silent=True)))
    if isinstance(claim, Replay):
        return jsonify(_replayed(claim)), claim.status
    try:
        body, status = work()
    except Exception as exc:
        body, status = render(exc)
        if status == 409 or status >= 500:
            release_key(record_id=claim)
            raise
        complete_key(record_id=claim, status=status, body=body)
        raise
    complete_key(record_id=claim, status=status, body=body)
    return jsonify(body), status


def _replayed(replay: Replay) -> dict:
    body = dict(replay.body)
    if replay.status < 300 and isinstance(body.get("attempt"), dict):
        current = get_payment(attempt_id=body["attempt"]["id"],
                              store_ids=principal().store_ids)
        body["attempt"] = attempt_json(current)
        body["is_existing"] = True
    return body

"""Stripe's Idempotency-Key semantics: replay the first response, refuse a changed request."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import web

from .errors import StripeError, invalid

TTL_SECONDS = 24 * 3600
MISMATCH_MESSAGE = ("Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.")


@dataclass
class _Entry:
    fingerprint: tuple
    status: int
    body: bytes
    content_type: str
    request_id: str | None
    expires: float


def _normalise(body: bytes, content_type: str) -> tuple:
    """The request's parameters, independent of the order the client encoded them in."""
    text = body.decode("utf-8", "replace")
    if content_type == "application/json":
        try:
            return ("json", json.dumps(json.loads(text), sort_keys=True))
        except ValueError:
            pass
    elif content_type in ("application/x-www-form-urlencoded", ""):
        return ("form", tuple(sorted(parse_qsl(text, keep_blank_values=True))))
    return ("raw", text)


class IdempotencyStore:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def clear(self) -> None:
        self._entries.clear()

    def _purge(self, now: float) -> None:
        for key in [k for k, e in self._entries.items() if e.expires <= now]:
            del self._entries[key]
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                del self._locks[key]

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key or not request.path.startswith("/v1/"):
            return await handler(request)
        if len(key) > 255:
            raise invalid("Idempotency-Key must be at most 255 characters long.")
        fingerprint = (request.path, _normalise(await request.read(), request.content_type))
        # Serialises requests sharing a key: the second waits, then gets the replay, so two
        # concurrent retries can never create two objects.
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            self._purge(now)
            entry = self._entries.get(key)
            if entry is not None:
                if entry.fingerprint != fingerprint:
                    raise StripeError(400, "idempotency_error", MISMATCH_MESSAGE)
                return web.Response(body=entry.body, status=entry.status, headers={
                    "Content-Type": entry.content_type,
                    "Idempotent-Replayed": "true",
                    "Idempotency-Key": key,
                    "Original-Request": entry.request_id or "",
                })
            response = await handler(request)
            # Stripe does not save conflicts and rate limits (the client should retry those),
            # nor a request refused as invalid before the endpoint ran: the same key with
            # corrected parameters then goes through.
            if isinstance(response, web.Response) and response.status not in (400, 409, 429):
                content_type = response.content_type
                if response.charset:
                    content_type += f"; charset={response.charset}"
                self._entries[key] = _Entry(fingerprint, response.status, response.body or b"",
                                            content_type, request.get("request_id"),
                                            now + TTL_SECONDS)
            response.headers["Idempotency-Key"] = key
            return response

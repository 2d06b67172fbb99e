"""Keeps the sandbox's objects in a file, so that restarting ``make dev`` does not forget the
PaymentIntents of earlier orders (refunds would answer "No such payment_intent" and old payment
pages 503). Tests run without a file: each sandbox starts empty.

Objects change in place inside handlers, so the whole store is written after every request
that may have changed something (and at shutdown), to a temporary file renamed over the old.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

from aiohttp import web
from localstripe.resources import store

log = logging.getLogger("stripe_sandbox.persist")


def load(path: Path) -> int:
    """Objects read from ``path`` into the store (0 when there is no file yet)."""
    try:
        with path.open("rb") as fh:
            saved = pickle.load(fh)  # noqa: S301 - our own file, written below
    except FileNotFoundError:
        return 0
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        # A file from another sandbox version: start empty rather than refuse to start.
        log.warning("ignoring unreadable sandbox store %s: %s", path, exc)
        return 0
    store.clear()
    dict.update(store, saved)
    return len(saved)


def save(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(dict(store), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def middleware(path: Path):
    @web.middleware
    async def persist(request: web.Request, handler) -> web.StreamResponse:
        response = await handler(request)
        if request.method in ("POST", "DELETE"):
            save(path)
        return response

    return persist

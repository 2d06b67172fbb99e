"""Work that may wait until the response has been sent: the client is not kept waiting for it.

Stripe times a webhook until its 2xx and asks for a quick answer; once the event's effects
(and the outbox rows asking for their jobs) are committed, handing those rows on to RQ is
bookkeeping the answer does not depend on. Whatever runs here must already be safe if it
never runs: an outbox row left undispatched is taken by the periodic dispatcher when its
lease runs out (services/notifications/outbox.py).

The WSGI server calls the response's ``close`` after the last byte is written (gunicorn,
werkzeug's server and the test client with ``buffered=True`` all do). The request's app
context is gone by then, so the work runs in a fresh one, with its own database session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, g, has_request_context

log = logging.getLogger(__name__)

_PENDING = "after_response"


def defer_until_sent(callback: Callable[[], object]) -> bool:
    """Run ``callback`` once the current response has been sent; False (nothing queued)
    outside a request, where the caller should run it now."""
    if not has_request_context():
        return False
    g.setdefault(_PENDING, []).append(callback)
    return True


def init_after_response(app: Flask) -> None:
    @app.after_request
    def run_deferred_on_close(response):
        callbacks = g.pop(_PENDING, None)
        if callbacks:
            response.call_on_close(lambda: _run(app, callbacks))
        return response


def _run(app: Flask, callbacks: list[Callable[[], None]]) -> None:
    with app.app_context():
        for callback in callbacks:
            try:
                callback()
            except Exception:
                # The response is gone: there is nobody to answer with an error. What the
                # callback did not finish is picked up again by the job that backs it up.
                log.exception("work after the response failed")

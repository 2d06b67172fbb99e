"""Absolute links for e-mails: ``BASE_URL`` plus a route's path.

Never the request's Host header, which the client chooses (a reset link pointing at an
attacker's host would hand them the token). Works in a request, a job, or after the
response has been sent, where there is no request to take a host from.
"""

from __future__ import annotations

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)

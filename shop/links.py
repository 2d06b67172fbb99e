"""Absolute links for e-mails and jobs, always on BASE_URL.

A request's ``Host`` (or ``X-Forwarded-Host``) is written by whoever sends the request: a
password-reset link built from it points wherever the sender likes, and the real account
owner receives it ("reset poisoning"). So a link that leaves the page it was made for (an
e-mail, a job's output) is built here from the configured BASE_URL alone, the same with a
request as without one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values, _external=True)`` on BASE_URL, never on the request."""
    app = current_app
    base = urlsplit(app.config["BASE_URL"])
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/",
                               url_scheme=base.scheme)
    app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)

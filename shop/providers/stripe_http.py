"""The Stripe SDK's HTTP client as the shop runs it (part of the Stripe provider, with
``stripe_gateway``): each call's time counted for Server-Timing, the environment's proxies read
once."""

from __future__ import annotations

import time

import requests
import stripe

from ..timing import add_stripe_time


class TimedRequestsClient(stripe.RequestsClient):
    """The SDK's own HTTP client, adding the wall time of each call (retries and their
    back-off included) to the current request's Stripe total (Server-Timing).

    The proxy variables (``HTTPS_PROXY``, ``NO_PROXY``…) are read from the environment once,
    here, for ``api_base``: with its default ``trust_env`` a requests session reads them
    again on every call by walking the whole environment twice, about a tenth of a checkout
    post's CPU (docs/performance.md, issue 23). The session trusts nothing else from the
    environment either: the SDK passes its own CA bundle, and a ``~/.netrc`` entry would
    replace the secret key's Authorization header. One session for the client, as the SDK
    allows (``session=``).
    """

    def __init__(self, *, timeout: float, api_base: str):
        session = requests.Session()
        session.trust_env = False
        # The SDK types a proxy dict as its private TypedDict of "http" and "https".
        super().__init__(timeout=timeout, session=session,
                         proxy=_environment_proxy(api_base))  # type: ignore[arg-type]

    def request_with_retries(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return super().request_with_retries(*args, **kwargs)
        finally:
            add_stripe_time(time.perf_counter() - started)


def _environment_proxy(url: str) -> dict[str, str] | None:
    """The proxies the environment names for ``url`` (none if ``NO_PROXY`` covers it), as
    requests would have found them on each call."""
    found = requests.utils.get_environ_proxies(url)
    proxy = {scheme: found.get(scheme) or found.get("all") for scheme in ("http", "https")}
    return {scheme: url for scheme, url in proxy.items() if url} or None

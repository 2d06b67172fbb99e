"""A Stripe-compatible sandbox on loopback, built on localstripe.

Run it with ``python -m sandbox --port 8420`` from the repository root. The test-suite
starts it as a subprocess and ``make dev`` uses it as the offline Stripe for developers.

This package must stay cheap to import: the server pulls in localstripe and aiohttp, so it is only
imported by ``__main__``.
"""

READY_PREFIX = "stripe-sandbox ready on "

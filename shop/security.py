"""Security headers, the Content-Security-Policy Stripe.js needs, the reverse proxy, and
which hosts requests may be addressed to.

Flask-Talisman sets the headers. The policy allows exactly what the payment page loads:
our own scripts and styles, Stripe.js from the configured origin (js.stripe.com, or the
loopback sandbox), its frames, API calls to the configured Stripe API origin, and forms
whose answer leads to Stripe's hosted Checkout page (checkout.stripe.com, or the sandbox). No
inline script or style is allowed anywhere: the templates use none.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response
from flask_talisman import Talisman
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

STRIPE_FRAME_ORIGINS = ("https://js.stripe.com", "https://*.js.stripe.com",
                        "https://hooks.stripe.com")
SELF = "'self'"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Where Paystack and Flutterwave host their payment pages; a sandbox serves its page on its
# own origin (its API base).
HOSTED_PAGES = {"PAYSTACK": ("https://api.paystack.co", "https://checkout.paystack.com"),
                "FLUTTERWAVE": ("https://api.flutterwave.com", "https://checkout.flutterwave.com")}


def hosted_page_origins(config: dict) -> list[str]:
    """The configured redirect providers' payment pages: the checkout's form is answered
    with a redirect there, which ``form-action`` must allow."""
    origins = []
    for name, (real_api, page) in HOSTED_PAGES.items():
        if not config.get(f"{name}_SECRET_KEY") or not config.get(f"{name}_API_BASE"):
            continue
        api = origin(config[f"{name}_API_BASE"])
        origins.append(page if api == real_api else api)
    return origins


def content_security_policy(config: dict) -> dict[str, list[str] | str]:
    js = origin(config["STRIPE_JS_URL"])
    api = origin(config["STRIPE_API_BASE"])
    real_stripe = js == "https://js.stripe.com"
    scripts = [SELF, js] + (["https://*.js.stripe.com"] if real_stripe else [])
    frames = list(dict.fromkeys([js, *STRIPE_FRAME_ORIGINS]))
    # Placing a hosted-Checkout order (and the Payment Element page's switch to it) is a form
    # post answered with a redirect to Stripe's page, which form-action governs too.
    checkout = "https://checkout.stripe.com" if api == "https://api.stripe.com" else api
    return {
        "default-src": SELF,
        "script-src": scripts,
        "frame-src": frames,
        "connect-src": [SELF, api],
        "img-src": [SELF, "data:"],
        "style-src": SELF,
        "font-src": SELF,
        "object-src": "'none'",
        "base-uri": SELF,
        "form-action": list(dict.fromkeys([SELF, checkout, *hosted_page_origins(config)])),
        "frame-ancestors": "'none'",
    }


# Reached by infrastructure at the instance's address rather than the shop's name.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class ProbesOnAnyHost:
    """Let load balancers and Prometheus reach the probes whatever Host they send.

    In production Flask answers 400 to a Host outside TRUSTED_HOSTS (config.trusted_hosts),
    but health checks and scrapers address an instance by IP (``Host: 10.0.3.7:8000``).
    These answers hold no link and nothing else taken from the Host, so a probe is handed
    to the app as addressed to the shop's own host; every other path keeps the check.
    """

    def __init__(self, wsgi_app, host: str):
        self.wsgi_app, self.host = wsgi_app, host

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in PROBE_PATHS:
            environ = {**environ, "HTTP_HOST": self.host}
        return self.wsgi_app(environ, start_response)


def init_security(app: Flask) -> None:
    config = app.config
    # One Talisman per app: it keeps its settings on itself, and tests run several apps.
    app.extensions["talisman"] = Talisman(
        app,
        content_security_policy=content_security_policy(config),
        # TLS ends at the reverse proxy, which redirects plain HTTP itself.
        force_https=False,
        strict_transport_security=config["HSTS_ENABLED"],
        strict_transport_security_include_subdomains=False,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        # Talisman would otherwise overwrite the cookie settings that config.py chose.
        session_cookie_secure=config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=config["SESSION_COOKIE_SAMESITE"],
    )
    # Middleware wraps app.wsgi_app as Flask's documentation shows; Flask types it as a
    # method, which mypy will not let be assigned.
    if config.get("TRUSTED_HOSTS"):
        app.wsgi_app = ProbesOnAnyHost(  # type: ignore[method-assign]
            app.wsgi_app, config["TRUSTED_HOSTS"][0])
    app.register_error_handler(SecurityError, _untrusted_host)
    proxies = config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Client address, scheme and host come from the last ``proxies`` hops only.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)


def _untrusted_host(exc: SecurityError) -> Response:
    # Plain text: with an untrusted Host Flask has no URL adapter, so no page can be built.
    return Response("This shop is not served at that address.\n", 400,
                    {"Content-Type": "text/plain; charset=utf-8"})

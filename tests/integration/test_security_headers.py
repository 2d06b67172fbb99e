"""Security headers, the Content-Security-Policy Stripe.js needs, cookies, HSTS in
production only, and templates that a strict policy does not break."""

import re

import pytest

from shop import ROOT
from shop.security import content_security_policy, hosted_page_origins

from ..production import BASE_URL
from ..production import production_app as build_production_app


def csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ") if d}


def test_every_page_has_the_headers(client, store):
    for url in ("/", "/cart", "/account/login", "/healthz", "/no-such-page"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Content-Security-Policy" in response.headers, url
        assert "Strict-Transport-Security" not in response.headers  # not in testing


def test_policy_allows_exactly_stripe_js_from_the_sandbox(client, store, stripe_sandbox):
    policy = csp(client.get("/"))
    sandbox = stripe_sandbox.url
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", sandbox]
    assert policy["connect-src"] == ["'self'", sandbox]
    assert policy["frame-src"][0] == sandbox
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(policy["frame-src"])
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    # Forms post to the shop; placing an order may redirect to a hosted payment page:
    # Stripe's Checkout or the Paystack and Flutterwave sandboxes'.
    assert policy["form-action"] == ["'self'", sandbox,
                                     *hosted_page_origins(client.application.config)]
    assert policy["base-uri"] == ["'self'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)


def test_policy_for_real_stripe():
    policy = content_security_policy({"STRIPE_JS_URL": "https://js.stripe.com/v3/",
                                      "STRIPE_API_BASE": "https://api.stripe.com"})
    assert policy["script-src"] == ["'self'", "https://js.stripe.com",
                                    "https://*.js.stripe.com"]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert policy["frame-src"] == ["https://js.stripe.com", "https://*.js.stripe.com",
                                   "https://hooks.stripe.com"]
    assert policy["form-action"] == ["'self'", "https://checkout.stripe.com"]


def test_form_action_allows_the_configured_hosted_payment_pages():
    config = {"STRIPE_JS_URL": "https://js.stripe.com/v3/",
              "STRIPE_API_BASE": "https://api.stripe.com",
              "PAYSTACK_SECRET_KEY": "sk_live_x", "PAYSTACK_API_BASE": "https://api.paystack.co",
              "FLUTTERWAVE_SECRET_KEY": "", "FLUTTERWAVE_API_BASE": "https://api.flutterwave.com"}
    assert content_security_policy(config)["form-action"] == [
        "'self'", "https://checkout.stripe.com", "https://checkout.paystack.com"]


def test_session_cookie_is_httponly_and_lax(client, store, product):
    from ..shopper import Shopper

    Shopper(client).add(product)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure  # testing serves plain HTTP


@pytest.fixture
def production_app(monkeypatch, tmp_path):
    return build_production_app(monkeypatch, tmp_path)


def test_production_sends_hsts_and_secure_cookies(production_app):
    client = production_app.test_client()
    response = client.get("/healthz", base_url="https://shop.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31556926"
    assert production_app.config["SESSION_COOKIE_SECURE"] is True
    policy = csp(response)
    assert policy["script-src"][1] == "https://js.stripe.com"
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]


def test_production_behind_a_proxy_trusts_only_the_configured_hops(monkeypatch, tmp_path):
    app = build_production_app(monkeypatch, tmp_path, TRUSTED_PROXIES="1")
    seen = {}

    @app.get("/_probe")
    def probe():
        from flask import request

        seen.update(addr=request.remote_addr, secure=request.is_secure)
        return "ok"

    app.test_client().get("/_probe", base_url=BASE_URL, headers={
        "X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.9", "secure": True}


INLINE = [
    # A JSON-LD block (type="application/ld+json") is data that no browser runs: not code,
    # and the policy does not apply to it (tests/e2e/test_csp.py sees no violation).
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/ld\+json\")[^>]*>",
                re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_need_no_unsafe_inline():
    """A strict policy blocks inline code: templates (including ones added later) have none.

    E-mail templates are exempt: mail clients need inline styles and never see our CSP.
    """
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if path.relative_to(ROOT / "templates").parts[0] == "mail":
            continue
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                problems.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)!r}")
    assert problems == []

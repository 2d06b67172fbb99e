"""The payment page works under the strict Content-Security-Policy: Stripe.js loads, the
card is paid, and the browser reports no violation on any page of the way."""

import logging
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + e.blockedURI);
});
"""


def test_payment_page_under_the_csp(live_shop, page, caplog):
    caplog.set_level(logging.INFO)
    base_url, _app = live_shop
    console, violations, policies = [], [], {}
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("response", lambda r: policies.setdefault(
        r.url.split("?")[0], r.headers.get("content-security-policy")))

    def collect():
        violations.extend(page.evaluate("window.__cspViolations || []"))

    page.goto(base_url + "/products/colombia-huila")
    collect()
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address", exact=True).fill("1 Analytical Way")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("Postal code").fill("62701")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("State / province").select_option("US-IL")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page.get_by_role("heading", name="Payment", exact=True)).to_be_visible()
    pay_url = page.url
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label(re.compile("Expiration")).fill("12 / 34")
    page.get_by_label(re.compile("Security code")).fill("123")
    expect(page.get_by_role("button", name=re.compile("^Pay"))).to_be_enabled()
    collect()
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.get_by_role("heading", name="Thank you, your order is paid")).to_be_visible()
    collect()

    assert violations == []
    assert not [line for line in console if "Content Security Policy" in line
                or "Refused to" in line], console
    pay_policy = policies[pay_url]
    assert pay_policy and "script-src 'self' http://127.0.0.1:" in pay_policy
    assert "unsafe-inline" not in pay_policy
    # Stripe's redirect put the client secret in the URL; the access log kept it out.
    assert "payment_intent_client_secret=pi_" in caplog.text
    assert not re.search(r"_secret_(?!\[REDACTED\])[A-Za-z0-9]", caplog.text)

"""The Stripe.js stand-in served by the sandbox, driven in Chromium like the payment page."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import PUBLISHABLE_KEY
from .test_stripe_sandbox import AUTH_FAILURE_MESSAGE, THREE_DS, VISA, create_intent

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pay</title>
<script src="{sandbox}/js.stripe.com/v3/"></script></head>
<body><main><h1>Pay</h1>
<form id="pay"><div id="payment-element"></div><button type="submit">Pay</button></form>
<p id="result" role="alert"></p></main>
<script>
const query = new URLSearchParams(location.search);
const stripe = Stripe("{pk}");
const elements = stripe.elements({{clientSecret: query.get("cs")}});
const element = elements.create("payment");
element.on("ready", () => {{ document.body.dataset.ready = "yes"; }});
element.mount("#payment-element");
document.getElementById("pay").addEventListener("submit", async (event) => {{
  event.preventDefault();
  const {{error}} = await stripe.confirmPayment({{
    elements, confirmParams: {{return_url: location.origin + "/return?order=7"}}}});
  if (error) document.getElementById("result").textContent = error.code + ": " + error.message;
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def shop_page(sandbox):
    html = PAGE.format(sandbox=sandbox.url, pk=PUBLISHABLE_KEY).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = html if self.path.startswith("/pay") else b"<!doctype html><title>Done</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(chromium, shop_page):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def open_payment_page(page, shop_page, intent):
    page.goto(f"{shop_page}/pay?cs={intent.client_secret}")
    page.wait_for_selector("body[data-ready=yes]")


def fill_card(page, number):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiration date (MM / YY)").fill(f"12 / {time.gmtime().tm_year % 100 + 2}")
    page.get_by_label("Security code (CVC)").fill("123")


def assert_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def assert_redirected_paid(page, client, intent):
    page.wait_for_url("**/return?**")
    # The merchant's own query string is kept, Stripe's parameters are appended.
    assert f"/return?order=7&payment_intent={intent.id}&" in page.url
    assert f"payment_intent_client_secret={intent.client_secret}" in page.url
    assert page.url.endswith("&redirect_status=succeeded")
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


@pytest.mark.e2e
def test_js_card_payment_redirects(page, shop_page, client):
    intent = create_intent(client)
    open_payment_page(page, shop_page, intent)
    assert page.get_by_text("Test mode: use 4242 4242 4242 4242").is_visible()
    assert page.get_by_label("Card number").get_attribute("autocomplete") == "cc-number"
    fill_card(page, VISA)
    assert page.get_by_label("Card number").input_value() == "4242 4242 4242 4242"
    page.get_by_role("button", name="Pay").click()
    assert_redirected_paid(page, client, intent)


@pytest.mark.e2e
def test_js_validation_then_decline_then_payment(page, shop_page, client):
    intent = create_intent(client)
    open_payment_page(page, shop_page, intent)
    api_calls = []
    page.on("request", lambda r: api_calls.append(r.url) if "/v1/" in r.url else None)
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("incomplete_number: Your card number is incomplete.").wait_for()
    number = page.get_by_label("Card number")
    assert number.get_attribute("aria-invalid") == "true"
    assert number.evaluate("el => el === document.activeElement")
    assert api_calls == []
    assert_accessible(page)

    fill_card(page, "4000000000009995")
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("card_declined: Your card has insufficient funds.").wait_for()
    assert number.get_attribute("aria-invalid") == "false"

    fill_card(page, VISA)
    page.get_by_role("button", name="Pay").click()
    assert_redirected_paid(page, client, intent)


@pytest.mark.e2e
def test_js_3ds_dialog_completes(page, shop_page, client):
    intent = create_intent(client)
    open_payment_page(page, shop_page, intent)
    fill_card(page, THREE_DS)
    page.get_by_role("button", name="Pay").click()
    dialog = page.get_by_role("dialog", name="3D Secure authentication (test)")
    dialog.wait_for()
    complete = dialog.get_by_role("button", name="Complete authentication")
    assert complete.evaluate("el => el === document.activeElement")
    assert_accessible(page)
    complete.click()
    assert_redirected_paid(page, client, intent)


@pytest.mark.e2e
def test_js_3ds_escape_fails_authentication(page, shop_page, client):
    intent = create_intent(client)
    open_payment_page(page, shop_page, intent)
    fill_card(page, THREE_DS)
    page.get_by_role("button", name="Pay").click()
    page.get_by_role("dialog", name="3D Secure authentication (test)").wait_for()
    page.keyboard.press("Escape")
    page.get_by_text("payment_intent_authentication_failure: " + AUTH_FAILURE_MESSAGE).wait_for()
    assert page.get_by_role("dialog").count() == 0
    retrieved = client.v1.payment_intents.retrieve(intent.id)
    assert retrieved.status == "requires_payment_method"
    assert retrieved.last_payment_error.code == "payment_intent_authentication_failure"



@pytest.mark.e2e
def test_js_reports_connection_errors(page, shop_page, client):
    intent = create_intent(client)
    open_payment_page(page, shop_page, intent)
    page.route("**/v1/**", lambda route: route.abort())
    fill_card(page, VISA)
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("We could not reach the payment server. Check your connection and try "
                     "again.").wait_for()
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"

"""Fixtures for testing the Stripe sandbox: the server process, webhook receivers, HTTP helpers."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from sandbox.process import SandboxProcess

SECRET_KEY = "sk_test_sandbox"
PUBLISHABLE_KEY = "pk_test_sandbox"
WEBHOOK_SECRET = "whsec_sandbox_test_secret"


class WebhookReceiver:
    """A loopback endpoint that verifies each delivery like our app does and records it."""

    def __init__(self, secret: str, status: int = 200):
        self.secret = secret
        self.status = status
        self.events: list[tuple[dict, stripe.Event]] = []  # (raw JSON, verified event)
        self.hits: list[dict] = []  # every request: {"id", "type", "verified"}
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                signature = self.headers.get("Stripe-Signature", "")
                try:
                    event = stripe.Webhook.construct_event(body, signature, receiver.secret)
                except (ValueError, stripe.SignatureVerificationError):
                    event = None
                receiver._record(json.loads(body), event)
                self.send_response(receiver.status if event is not None else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"

    def _record(self, raw: dict, event: stripe.Event | None) -> None:
        with self._cond:
            self.hits.append({"id": raw.get("id"), "type": raw.get("type"),
                              "verified": event is not None})
            if event is not None:
                self.events.append((raw, event))
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[WebhookReceiver], bool], timeout: float = 10.0,
                 what: str = "webhook deliveries") -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout=timeout):
                raise AssertionError(f"timed out waiting for {what}; got {self.hits}")

    def events_for(self, object_id: str) -> list[stripe.Event]:
        with self._cond:
            return [event for raw, event in self.events if _object_key(raw) == object_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _object_key(raw: dict) -> str:
    obj = raw["data"]["object"]
    if obj["object"] in ("charge", "refund", "dispute") and obj.get("payment_intent"):
        return obj["payment_intent"]
    return obj["id"]


@dataclass
class HttpResult:
    status: int
    headers: dict
    body: dict


class Sandbox:
    def __init__(self, url: str):
        self.url = url

    def http(self, method: str, path: str, params: dict | None = None,
             headers: dict | None = None) -> HttpResult:
        data = None
        url = self.url + path
        if params is not None and method == "GET":
            url += "?" + urllib.parse.urlencode(params)
        elif params is not None:
            data = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                raw, status, resp_headers = resp.read(), resp.status, dict(resp.headers)
        except urllib.error.HTTPError as err:
            raw, status, resp_headers = err.read(), err.code, dict(err.headers)
            err.close()
        body = json.loads(raw) if raw and "json" in resp_headers.get("Content-Type", "") else {}
        return HttpResult(status, resp_headers, body)

    def browser_post(self, path: str, params: dict) -> HttpResult:
        """What Stripe.js sends: a form post authenticated by the publishable key."""
        return self.http("POST", path, {"key": PUBLISHABLE_KEY, **params})

    def card(self, number: str) -> str:
        result = self.browser_post("/v1/payment_methods", {
            "type": "card", "card[number]": number, "card[exp_month]": "12",
            "card[exp_year]": str(time.gmtime().tm_year + 2), "card[cvc]": "123"})
        assert result.status == 200, result.body
        return result.body["id"]

    def register_webhook(self, endpoint_id: str, url: str, secret: str) -> None:
        result = self.http("POST", f"/_config/webhooks/{endpoint_id}",
                           {"url": url, "secret": secret})
        assert result.status == 200

    def unregister_webhook(self, endpoint_id: str) -> None:
        assert self.http("DELETE", f"/_config/webhooks/{endpoint_id}").status == 200


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(WEBHOOK_SECRET)
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def sandbox_process(webhook_receiver, tmp_path_factory) -> Iterator[SandboxProcess]:
    log_path = tmp_path_factory.mktemp("stripe-sandbox") / "sandbox.log"
    process = SandboxProcess(["--webhook-url", webhook_receiver.url,
                              "--webhook-secret", WEBHOOK_SECRET,
                              "--webhook-delay", "0.05", "--webhook-retry-base", "0.2"],
                             log_path)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def sandbox(sandbox_process) -> Sandbox:
    return Sandbox(sandbox_process.url)


@pytest.fixture
def client(sandbox) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": sandbox.url},
                               max_network_retries=2)


@pytest.fixture
def failing_receiver(sandbox) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(WEBHOOK_SECRET, status=500)
    sandbox.register_webhook("failing", receiver.url, WEBHOOK_SECRET)
    yield receiver
    sandbox.unregister_webhook("failing")
    receiver.close()

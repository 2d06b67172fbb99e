"""The Paystack and Flutterwave sandboxes as processes, a webhook catcher, a hosted-page driver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from sandbox.process import SandboxProcess
from shop.providers.flutterwave import FlutterwaveProvider
from shop.providers.paystack import PaystackProvider

PAYSTACK_KEY = "sk_test_paystack_tests"
FLW_KEY = "FLWSECK_TEST-tests-X"
FLW_HASH = "flw-tests-hash"


class Catcher:
    """A loopback endpoint that answers 200 and keeps each request's raw body and headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []  # statuses to answer first (then 200)
        self._cond = threading.Condition()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with catcher._cond:
                    catcher.requests.append((dict(self.headers.items()), body))
                    status = catcher.answers.pop(0) if catcher.answers else 200
                    catcher._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                # Where the hosted page sends the shopper back (the order status page's stand-in).
                body = b"<!doctype html><title>back at the shop</title><p>Back at the shop</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.requests) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} webhooks, got {len(self.requests)}")
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    c = Catcher()
    yield c
    c.close()


def _start(module: str, args: list[str], tmp_path, name: str) -> SandboxProcess:
    return SandboxProcess([*args, "--webhook-delay", "0.05", "--webhook-retry-base", "0.05",
                           "--quiet"], tmp_path / f"{name}.log", module=module,
                          ready_prefix=f"{name} ready on ")


# One sandbox process per test module (starting one costs about a second); each test points
# its deliveries at its own catcher, and a delivery keeps the URL it was made for.
@pytest.fixture(scope="module")
def _paystack_process(tmp_path_factory) -> Iterator[SandboxProcess]:
    process = _start("sandbox.paystack", ["--secret", PAYSTACK_KEY],
                     tmp_path_factory.mktemp("paystack"), "paystack-sandbox")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def _flutterwave_process(tmp_path_factory) -> Iterator[SandboxProcess]:
    process = _start("sandbox.flutterwave", ["--secret", FLW_KEY, "--secret-hash", FLW_HASH],
                     tmp_path_factory.mktemp("flutterwave"), "flutterwave-sandbox")
    yield process
    process.stop()


def _deliver_to(process: SandboxProcess, url: str) -> SandboxProcess:
    httpx.post(f"{process.url}/_sandbox/webhook-url", json={"url": url},
               timeout=10).raise_for_status()
    return process


@pytest.fixture
def paystack_sandbox(_paystack_process, catcher) -> SandboxProcess:
    return _deliver_to(_paystack_process, catcher.url("/webhooks/paystack"))


@pytest.fixture
def flutterwave_sandbox(_flutterwave_process, catcher) -> SandboxProcess:
    return _deliver_to(_flutterwave_process, catcher.url("/webhooks/flutterwave"))


@pytest.fixture
def paystack(paystack_sandbox) -> Iterator[PaystackProvider]:
    provider = PaystackProvider(secret_key=PAYSTACK_KEY, api_base=paystack_sandbox.url)
    yield provider
    provider.close()


@pytest.fixture
def flutterwave(flutterwave_sandbox) -> Iterator[FlutterwaveProvider]:
    provider = FlutterwaveProvider(secret_key=FLW_KEY, secret_hash=FLW_HASH,
                                   api_base=flutterwave_sandbox.url)
    yield provider
    provider.close()


def deliveries(sandbox: SandboxProcess, catcher: Catcher) -> list[dict]:
    """The sandbox's deliveries made for this test (its catcher)."""
    entries = httpx.get(f"{sandbox.url}/_sandbox/webhooks", timeout=10).json()
    return [entry for entry in entries if entry["url"].startswith(catcher.url(""))]


def hosted_page(link: str, outcome: str) -> httpx.Response:
    """Open the hosted page as a tester would, then press the button for ``outcome``.

    Returns the form's answer (a 303 back to the shop), not followed.
    """
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        page = browser.get(link)
        assert page.status_code == 200
        assert f'value="{outcome}"' in page.text
        return browser.post(link, data={"outcome": outcome})


def control(sandbox: SandboxProcess, method: str, path: str) -> httpx.Response:
    return httpx.request(method, f"{sandbox.url}/_sandbox{path}", timeout=10)

"""Paystack and Flutterwave for the app's tests: each sandbox started once per session on a
free port (the app's PAYSTACK_API_BASE / FLUTTERWAVE_API_BASE point at it), a store that
sells in NGN with both enabled, and helpers that walk the hosted page and carry the
sandbox's signed webhooks to the app's real routes (so a test decides their order)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from sandbox.process import SandboxProcess
from shop.extensions import db
from shop.models import StoreSettings
from shop.security import content_security_policy

from .factories import make_product, make_store
from .providers.conftest import Catcher

PAYSTACK_KEY = "sk_test_paystack_app"
FLW_KEY = "FLWSECK_TEST-app-X"
FLW_HASH = "flw-app-hash"
SIGNATURE_HEADER = {"paystack": "x-paystack-signature", "flutterwave": "verif-hash"}
# The hosted page's buttons: pay, fail, and walking away (Paystack "abandon", Flutterwave
# "cancel").
WALK_AWAY = {"paystack": "abandon", "flutterwave": "cancel"}


@dataclass
class Gateway:
    name: str
    process: SandboxProcess
    catcher: Catcher

    @property
    def url(self) -> str:
        return self.process.url

    def deliveries(self) -> list[tuple[dict[str, str], bytes]]:
        return list(self.catcher.requests)

    def wait_for(self, count: int) -> list[tuple[dict[str, str], bytes]]:
        return self.catcher.wait_for(count)


def _start(module: str, args: list[str], tmp_path, name: str) -> SandboxProcess:
    return SandboxProcess([*args, "--webhook-delay", "0.05", "--webhook-retry-base", "5",
                           "--quiet"], tmp_path / f"{name}.log", module=module,
                          ready_prefix=f"{name} ready on ")


@pytest.fixture(scope="session")
def gateway_processes(app, tmp_path_factory) -> Iterator[dict[str, SandboxProcess]]:
    tmp = tmp_path_factory.mktemp("gateways")
    processes = {
        "paystack": _start("sandbox.paystack", ["--secret", PAYSTACK_KEY], tmp,
                           "paystack-sandbox"),
        "flutterwave": _start("sandbox.flutterwave",
                              ["--secret", FLW_KEY, "--secret-hash", FLW_HASH], tmp,
                              "flutterwave-sandbox"),
    }
    app.config.update({
        "PAYSTACK_SECRET_KEY": PAYSTACK_KEY, "PAYSTACK_API_BASE": processes["paystack"].url,
        "FLUTTERWAVE_SECRET_KEY": FLW_KEY, "FLUTTERWAVE_SECRET_HASH": FLW_HASH,
        "FLUTTERWAVE_API_BASE": processes["flutterwave"].url})
    # The policy was built when the app was: it must allow redirects to these sandboxes.
    app.extensions["talisman"].content_security_policy = content_security_policy(app.config)
    yield processes
    for process in processes.values():
        process.stop()


@pytest.fixture(params=["paystack", "flutterwave"])
def gateway(request, gateway_processes) -> Iterator[Gateway]:
    """Each provider in turn, its webhooks caught for this test (not yet sent to the app)."""
    catcher = Catcher()
    process = gateway_processes[request.param]
    httpx.post(f"{process.url}/_sandbox/webhook-url",
               json={"url": catcher.url(f"/webhooks/{request.param}")},
               timeout=10).raise_for_status()
    yield Gateway(request.param, process, catcher)
    catcher.close()


@pytest.fixture
def naira_store(clean_app):
    """A store selling in NGN that offers both hosted-page providers."""
    store = make_store()  # the storefront's store (SHOP_STORE_SLUG)
    store.currency = "NGN"
    store.country = "NG"
    db.session.add(StoreSettings(store_id=store.id, payment_methods=["paystack", "flutterwave"]))
    db.session.commit()
    return store


@pytest.fixture
def naira_product(naira_store):
    product = make_product(naira_store, name="Ofada Rice", price=450000, stock=10)
    product.currency = "NGN"
    db.session.commit()
    return product


# A delivery address the naira store ships to (its rate table, pricing.rates_for("NGN"),
# serves Nigeria only).
NIGERIA = {"country": "NG", "region": "", "city": "Lagos", "postal_code": "100001",
           "line1": "1 Marina"}


def hosted(link: str, outcome: str) -> str:
    """Open the hosted page, press ``outcome``'s button; where it sends the shopper back."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        page = browser.get(link)
        assert page.status_code == 200, page.text
        assert f'value="{outcome}"' in page.text
        answer = browser.post(link, data={"outcome": outcome})
    assert answer.status_code == 303, answer.text
    return answer.headers["Location"]


def back_at_shop(client, location: str):
    """Follow the hosted page's redirect back into the app (a test client, not a server)."""
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path)


def forward(client, provider: str, delivery: tuple[dict[str, str], bytes], **header_override):
    headers, body = delivery
    name = SIGNATURE_HEADER[provider]
    sent = next((v for k, v in headers.items() if k.lower() == name), None)
    signature = header_override.get("signature", sent)
    extra = {name: signature} if signature is not None else {}
    return client.post(f"/webhooks/{provider}", data=body, headers=extra,
                       content_type="application/json")


def link_on_pay_page(client, token: str) -> str:
    page = client.get(f"/orders/{token}/pay")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    match = re.search(r'id="provider-link"[^>]*href="([^"]+)"', page.get_data(as_text=True))
    assert match, "the pay page links to the hosted page"
    return match.group(1).replace("&amp;", "&")


def sandbox_refunds(gateway: Gateway, reference: str) -> list[dict]:
    """The refunds the sandbox holds for our payment ``reference`` (its list-refunds route, as
    the providers publish it)."""
    if gateway.name == "paystack":
        answer = httpx.get(f"{gateway.url}/refund", params={"transaction": reference},
                           headers={"Authorization": f"Bearer {PAYSTACK_KEY}"}, timeout=10)
    else:
        auth = {"Authorization": f"Bearer {FLW_KEY}"}
        tx = httpx.get(f"{gateway.url}/v3/transactions/verify_by_reference",
                       params={"tx_ref": reference}, headers=auth, timeout=10)
        answer = httpx.get(f"{gateway.url}/v3/refunds", params={"id": tx.json()["data"]["id"]},
                           headers=auth, timeout=10)
    answer.raise_for_status()
    return answer.json()["data"]


def fault(gateway: Gateway, name: str) -> None:
    """Arm one of the sandbox's refund faults: fail-next, lose-next-answer, unavailable-next."""
    httpx.post(f"{gateway.url}/_sandbox/refunds/{name}", timeout=10).raise_for_status()

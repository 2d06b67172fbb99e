"""docs/openapi.yaml against the implementation: every error code it documents for an
endpoint is produced by that endpoint, with the documented status (and the fuzzing in
test_api_schemathesis.py checks that nothing undocumented comes out)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import pytest
import yaml

from shop.domain.ledger import TransactionKind
from shop.models import PaymentAttempt
from shop.services.payments.ledger import add_transaction
from shop.services.platform.idempotency import claim_key, fingerprint
from shop.services.platform.tx import write_transaction

from ..factories import make_user
from ..payments import Api, authorized, captured, make_order

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs/openapi.yaml").read_text())


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = SPEC["components"][kind][name]
    return node


def documented() -> dict[tuple[str, str, str], int]:
    """(method, path, code) → status, for every documented error code."""
    codes = {}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                for code in _resolve(response).get("x-error-codes", []):
                    key = (method.upper(), path, code)
                    assert key not in codes, f"{key} documented under two statuses"
                    codes[key] = int(status)
    return codes


DOCUMENTED = documented()


class World:
    """A store with payments in every state, callers of every kind, and a foreign store."""

    def __init__(self, request, app, store, product, other_store, other_product, stripe):
        self.request, self.app, self.store, self.product = request, app, store, product
        self.stripe = stripe
        self.key = Api.key(app, store)
        self.foreign_order = make_order(other_store, other_product, attempt=False)
        self.foreign = authorized(other_store, other_product, stripe)

    @cached_property
    def staff(self) -> Api:
        return Api.staff(self.app, make_user(store=self.store))

    def proxy(self):
        return self.request.getfixturevalue("fault_proxy")

    def authorized(self) -> PaymentAttempt:
        return authorized(self.store, self.product, self.stripe)

    def captured(self) -> PaymentAttempt:
        return captured(self.store, self.product, self.stripe)

    def order(self, **kwargs):
        return make_order(self.store, self.product, **kwargs)

    def pending(self, attempt: PaymentAttempt, kind: TransactionKind) -> None:
        """A capture or void in flight (its claim row written, Stripe not answered yet)."""
        with write_transaction() as session:
            add_transaction(session, session.get(PaymentAttempt, attempt.id), kind=kind,
                            amount=attempt.amount, actor="staff:other")

    def in_flight(self, path: str, body: dict, key: str) -> None:
        """Another request with ``key`` is running: its claim is in the store."""
        claim_key(store_id=self.store.id, key=key,
                  fingerprint=fingerprint("POST", f"/api/payments{path}", body))


@pytest.fixture
def world(request, clean_app, store, product, other_store, other_product, stripe_client):
    return World(request, clean_app, store, product, other_store, other_product,
                 stripe_client)


def valid_call(w: World, method: str, path: str):
    """A request each endpoint would accept from a permitted caller."""
    if path.startswith("/api/receipts"):
        return path.replace("{number}", "R-000001"), {"order_id": w.foreign_order.id}, {}
    if method == "GET":
        return path.replace("{attempt_id}", str(w.foreign.id)), None, {}
    bodies = {"/attempt": {"order_id": w.foreign_order.id},
              "/reconciliation": None}
    suffix = path.removeprefix("/api/payments")
    return path, bodies.get(suffix, {"attempt_id": w.foreign.id}), {"Idempotency-Key": "k"}


def send(api: Api, method: str, path: str, body, headers):
    if path.startswith("/api/receipts"):
        return api.client.get(path, query_string=body, headers=api.headers)
    suffix = path.removeprefix("/api/payments")
    if method == "GET":
        return api.get(suffix)
    return api.post(suffix, body, headers=headers)


def generic(method: str, path: str, code: str):
    """Scenarios every endpoint shares: who is calling."""
    def run(w: World):
        target, body, headers = valid_call(w, method, path)
        if code == "authentication_required":
            return send(Api(w.app.test_client()), method, target, body, headers)
        if code == "invalid_api_key":
            return send(Api(w.app.test_client(), token="shk_nope_nope"), method, target, body,
                        headers)
        if code == "forbidden":
            return send(Api.staff(w.app, make_user()), method, target, body, headers)
        if code == "csrf_failed":
            api = Api.staff(w.app, make_user(store=w.store))
            del api.headers["X-CSRFToken"]
            return send(api, method, target, body, headers)
        raise KeyError(code)
    return run


def _provider_refused_capture(w: World):
    attempt = w.authorized()
    w.stripe.v1.payment_intents.cancel(attempt.provider_reference)
    return w.staff.post("/capture", {"attempt_id": attempt.id})


def _provider_refused_void(w: World):
    attempt = w.authorized()
    w.stripe.v1.payment_intents.capture(attempt.provider_reference)
    return w.staff.post("/void", {"attempt_id": attempt.id})


def _provider_refused_refund(w: World):
    attempt = w.captured()
    w.stripe.v1.refunds.create(params={"payment_intent": attempt.provider_reference})
    return w.staff.post("/refund", {"attempt_id": attempt.id, "amount": 100})


def _unreachable(w: World, method: str, pattern: str, path: str, body_of):
    attempt = w.authorized() if path != "/refund" else w.captured()
    proxy = w.proxy()
    proxy.add(method, pattern, "drop")
    proxy.add("GET", r"/v1/payment_intents/[^/]+", "drop")
    return w.staff.post(path, body_of(attempt) if body_of else None)


def _limited_refund(w: World):
    """An API key is held to the staff refund limit, like a staff member."""
    from shop.extensions import db
    from shop.models import StoreSettings

    db.session.add(StoreSettings(store_id=w.store.id, staff_refund_limit=100))
    db.session.commit()
    return w.key.post("/refund", {"attempt_id": w.captured().id, "amount": 101})


def _late_refund(w: World):
    from datetime import timedelta

    from shop.extensions import db
    from shop.models import Order
    from shop.models.types import utcnow

    attempt = w.captured()
    db.session.get(Order, attempt.order_id).paid_at = utcnow() - timedelta(days=91)
    db.session.commit()
    return w.staff.post("/refund", {"attempt_id": attempt.id, "amount": 100})


def _exhausted_refund(w: World):
    attempt = w.captured()
    assert w.staff.post("/refund", {"attempt_id": attempt.id}).status_code == 200
    return w.staff.post("/refund", {"attempt_id": attempt.id})


def _keyed(path: str, body_of, *, reuse: bool = False, in_flight: bool = False):
    def run(w: World):
        body = body_of(w)
        if in_flight:
            w.in_flight(path, body, "busy")
            return w.key.post(path, body, key="busy")
        if reuse:
            other = {"/refund": {"reason": "duplicate"}, "/capture": {"amount": 1},
                     "/void": {"reason": "changed my mind"},
                     "/attempt": {"capture_method": "manual"}}[path]
            other = {**body, **other}
            w.key.post(path, body, key="used")
            return w.key.post(path, other, key="used")
        return w.key.post(path, body, headers={"Idempotency-Key": "x" * 300})
    return run


A = "/api/payments"


def _receipts(w: World, path: str, **query):
    return w.key.client.get(path, query_string=query, headers=w.key.headers)


SPECIFIC = {
    ("GET", "/api/receipts", "invalid_order_id"):
        lambda w: _receipts(w, "/api/receipts", order_id="x"),
    ("GET", "/api/receipts", "not_found"):
        lambda w: _receipts(w, "/api/receipts", order_id=w.foreign_order.id),
    ("GET", "/api/receipts/{number}.pdf", "not_found"):
        lambda w: _receipts(w, "/api/receipts/R-000001.pdf"),
    # create an attempt
    ("POST", f"{A}/attempt", "invalid_json"):
        lambda w: w.key.post("/attempt", [1], key="k"),
    ("POST", f"{A}/attempt", "idempotency_key_missing"):
        lambda w: w.key.post("/attempt", {"order_id": w.order(attempt=False).id}),
    ("POST", f"{A}/attempt", "idempotency_key_invalid"):
        _keyed("/attempt", lambda w: {"order_id": w.order(attempt=False).id}),
    ("POST", f"{A}/attempt", "not_found"):
        lambda w: w.key.post("/attempt", {"order_id": w.foreign_order.id}, key="k"),
    ("POST", f"{A}/attempt", "attempt_exists"):
        lambda w: w.key.post("/attempt", {"order_id": w.order().id}, key="k"),
    ("POST", f"{A}/attempt", "order_not_payable"):
        lambda w: w.key.post("/attempt", {"order_id": w.captured().order_id}, key="k"),
    ("POST", f"{A}/attempt", "idempotency_key_in_use"):
        _keyed("/attempt", lambda w: {"order_id": w.order(attempt=False).id}, in_flight=True),
    ("POST", f"{A}/attempt", "validation_error"):
        lambda w: w.key.post("/attempt", {"order_id": "one"}, key="k"),
    ("POST", f"{A}/attempt", "idempotency_key_reused"):
        _keyed("/attempt", lambda w: {"order_id": w.order(attempt=False).id}, reuse=True),
    # capture
    ("POST", f"{A}/capture", "invalid_json"): lambda w: w.key.post("/capture", "x"),
    ("POST", f"{A}/capture", "idempotency_key_invalid"):
        _keyed("/capture", lambda w: {"attempt_id": w.authorized().id}),
    ("POST", f"{A}/capture", "not_found"):
        lambda w: w.key.post("/capture", {"attempt_id": w.foreign.id}),
    ("POST", f"{A}/capture", "illegal_transition"):
        lambda w: w.key.post("/capture", {"attempt_id": w.captured().id}),
    ("POST", f"{A}/capture", "operation_in_progress"):
        lambda w: (lambda a: (w.pending(a, TransactionKind.CAPTURE),
                              w.key.post("/capture", {"attempt_id": a.id}))[1])(w.authorized()),
    ("POST", f"{A}/capture", "idempotency_key_in_use"):
        _keyed("/capture", lambda w: {"attempt_id": w.authorized().id}, in_flight=True),
    ("POST", f"{A}/capture", "validation_error"):
        lambda w: w.key.post("/capture", {"attempt_id": 1, "amount": -5}),
    ("POST", f"{A}/capture", "invalid_amount"):
        lambda w: w.key.post("/capture", {"attempt_id": w.authorized().id, "amount": 10**7}),
    ("POST", f"{A}/capture", "idempotency_key_reused"):
        _keyed("/capture", lambda w: {"attempt_id": w.authorized().id}, reuse=True),
    ("POST", f"{A}/capture", "provider_refused"): _provider_refused_capture,
    ("POST", f"{A}/capture", "provider_unavailable"):
        lambda w: _unreachable(w, "POST", r"/v1/payment_intents/[^/]+/capture", "/capture",
                               lambda a: {"attempt_id": a.id}),
    # void
    ("POST", f"{A}/void", "invalid_json"): lambda w: w.key.post("/void", None),
    ("POST", f"{A}/void", "idempotency_key_invalid"):
        _keyed("/void", lambda w: {"attempt_id": w.authorized().id}),
    ("POST", f"{A}/void", "not_found"):
        lambda w: w.key.post("/void", {"attempt_id": w.foreign.id}),
    ("POST", f"{A}/void", "illegal_transition"):
        lambda w: w.key.post("/void", {"attempt_id": w.captured().id}),
    ("POST", f"{A}/void", "operation_in_progress"):
        lambda w: (lambda a: (w.pending(a, TransactionKind.VOID),
                              w.key.post("/void", {"attempt_id": a.id}))[1])(w.authorized()),
    ("POST", f"{A}/void", "idempotency_key_in_use"):
        _keyed("/void", lambda w: {"attempt_id": w.authorized().id}, in_flight=True),
    ("POST", f"{A}/void", "validation_error"):
        lambda w: w.key.post("/void", {"attempt_id": 1, "reason": 5}),
    ("POST", f"{A}/void", "idempotency_key_reused"):
        _keyed("/void", lambda w: {"attempt_id": w.authorized().id}, reuse=True),
    ("POST", f"{A}/void", "provider_refused"): _provider_refused_void,
    ("POST", f"{A}/void", "provider_unavailable"):
        lambda w: _unreachable(w, "POST", r"/v1/payment_intents/[^/]+/cancel", "/void",
                               lambda a: {"attempt_id": a.id}),
    # refund
    ("POST", f"{A}/refund", "invalid_json"): lambda w: w.key.post("/refund", "[]"),
    ("POST", f"{A}/refund", "idempotency_key_invalid"):
        _keyed("/refund", lambda w: {"attempt_id": w.captured().id}),
    ("POST", f"{A}/refund", "not_found"):
        lambda w: w.key.post("/refund", {"attempt_id": w.foreign.id}),
    ("POST", f"{A}/refund", "not_refundable"):
        lambda w: w.key.post("/refund", {"attempt_id": w.authorized().id}),
    ("POST", f"{A}/refund", "idempotency_key_in_use"):
        _keyed("/refund", lambda w: {"attempt_id": w.captured().id}, in_flight=True),
    ("POST", f"{A}/refund", "validation_error"):
        lambda w: w.key.post("/refund", {"attempt_id": 1, "note": "x" * 501}),
    ("POST", f"{A}/refund", "refund_exceeds_balance"):
        lambda w: (lambda a: w.key.post("/refund", {"attempt_id": a.id,
                                                    "amount": a.amount + 1}))(w.captured()),
    ("POST", f"{A}/refund", "idempotency_key_reused"):
        _keyed("/refund", lambda w: {"attempt_id": w.captured().id, "amount": 100},
               reuse=True),
    ("POST", f"{A}/refund", "provider_refused"): _provider_refused_refund,
    ("POST", f"{A}/refund", "refund_above_limit"): _limited_refund,
    ("POST", f"{A}/refund", "outside_refund_window"): _late_refund,
    ("POST", f"{A}/refund", "provider_unavailable"):
        lambda w: _unreachable(w, "POST", "/v1/refunds", "/refund",
                               lambda a: {"attempt_id": a.id, "amount": 100}),
    # reads and reconciliation
    ("GET", A, "validation_error"): lambda w: w.key.get(per_page="1000"),
    ("GET", f"{A}/{{attempt_id}}", "not_found"): lambda w: w.key.get(f"/{w.foreign.id}"),
    ("POST", f"{A}/reconciliation", "provider_unavailable"):
        lambda w: (w.proxy().add("GET", "/v1/events", "drop"),
                   w.key.post("/reconciliation"))[1],
}
GENERIC = {"authentication_required", "invalid_api_key", "forbidden", "csrf_failed"}


def scenario(key):
    if key in SPECIFIC:
        return SPECIFIC[key]
    if key[2] in GENERIC:
        return generic(*key)
    return None


def test_every_documented_code_has_a_scenario_and_no_scenario_is_undocumented():
    missing = [key for key in DOCUMENTED if scenario(key) is None]
    assert missing == []
    assert set(SPECIFIC) - set(DOCUMENTED) == set()


def test_the_payments_blueprint_has_no_undocumented_route(app):
    routes = {(m, r.rule) for r in app.url_map.iter_rules()
              if r.endpoint.startswith(("payments.", "api_receipts."))
              for m in r.methods - {"HEAD", "OPTIONS"}}
    documented_routes = {(m.upper(), p.replace("{attempt_id}", "<int:attempt_id>")
                          .replace("{number}", "<label>"))
                         for p, item in SPEC["paths"].items() for m in item}
    assert routes == documented_routes


@pytest.mark.parametrize("key", sorted(DOCUMENTED), ids=lambda k: f"{k[0]} {k[1]} {k[2]}")
def test_documented_error_code_is_real(world, key):
    response = scenario(key)(world)
    body = response.get_json()
    assert (response.status_code, body["error"]["code"]) == (DOCUMENTED[key], key[2]), body
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str)

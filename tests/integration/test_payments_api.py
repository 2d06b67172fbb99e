"""The payments JSON API over HTTP: who may call it, store scoping on every endpoint,
Idempotency-Key semantics, listing and pagination."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import ApiKey, IdempotencyRecord, PaymentAttempt, Role, StaffAlert
from shop.models.types import utcnow
from shop.services.accounts.api_keys import revoke_api_key
from shop.services.platform.idempotency import purge_idempotency_records

from ..factories import make_user
from ..payments import (
    Api,
    authorized,
    captured,
    count,
    fresh,
    make_order,
    pay,
    sandbox_requests,
)

ENDPOINTS = [("post", "/attempt"), ("post", "/capture"), ("post", "/void"),
             ("post", "/refund"), ("get", ""), ("get", "/reconciliation"),
             ("post", "/reconciliation"), ("get", "/1")]


@pytest.fixture
def staff(clean_app, store):
    return Api.staff(clean_app, make_user(store=store))


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


# --- who may call --------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_is_401(client, store, method, path):
    response = getattr(Api(client), method)(path, *([{}] if method == "post" else []))
    assert error(response) == (401, "authentication_required")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_shopper_is_403(clean_app, store, method, path):
    api = Api.staff(clean_app, make_user())
    response = getattr(api, method)(path, *([{}] if method == "post" else []))
    assert error(response) == (403, "forbidden")


def test_staff_post_without_csrf_header_is_refused(clean_app, store, product, stripe_client):
    attempt = authorized(store, product, stripe_client)
    api = Api.staff(clean_app, make_user(store=store))
    del api.headers["X-CSRFToken"]
    assert error(api.post("/capture", {"attempt_id": attempt.id})) == (400, "csrf_failed")
    api.headers["X-CSRFToken"] = "forged"
    assert error(api.post("/capture", {"attempt_id": attempt.id})) == (400, "csrf_failed")
    assert fresh(PaymentAttempt, attempt.id).status == "authorized"
    assert api.get().status_code == 200  # reads need no token


def test_api_key_needs_no_csrf_and_bad_keys_are_401(clean_app, store, product, stripe_client):
    attempt = authorized(store, product, stripe_client)
    api = Api.key(clean_app, store)
    token = api.headers["Authorization"].split(" ", 1)[1]
    for bad in ("Bearer nonsense", "Bearer " + token[:-2] + "xx", "Basic " + token, "Bearer "):
        response = api.client.post("/api/payments/capture", json={"attempt_id": attempt.id},
                                   headers={"Authorization": bad})
        assert error(response) == (401, "invalid_api_key")
    assert api.post("/capture", {"attempt_id": attempt.id}).status_code == 200
    key = db.session.scalar(select(ApiKey))
    assert key.last_used_at is not None and token[4:16] == key.prefix
    assert token not in {key.key_hash, key.prefix}
    revoke_api_key(prefix=key.prefix)
    assert error(api.get()) == (401, "invalid_api_key")


def test_create_api_key_command_prints_the_key_once(clean_app, store):
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["shop", "create-api-key", "ERP", "--store", store.slug])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("shk_")
    key = db.session.scalar(select(ApiKey))
    assert key.name == "ERP" and token not in key.key_hash
    assert Api(clean_app.test_client(), token=token).get().status_code == 200
    missing = runner.invoke(args=["shop", "create-api-key", "X", "--store", "nope"])
    assert missing.exit_code != 0 and "No store 'nope'" in missing.output
    revoked = runner.invoke(args=["shop", "revoke-api-key", key.prefix])
    assert revoked.exit_code == 0
    assert fresh(ApiKey, key.id).revoked_at is not None


# --- store scoping -------------------------------------------------------------------------

@pytest.mark.parametrize("caller", ["staff", "api_key"])
def test_another_stores_payments_are_invisible(clean_app, store, product, other_store,
                                               other_product, stripe_client, caller):
    mine = captured(store, product, stripe_client)
    theirs_auth = authorized(other_store, other_product, stripe_client)
    theirs_paid = captured(other_store, other_product, stripe_client)
    theirs_order = make_order(other_store, other_product, attempt=False)
    api = (Api.staff(clean_app, make_user(store=store)) if caller == "staff"
           else Api.key(clean_app, store))

    listed = api.get().get_json()
    assert [item["id"] for item in listed["items"]] == [mine.id]
    assert listed["total"] == 1
    assert error(api.get(f"/{theirs_paid.id}")) == (404, "not_found")
    assert error(api.post("/capture", {"attempt_id": theirs_auth.id})) == (404, "not_found")
    assert error(api.post("/void", {"attempt_id": theirs_auth.id})) == (404, "not_found")
    assert error(api.post("/refund", {"attempt_id": theirs_paid.id})) == (404, "not_found")
    assert error(api.post("/attempt", {"order_id": theirs_order.id}, key="k1")) == (
        404, "not_found")
    assert api.get(order_id=theirs_paid.order_id).get_json()["total"] == 0
    assert fresh(PaymentAttempt, theirs_auth.id).status == "authorized"
    assert fresh(PaymentAttempt, theirs_paid.id).status == "captured"
    assert count(PaymentAttempt, PaymentAttempt.order_id == theirs_order.id) == 0
    # A missing id answers exactly like another store's.
    assert api.post("/capture", {"attempt_id": 999999}).get_json() == api.post(
        "/capture", {"attempt_id": theirs_auth.id}).get_json()


def test_staff_of_two_stores_see_both(clean_app, store, product, other_store, other_product,
                                      stripe_client):
    user = make_user(store=store)
    from shop.services.accounts.users import grant_role

    grant_role(user_id=user.id, store_id=other_store.id, role=Role.STAFF)
    a = captured(store, product, stripe_client)
    b = captured(other_store, other_product, stripe_client)
    api = Api.staff(clean_app, user)
    assert sorted(i["id"] for i in api.get().get_json()["items"]) == sorted([a.id, b.id])
    assert api.post("/refund", {"attempt_id": b.id, "amount": 100}).status_code == 200


def test_reconciliation_is_scoped(clean_app, store, product, other_store, other_product,
                                  stripe_client):
    api = Api.key(clean_app, store)
    mine, theirs = (authorized(s, p, stripe_client) for s, p in
                    ((store, product), (other_store, other_product)))
    stale = utcnow() - timedelta(hours=1)
    db.session.execute(PaymentAttempt.__table__.update().values(status="authorizing",
                                                                updated_at=stale))
    db.session.commit()
    body = api.get("/reconciliation").get_json()
    assert [a["id"] for a in body["stuck"]] == [mine.id]
    assert body["stuck_minutes"] == 15 and body["last_run"] is None
    [run] = api.post("/reconciliation").get_json()["runs"]
    assert (run["examined"], run["fixed"]) == (1, 1)
    assert fresh(PaymentAttempt, mine.id).status == "authorized"
    assert fresh(PaymentAttempt, theirs.id).status == "authorizing"  # not this caller's
    assert api.get("/reconciliation").get_json()["last_run"]["id"] == run["id"]


def test_a_payment_still_authorizing_cannot_be_voided(clean_app, store, product, stripe_client,
                                                      stripe_sandbox):
    """AUTHORIZING (the shopper is in 3-D Secure) is not a valid state for void: 409, nothing
    changes, and Stripe is never asked to cancel."""
    attempt = pay(stripe_client, make_order(store, product), card="pm_card_authenticationRequired")
    assert attempt.status == "authorizing"
    api = Api.key(clean_app, store)
    response = api.post("/void", {"attempt_id": attempt.id, "reason": "changed mind"})
    assert error(response) == (409, "illegal_transition")
    assert "authorizing" in response.get_json()["error"]["message"]
    assert sandbox_requests(stripe_sandbox, "POST",
                            f"/v1/payment_intents/{attempt.provider_reference}/cancel") == []
    assert fresh(PaymentAttempt, attempt.id).status == "authorizing"
    assert api.get(f"/{attempt.id}").get_json()["attempt"]["transactions"] == []


def test_another_stores_runs_and_staff_are_never_shown(clean_app, store, product, other_store,
                                                       other_product, stripe_client):
    """Store B's owner reconciles; store A's key sees neither B's run nor the owner's e-mail,
    and the periodic job's runs are recorded per store with each store's own figures."""
    theirs = authorized(other_store, other_product, stripe_client)
    db.session.execute(PaymentAttempt.__table__.update().values(
        status="authorizing", updated_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    owner_b = make_user("owner-b@example.com", store=other_store, role=Role.OWNER)
    [run_b] = Api.staff(clean_app, owner_b).post("/reconciliation").get_json()["runs"]
    assert (run_b["store_id"], run_b["trigger"], run_b["fixed"]) == (
        other_store.id, "staff:owner-b@example.com", 1)
    assert fresh(PaymentAttempt, theirs.id).status == "authorized"

    api_a = Api.key(clean_app, store)
    seen = api_a.get("/reconciliation")
    assert seen.get_json()["last_run"] is None
    assert "owner-b@example.com" not in seen.get_data(as_text=True)

    from shop.jobs.periodic import reconcile_payments

    assert reconcile_payments()["stores"] == 2
    mine = api_a.get("/reconciliation").get_json()["last_run"]
    assert (mine["store_id"], mine["trigger"], mine["examined"]) == (store.id, "job", 0)
    [again_a] = api_a.post("/reconciliation").get_json()["runs"]
    assert again_a["store_id"] == store.id
    assert api_a.get("/reconciliation").get_json()["last_run"]["id"] == again_a["id"]


# --- idempotent creation -------------------------------------------------------------------

def test_same_key_same_body_returns_the_same_attempt(staff, store, product):
    order = make_order(store, product, attempt=False)
    first = staff.post("/attempt", {"order_id": order.id}, key="order-1-try-1")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["is_existing"] is False
    assert body["attempt"]["status"] == "initiated"
    assert body["attempt"]["provider_reference"].startswith("pi_")
    assert body["attempt"]["amount"] == order.total  # the order's, never the caller's
    again = staff.post("/attempt", {"order_id": order.id}, key="order-1-try-1")
    assert again.status_code == 201
    assert again.get_json()["is_existing"] is True
    assert again.get_json()["attempt"]["id"] == body["attempt"]["id"]
    assert count(PaymentAttempt) == 1
    other_key = staff.post("/attempt", {"order_id": order.id}, key="order-1-try-2")
    assert error(other_key) == (409, "attempt_exists")


def test_same_key_different_body_is_422(staff, store, product):
    order = make_order(store, product, attempt=False)
    other = make_order(store, product, attempt=False)
    assert staff.post("/attempt", {"order_id": order.id}, key="k").status_code == 201
    assert error(staff.post("/attempt", {"order_id": other.id}, key="k")) == (
        422, "idempotency_key_reused")
    assert error(staff.post("/attempt", {"order_id": order.id, "capture_method": "automatic"},
                            key="k")) == (422, "idempotency_key_reused")
    assert count(PaymentAttempt) == 1


def test_missing_or_bad_key_is_400(staff, store, product):
    order = make_order(store, product, attempt=False)
    assert error(staff.post("/attempt", {"order_id": order.id})) == (
        400, "idempotency_key_missing")
    assert error(staff.post("/attempt", {"order_id": order.id}, key="x" * 256)) == (
        400, "idempotency_key_invalid")
    assert count(PaymentAttempt) == 0


def test_a_duplicate_while_the_first_runs_is_409(clean_app, store, product, fault_proxy):
    order_id = make_order(store, product, attempt=False).id
    api = Api.key(clean_app, store)
    hold = fault_proxy.add("POST", "/v1/payment_intents", "hold", times=1)
    first: dict = {}

    def create():
        response = api.post("/attempt", {"order_id": order_id}, key="slow")
        first.update(status=response.status_code, body=response.get_json())

    thread = threading.Thread(target=create)
    thread.start()
    assert hold.held.acquire(timeout=30), "the first request never reached Stripe"
    # The first request holds the key and waits on Stripe: a duplicate is refused.
    duplicate = api.post("/attempt", {"order_id": order_id}, key="slow")
    assert error(duplicate) == (409, "idempotency_key_in_use")
    hold.gate.set()
    thread.join(30)
    assert first["status"] == 201
    replay = api.post("/attempt", {"order_id": order_id}, key="slow")
    assert replay.get_json()["attempt"]["id"] == first["body"]["attempt"]["id"]
    assert count(PaymentAttempt) == 1
    assert fault_proxy.count("POST", "/v1/payment_intents") == 1


def test_concurrent_duplicates_create_one_attempt(clean_app, store, product):
    from .test_races import run_together

    order_id = make_order(store, product, attempt=False).id
    api = Api.key(clean_app, store)

    def create():
        response = api.post("/attempt", {"order_id": order_id}, key="race")
        return response.status_code, response.get_json()

    results = run_together(*[create] * 4)
    created = {body["attempt"]["id"] for status, body in results if status == 201}
    assert len(created) == 1
    assert {status for status, _ in results} <= {201, 409}
    assert count(PaymentAttempt) == 1


def test_idempotency_records_expire_after_24_hours(staff, store, product):
    order = make_order(store, product, attempt=False)
    staff.post("/attempt", {"order_id": order.id}, key="old")
    assert purge_idempotency_records(older_than=utcnow() - timedelta(hours=24)) == 0
    assert purge_idempotency_records(older_than=utcnow() + timedelta(seconds=1)) == 1
    assert count(IdempotencyRecord) == 0


def test_purge_command(clean_app, staff, store, product):
    order = make_order(store, product, attempt=False)
    staff.post("/attempt", {"order_id": order.id}, key="recent")
    result = clean_app.test_cli_runner().invoke(args=["shop", "purge-idempotency"])
    assert result.exit_code == 0 and "0 idempotency records deleted" in result.output
    assert count(IdempotencyRecord) == 1


def test_capture_with_an_idempotency_key_is_replayed_not_repeated(clean_app, store, product,
                                                                  stripe_client,
                                                                  stripe_sandbox):
    from ..payments import sandbox_requests

    attempt = authorized(store, product, stripe_client)
    api = Api.key(clean_app, store)
    first = api.post("/capture", {"attempt_id": attempt.id}, key="cap")
    again = api.post("/capture", {"attempt_id": attempt.id}, key="cap")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json()["is_existing"] is True
    assert again.get_json()["transaction"] == first.get_json()["transaction"]
    path = f"/v1/payment_intents/{attempt.provider_reference}/capture"
    assert len(sandbox_requests(stripe_sandbox, "POST", path)) == 1
    assert error(api.post("/capture", {"attempt_id": attempt.id})) == (
        409, "illegal_transition")


# --- listing -------------------------------------------------------------------------------

def test_list_filters_and_real_pagination(staff, store, product, stripe_client):
    paid = [captured(store, product, stripe_client, email=f"p{i}@example.com")
            for i in range(3)]
    held = authorized(store, product, stripe_client, email="held@example.com")
    page = staff.get(per_page=2).get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (4, 2, 2)
    second = staff.get(per_page=2, page=2).get_json()
    ids = [i["id"] for i in page["items"] + second["items"]]
    assert sorted(ids) == sorted([a.id for a in paid] + [held.id])
    assert staff.get(status="captured").get_json()["total"] == 3
    assert [i["id"] for i in staff.get(status="authorized").get_json()["items"]] == [held.id]
    assert staff.get(order_id=held.order_id).get_json()["total"] == 1
    assert [i["id"] for i in staff.get(q="HELD@").get_json()["items"]] == [held.id]
    assert [i["id"] for i in staff.get(q=held.provider_reference).get_json()["items"]] == [
        held.id]
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    assert staff.get(created_from=tomorrow).get_json()["total"] == 0
    assert staff.get(created_to=tomorrow).get_json()["total"] == 4
    item = staff.get(status="captured", per_page=1).get_json()["items"][0]
    assert [t["kind"] for t in item["transactions"]] == ["auth", "capture"]
    assert item["ledger"]["refundable"] == item["amount"]


@pytest.mark.parametrize("params", [{"status": "paid"}, {"page": "0"}, {"per_page": "101"},
                                    {"created_from": "yesterday"}, {"expiring": "yes"},
                                    {"order_id": "-1"}])
def test_bad_list_parameters_are_422(staff, store, params):
    assert error(staff.get(**params)) == (422, "validation_error")


def test_expiring_authorizations_are_listed_and_alerted(clean_app, staff, store, product,
                                                        stripe_client):
    from shop.services.platform.alerts import alert_expiring_authorizations

    soon = authorized(store, product, stripe_client)
    later = authorized(store, product, stripe_client)
    db.session.execute(PaymentAttempt.__table__.update().where(PaymentAttempt.id == soon.id)
                       .values(capture_before=utcnow() + timedelta(hours=6)))
    db.session.commit()
    assert fresh(PaymentAttempt, later.id).capture_before > utcnow() + timedelta(days=6)
    assert [i["id"] for i in staff.get(expiring=1).get_json()["items"]] == [soon.id]
    assert alert_expiring_authorizations() == 1
    result = clean_app.test_cli_runner().invoke(args=["shop", "alert-expiring-authorizations"])
    assert result.exit_code == 0 and "1 authorizations expire" in result.output
    alerts = db.session.scalars(select(StaffAlert)).all()
    assert [(a.kind, a.attempt_id) for a in alerts] == [("authorization_expiring", soon.id)]
    # Six days on, the other one is due too.
    assert alert_expiring_authorizations(now=utcnow() + timedelta(days=6, hours=12)) == 2
    assert count(StaffAlert) == 2


@pytest.mark.parametrize(("path", "body", "code"), [
    ("/capture", {}, "validation_error"),
    ("/capture", {"attempt_id": "1"}, "validation_error"),
    ("/capture", {"attempt_id": 1, "amount": 0}, "validation_error"),
    ("/refund", {"attempt_id": 1, "reason": "because"}, "validation_error"),
    ("/void", {"attempt_id": 1, "extra": True}, "validation_error"),
    ("/capture", [1], "invalid_json"),
])
def test_bad_bodies_are_refused(staff, store, path, body, code):
    response = staff.post(path, body)
    assert error(response)[1] == code


def test_refund_over_the_balance_through_the_api(staff, store, product, stripe_client):
    attempt = captured(store, product, stripe_client)
    response = staff.post("/refund", {"attempt_id": attempt.id, "amount": attempt.amount + 1})
    assert error(response) == (422, "refund_exceeds_balance")
    ok = staff.post("/refund", {"attempt_id": attempt.id, "amount": 100, "note": "dented"})
    assert ok.status_code == 200
    assert ok.get_json()["attempt"]["ledger"]["refundable"] == attempt.amount - 100


def test_an_id_beyond_32_bits_is_simply_not_found(staff, store):
    # Found by schemathesis on PostgreSQL, which refused the comparison (a 500).
    assert error(staff.get(f"/{2**31}")) == (404, "not_found")

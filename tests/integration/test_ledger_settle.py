"""The settle function writes the ledger: AUTH and CAPTURE once each, whoever applies the
intent and however often; capture expiry stored; retries planned only when worth it."""

from datetime import timedelta

from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, PaymentAttempt, PaymentTransaction
from shop.models.types import utcnow
from shop.services.payments.reconciliation import run_reconciliation
from shop.services.payments.settle import settle_payment

from ..payments import Api, attempt_moves, authorized, count, fresh, make_order, pay
from ..shopper import CARD_OK, intent_id_from_secret, post_event, sandbox_events
from .test_races import run_together


def ledger_rows(attempt_id):
    db.session.rollback()
    return [(r.kind, r.status, r.amount) for r in db.session.scalars(
        select(PaymentTransaction).where(PaymentTransaction.attempt_id == attempt_id)
        .order_by(PaymentTransaction.id))]


def test_automatic_capture_writes_auth_then_capture_once(shopper, browser, client,
                                                         stripe_client, product):
    shopper.add(product, 2)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    intent_id = intent_id_from_secret(secret)
    browser.confirm(secret, CARD_OK)
    shopper.return_from_stripe(token, intent_id)
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
    assert post_event(client, event).get_json()["outcome"] == "processed"
    settle_payment(intent_id=intent_id, actor="test")  # a third time
    attempt = db.session.scalar(select(PaymentAttempt))
    total = db.session.scalar(select(Order.total))
    assert ledger_rows(attempt.id) == [("auth", "succeeded", total),
                                       ("capture", "succeeded", total)]
    assert attempt_moves(attempt.id) == [(None, "initiated"), ("initiated", "authorizing"),
                                         ("authorizing", "authorized"),
                                         ("authorized", "captured")]


def test_concurrent_settles_write_one_auth_and_one_capture(clean_app, store, product,
                                                           stripe_client):
    order = make_order(store, product, capture_method="automatic")
    attempt = pay(stripe_client, order, card="pm_card_visa")
    # Reset to what a webhook and a return racing on a fresh payment would see.
    db.session.execute(PaymentTransaction.__table__.delete())
    db.session.execute(PaymentAttempt.__table__.update().values(status="initiated"))
    db.session.commit()

    intent_id, attempt_id = attempt.provider_reference, attempt.id

    def settle():
        with clean_app.app_context():
            settle_payment(intent_id=intent_id, actor="race")

    run_together(*[settle] * 4)
    assert ledger_rows(attempt_id) == [("auth", "succeeded", 1650),
                                       ("capture", "succeeded", 1650)]


def test_manual_capture_end_to_end(manual_capture, clean_app, shopper, browser, client,
                                   stripe_client, product, store):
    from ..factories import make_user

    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    intent_id = intent_id_from_secret(secret)
    assert browser.confirm(secret, CARD_OK).status == "requires_capture"
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.amount_capturable_updated")
    assert post_event(client, event).get_json()["outcome"] == "processed"
    order = db.session.scalar(select(Order).where(Order.token == token))
    assert (order.status, order.payment_status) == ("pending", "authorized")
    attempt = db.session.scalar(select(PaymentAttempt))
    assert (attempt.status, attempt.capture_method) == ("authorized", "manual")
    charge = stripe_client.v1.charges.retrieve(
        stripe_client.v1.payment_intents.retrieve(intent_id).latest_charge)
    assert attempt.capture_before.timestamp() == charge.payment_method_details.card.capture_before
    total = order.total
    assert ledger_rows(attempt.id) == [("auth", "succeeded", total)]

    staff = Api.staff(clean_app, make_user(store=store))
    response = staff.post("/capture", {"attempt_id": attempt.id})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["attempt"]["status"] == "captured"
    assert body["attempt"]["ledger"]["captured"] == total
    assert body["transaction"]["kind"] == "capture"
    paid = fresh(Order, order.id)
    assert (paid.status, paid.payment_status) == ("paid", "paid")
    assert ledger_rows(attempt.id) == [("auth", "succeeded", total),
                                       ("capture", "succeeded", total)]
    assert attempt_moves(attempt.id)[-1] == ("authorized", "captured")
    # The capture's own webhooks arrive later and change nothing.
    for kind in ("payment_intent.succeeded",):
        [late] = sandbox_events(stripe_client, intent_id, kind)
        assert post_event(client, late).status_code == 200
    assert ledger_rows(attempt.id) == [("auth", "succeeded", total),
                                       ("capture", "succeeded", total)]


def test_processing_error_schedules_a_retry(store, product, stripe_client):
    before = utcnow()
    attempt = pay(stripe_client, make_order(store, product),
                  card="pm_card_chargeDeclinedProcessingError")
    assert (attempt.status, attempt.attempt_count) == ("initiated", 1)
    assert attempt.last_error_code == "processing_error"
    assert before + timedelta(seconds=15) <= attempt.next_retry_at
    assert attempt.next_retry_at <= utcnow() + timedelta(seconds=30)


def test_a_decline_is_never_retried(store, product, stripe_client):
    attempt = pay(stripe_client, make_order(store, product),
                  card="pm_card_visa_chargeDeclinedInsufficientFunds")
    assert (attempt.attempt_count, attempt.last_error_code) == (1, "insufficient_funds")
    assert attempt.next_retry_at is None


def test_unreachable_stripe_schedules_a_retry_that_reconciliation_makes(
        clean_app, store, product, fault_proxy):
    order = make_order(store, product, attempt=False)
    from ..factories import make_user

    staff = Api.staff(clean_app, make_user(store=store))
    fault_proxy.add("POST", "/v1/payment_intents", "drop")
    response = staff.post("/attempt", {"order_id": order.id}, key="create-1")
    assert response.status_code == 201
    body = response.get_json()["attempt"]
    assert body["provider_reference"] is None
    assert (body["attempt_count"], body["last_error"]["code"]) == (1, "api_connection_error")
    attempt = fresh(PaymentAttempt, body["id"])
    assert attempt.next_retry_at > utcnow()

    fault_proxy.clear()
    run_reconciliation(trigger="test", now=attempt.next_retry_at - timedelta(seconds=1))
    assert fresh(PaymentAttempt, attempt.id).provider_reference is None  # not due yet
    [run] = run_reconciliation(trigger="test",
                               now=attempt.next_retry_at + timedelta(seconds=1))
    retried = fresh(PaymentAttempt, attempt.id)
    assert retried.provider_reference.startswith("pi_")
    assert retried.next_retry_at is None
    assert run.fixed == 1
    assert count(PaymentAttempt) == 1


def test_capture_before_defaults_to_seven_days_when_stripe_omits_it(store, product,
                                                                    stripe_client):
    from shop.providers.stripe_gateway import Intent
    from shop.services.payments.ledger import record_intent

    attempt = authorized(store, product, stripe_client)
    intent = Intent(id=attempt.provider_reference, status="requires_capture", amount=1650,
                    currency="USD", last_error=None, capture_method="manual")
    db.session.commit()
    before = utcnow()
    with db.session.begin():
        locked = db.session.get(PaymentAttempt, attempt.id)
        locked.capture_before = None
        record_intent(db.session, locked, intent, actor="test")
    expiry = fresh(PaymentAttempt, attempt.id).capture_before
    assert before + timedelta(days=7) <= expiry <= utcnow() + timedelta(days=7)


def test_one_audit_row_per_transition(manual_capture, clean_app, shopper, browser, client,
                                      stripe_client, product, store):
    from shop.models import AuditEvent

    from ..factories import make_user

    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    intent_id = intent_id_from_secret(secret)
    browser.confirm(secret, CARD_OK)
    for _ in range(2):  # the return and the webhook, each twice
        shopper.return_from_stripe(token, intent_id)
        for kind in ("payment_intent.created", "payment_intent.amount_capturable_updated"):
            for event in sandbox_events(stripe_client, intent_id, kind):
                post_event(client, event)
    attempt = db.session.scalar(select(PaymentAttempt))
    staff = Api.staff(clean_app, make_user(store=store))
    assert staff.post("/capture", {"attempt_id": attempt.id}).status_code == 200
    assert staff.post("/capture", {"attempt_id": attempt.id}).status_code == 409
    assert staff.post("/refund", {"attempt_id": attempt.id, "amount": 100}).status_code == 200
    db.session.rollback()
    audit = db.session.execute(
        select(AuditEvent.entity_type, AuditEvent.from_state, AuditEvent.to_state,
               AuditEvent.actor).where(AuditEvent.action.in_(
                   ["payment_state_change", "payment_status_change", "order_state_change"]))
        .order_by(AuditEvent.id)).all()
    moves = [(kind, old, new) for kind, old, new, _actor in audit]
    assert moves == [
        ("payment_attempt", None, "initiated"),
        ("payment_attempt", "initiated", "authorizing"),
        ("payment_attempt", "authorizing", "authorized"),
        ("order", "unpaid", "authorized"),
        ("payment_attempt", "authorized", "captured"),
        ("order", "authorized", "paid"),
        ("order", "pending", "paid"),
        ("order", "paid", "partially_refunded"),
    ]
    actors = {new: actor for kind, _old, new, actor in audit if kind == "payment_attempt"}
    assert actors["captured"].startswith("staff:")
    assert actors["initiated"] == "shopper:ada@example.com"


def test_intent_creation_is_tried_at_most_max_tries_then_a_person_is_told(
        clean_app, store, product, fault_proxy):
    from shop.domain.retry import MAX_TRIES
    from shop.services.platform.alerts import PAYMENT_CREATION_FAILED

    from ..factories import make_user
    from .test_stripe_refusals import open_alerts

    order = make_order(store, product, attempt=False)
    staff = Api.staff(clean_app, make_user(store=store))
    fault_proxy.add("POST", "/v1/payment_intents", "drop")
    body = staff.post("/attempt", {"order_id": order.id}, key="create-1").get_json()["attempt"]
    attempt = fresh(PaymentAttempt, body["id"])
    while attempt.next_retry_at is not None:  # reconciliation retries while tries are left
        assert open_alerts(PAYMENT_CREATION_FAILED) == []
        run_reconciliation(trigger="test", now=attempt.next_retry_at + timedelta(seconds=1))
        attempt = fresh(PaymentAttempt, attempt.id)
    assert attempt.attempt_count == MAX_TRIES
    assert fault_proxy.count("POST", "/v1/payment_intents") >= MAX_TRIES
    [alert] = open_alerts(PAYMENT_CREATION_FAILED)
    assert alert.order_id == order.id
    assert f"after {MAX_TRIES} tries" in alert.message

    fault_proxy.clear()
    run_reconciliation(trigger="test", now=utcnow() + timedelta(days=1))
    assert fresh(PaymentAttempt, attempt.id).provider_reference is None  # not retried again

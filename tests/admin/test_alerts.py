"""Threshold alerts (issue 22): each kind opens once with its figures, is e-mailed to the
owners once, resolves itself after a clear window and stays quiet below the minimum
sample; the signed alert webhook; /admin/alerts (filter, resolve with a note, the badge)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from shop.domain import alert_rules as rules
from shop.extensions import db
from shop.models import (
    AlertSettings,
    InventoryHold,
    OutboxMessage,
    PaymentAttempt,
    StaffAlert,
    StripeEvent,
)
from shop.models.types import utcnow
from shop.services.notifications.outbox import dispatch_pending
from shop.services.platform.alerts import STRIPE_REFUSED, raise_alert
from shop.services.platform.thresholds import evaluate_alerts
from shop.services.platform.tx import write_transaction

from ..factories import make_product
from ..shopper import clear_outbox, outbox
from .helpers import field_error, make_order, open_alert, post
from .money import audit_rows


@pytest.fixture
def mailbox(clean_app):
    clear_outbox(clean_app)
    return lambda: outbox(clean_app)


def alerts_of(kind: str) -> list[StaffAlert]:
    db.session.rollback()
    return list(db.session.scalars(select(StaffAlert).where(StaffAlert.kind == kind)
                                   .order_by(StaffAlert.id)))


def alert_mails(mailbox, kind: str) -> list:
    return [m for m in mailbox() if kind.replace("_", " ") in m["Subject"]]


# --- each threshold kind: (breach, below the minimum, clear) ----------------------------

def _attempts(store, product, *, good: int, failed: int):
    for _ in range(good):
        make_order(store, product=product, attempt="captured", hold=None)
    for _ in range(failed):
        make_order(store, product=product, attempt="failed", hold=None)


def success_breach(store, product):
    _attempts(store, product, good=15, failed=5)  # 75 % of 20 tries


def success_below_sample(store, product):
    _attempts(store, product, good=0, failed=19)  # 0 % of 19: too few to say


def _events(store, product, *, total: int, failed: int):
    make_order(store, product=product, attempt="captured", intent="pi_alerts", hold=None)
    for n in range(total):
        db.session.add(StripeEvent(id=f"evt_{n}", type="payment_intent.succeeded",
                                   payment_intent_id="pi_alerts",
                                   outcome="failed" if n < failed else "processed", tries=1,
                                   received_at=utcnow()))
    db.session.commit()


def webhook_breach(store, product):
    _events(store, product, total=20, failed=2)  # 10 % > 5 %


def webhook_below_sample(store, product):
    _events(store, product, total=19, failed=19)


def _holds(store, product, *, total: int, lapsed: int):
    for n in range(total):
        order = make_order(store, product=product)
        if n < lapsed:
            hold = db.session.scalar(select(InventoryHold).where(
                InventoryHold.order_id == order.id))
            hold.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def holds_breach(store, product):
    _holds(store, product, total=20, lapsed=5)  # 25 % > 20 %


def holds_below_sample(store, product):
    _holds(store, product, total=10, lapsed=10)


def _authorizing(store, product, minutes: int):
    order = make_order(store, product=product, attempt="authorizing", hold=None)
    attempt = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id))
    attempt.updated_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def stuck_breach(store, product):
    _authorizing(store, product, 20)  # over RECONCILE_STUCK_MINUTES (15)


def stuck_below(store, product):
    _authorizing(store, product, 5)


def stuck_clears(store):
    for attempt in db.session.scalars(select(PaymentAttempt)):
        attempt.status = "captured"
    db.session.commit()


KINDS = {
    # kind: (breach, below the minimum, how long until the condition is clear by itself)
    rules.LOW_SUCCESS_RATE: (success_breach, success_below_sample, timedelta(hours=2)),
    rules.WEBHOOK_FAILURES: (webhook_breach, webhook_below_sample, timedelta(hours=2)),
    rules.HOLD_LAPSES: (holds_breach, holds_below_sample, timedelta(days=2)),
    rules.STUCK_AUTHORIZING: (stuck_breach, stuck_below, timedelta(hours=1)),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_breach_opens_one_alert_mailed_once_then_resolves_when_clear(kind, clean_app, store,
                                                                        owner, mailbox):
    breach, _, later = KINDS[kind]
    product = make_product(store, price=1000, stock=500)
    breach(store, product)
    t0 = utcnow()
    assert evaluate_alerts(now=t0).opened == 1
    [alert] = alerts_of(kind)
    assert alert.resolved_at is None and alert.figures
    assert alert.figures.get("sample", alert.figures.get("count")) >= 1
    [mail] = alert_mails(mailbox, kind)
    assert mail["To"] == owner.email
    body = mail.get_body(("plain",)).get_content()
    assert f"{clean_app.config['BASE_URL']}/admin/alerts" in body

    # Still breached five minutes later: the same alert, no second e-mail.
    assert evaluate_alerts(now=t0 + timedelta(minutes=5)).opened == 0
    assert len(alerts_of(kind)) == 1
    assert len(alert_mails(mailbox, kind)) == 1

    if kind == rules.STUCK_AUTHORIZING:
        stuck_clears(store)
    # Clear, but not yet for a whole window since last seen: still open.
    window = {rules.STUCK_AUTHORIZING: timedelta(minutes=15)}.get(
        kind, rules.DAY if kind == rules.HOLD_LAPSES else rules.HOUR)
    if kind == rules.STUCK_AUTHORIZING:
        assert evaluate_alerts(now=t0 + timedelta(minutes=10)).resolved == 0
    result = evaluate_alerts(now=t0 + timedelta(minutes=5) + max(later, window))
    assert result.resolved == 1
    [alert] = alerts_of(kind)
    assert alert.resolved_at is not None and alert.resolved_by == "system"
    assert alert.resolved_note.startswith("clear for")
    assert ("staff_alert", "alert_resolved", "open", "resolved", "system") in \
        audit_rows(entity_type="staff_alert", entity_id=alert.id)


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_alert_below_the_minimum(kind, store, owner, mailbox):
    _, below, _ = KINDS[kind]
    below(store, make_product(store, price=1000, stock=500))
    assert evaluate_alerts().opened == 0
    assert alerts_of(kind) == []
    assert alert_mails(mailbox, kind) == []


def test_an_owner_threshold_overrides_the_default(as_owner, store, owner):
    response = post(as_owner, "/admin/settings/alerts", {
        "alert_success_rate_min": "70", "alert_min_sample": "20",
        "alert_webhook_failure_max": "5", "alert_hold_lapse_max": "20"},
        token_from="/admin/settings")
    assert response.status_code == 303
    success_breach(store, make_product(store, price=1000, stock=500))  # 75 %: fine at 70
    assert evaluate_alerts().opened == 0
    assert ("store", "alert_settings_changed", None, None, "staff:owner@example.com") in \
        audit_rows(entity_type="store")


def test_bad_thresholds_are_refused_and_change_nothing(as_owner, store, owner):
    response = post(as_owner, "/admin/settings/alerts", {
        "alert_success_rate_min": "140", "alert_min_sample": "0",
        "alert_webhook_failure_max": "x", "alert_hold_lapse_max": "20"},
        token_from="/admin/settings")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_error(html, "alert_success_rate_min") == "Choose between 0 and 100."
    assert field_error(html, "alert_min_sample") == "Choose between 1 and 10000."
    db.session.rollback()
    assert db.session.get(AlertSettings, store.id) is None
    assert audit_rows(entity_type="store") == []


def test_staff_cannot_change_alert_settings(as_staff, store, staff_user):
    response = post(as_staff, "/admin/settings/alerts", {
        "alert_success_rate_min": "10", "alert_min_sample": "20",
        "alert_webhook_failure_max": "5", "alert_hold_lapse_max": "20"})
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.get(AlertSettings, store.id) is None


def test_alerts_raised_by_events_are_mailed_once_too(store, owner, mailbox):
    for _ in range(2):
        with write_transaction() as session:
            raise_alert(session, store_id=store.id, kind=STRIPE_REFUSED,
                        message="Stripe refused to create a payment (parameter_unknown).")
    assert len(alerts_of(STRIPE_REFUSED)) == 1
    [mail] = alert_mails(mailbox, STRIPE_REFUSED)
    assert "parameter_unknown" in mail.get_body(("plain",)).get_content()


# --- the signed webhook -----------------------------------------------------------------

class Receiver:
    """A loopback HTTP server that records each POST and answers the statuses given."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/shop"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    servers: list[Receiver] = []

    def start(statuses):
        servers.append(Receiver(statuses))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def verify(secret: str, header: str, body: bytes) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def set_webhook(client, url: str) -> str:
    response = post(client, "/admin/settings/alerts", {
        "alert_success_rate_min": "90", "alert_min_sample": "20",
        "alert_webhook_failure_max": "5", "alert_hold_lapse_max": "20",
        "alert_webhook_url": url}, token_from="/admin/settings")
    assert response.status_code == 200
    match = re.search(r'id="alert-secret"[^>]*value="(whsec_[0-9a-f]+)"',
                      response.get_data(as_text=True))
    assert match, "the new secret is shown once"
    return match.group(1)


def test_the_webhook_is_signed_and_a_failing_receiver_is_retried(as_owner, store, owner,
                                                                 receiver):
    hook = receiver([500])
    secret = set_webhook(as_owner, hook.url)
    # The secret is not kept: only its nonce; the settings page no longer shows it.
    db.session.rollback()
    assert secret not in json.dumps({c.name: str(getattr(
        db.session.get(AlertSettings, store.id), c.name)) for c in AlertSettings.__table__.c})
    assert secret not in as_owner.get("/admin/settings").get_data(as_text=True)

    stuck_breach(store, make_product(store, price=1000, stock=5))
    evaluate_alerts()
    assert len(hook.received) == 1  # answered 500: not delivered
    db.session.rollback()
    row = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.job == "post_alert_webhook"))
    assert row.dispatched_at is None and "answered 500" in row.last_error

    assert dispatch_pending(now=utcnow() + timedelta(minutes=5)) >= 1
    assert len(hook.received) == 2
    for headers, body in hook.received:
        assert headers["Content-Type"] == "application/json"
        assert verify(secret, headers["X-Shop-Signature"], body)
        assert not verify(secret, headers["X-Shop-Signature"], body + b" ")
    payload = json.loads(hook.received[-1][1])
    assert payload["type"] == "alert.opened"
    assert payload["kind"] == rules.STUCK_AUTHORIZING
    assert payload["figures"]["count"] == 1
    db.session.rollback()
    assert db.session.get(OutboxMessage, row.id).dispatched_at is not None


def test_a_new_secret_replaces_the_old_one(as_owner, store, owner, receiver):
    hook = receiver([])
    first = set_webhook(as_owner, hook.url)
    response = post(as_owner, "/admin/settings/alerts", {
        "alert_success_rate_min": "90", "alert_min_sample": "20",
        "alert_webhook_failure_max": "5", "alert_hold_lapse_max": "20",
        "alert_webhook_url": hook.url, "alert_new_secret": "y"}, token_from="/admin/settings")
    second = re.search(r'value="(whsec_[0-9a-f]+)"', response.get_data(as_text=True)).group(1)
    assert second != first
    with write_transaction() as session:
        raise_alert(session, store_id=store.id, kind=STRIPE_REFUSED, message="refused")
    [(headers, body)] = hook.received
    assert verify(second, headers["X-Shop-Signature"], body)
    assert not verify(first, headers["X-Shop-Signature"], body)


def test_the_webhook_links_to_base_url_never_the_requests_host(clean_app, as_owner, store,
                                                              owner, receiver):
    hook = receiver([])
    set_webhook(as_owner, hook.url)
    alert_id = open_alert(store)
    page = f"/admin/alerts/{alert_id}/resolve"
    response = post(as_owner, page, {"note": "Fixed the key."}, token_from=page,
                    headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 303
    opened, resolved = (json.loads(body) for _, body in hook.received)
    assert (opened["type"], resolved["type"]) == ("alert.opened", "alert.resolved")
    assert resolved["note"] == "Fixed the key."
    assert resolved["url"] == f"{clean_app.config['BASE_URL']}/admin/alerts"


def test_a_webhook_url_must_be_http(as_owner, store, owner):
    response = post(as_owner, "/admin/settings/alerts", {
        "alert_success_rate_min": "90", "alert_min_sample": "20",
        "alert_webhook_failure_max": "5", "alert_hold_lapse_max": "20",
        "alert_webhook_url": "file:///etc/passwd"}, token_from="/admin/settings")
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "alert_webhook_url")
    db.session.rollback()
    assert db.session.get(AlertSettings, store.id) is None

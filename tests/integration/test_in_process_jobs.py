"""Without REDIS_URL (the embedded default): jobs run in-process after commit, failures stay
in the outbox for the next run, and the periodic jobs run from the CLI."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shop.extensions import db
from shop.jobs.periodic import PERIODIC
from shop.jobs.registry import UnknownJob
from shop.models import InventoryHold, Order, OutboxMessage, SentEmail, StripeEvent
from shop.models.types import utcnow
from shop.services.notifications.outbox import emit
from shop.services.platform.tx import write_transaction
from shop.services.webhooks.events import purge_webhook_events

from ..background import app_settings
from ..services import free_port
from ..shopper import CARD_OK, intent_id_from_secret


def order_for(token: str) -> Order:
    db.session.rollback()
    return db.session.scalar(select(Order).where(Order.token == token))


@pytest.fixture
def placed(shopper, product):
    shopper.add(product, 1)
    token = shopper.checkout()
    return token, shopper.client_secret(token)


def test_run_periodic_expires_lapsed_holds_without_redis(app, placed, stripe_client):
    token, secret = placed
    db.session.execute(update(InventoryHold).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["shop", "run-periodic", "--only",
                                                "expire_holds"])
    assert result.exit_code == 0, result.output
    # The order has a PaymentIntent: the periodic job hands it to close_lapsed_orders, which
    # ran in-process after the commit (Stripe asked first, then the order closed).
    assert "expire_holds: {'expired': 0, 'holds_released': 0, 'handed_on': 1, 'batches': 1}" \
        in result.output
    assert order_for(token).status == "expired"
    assert stripe_client.v1.payment_intents.retrieve(
        intent_id_from_secret(secret)).status == "canceled"
    # The expiry e-mail ran in-process right after the commit.
    assert db.session.scalar(select(SentEmail.kind)) == "order_expired"
    row = db.session.scalar(select(OutboxMessage))
    assert row.dispatched_at is not None and row.attempts == 1


def test_run_periodic_refuses_an_unknown_job(app, clean_app):
    result = app.test_cli_runner().invoke(args=["shop", "run-periodic", "--only", "nope"])
    assert result.exit_code != 0 and "unknown job" in result.output


def test_run_periodic_runs_everything(app, clean_app):
    result = app.test_cli_runner().invoke(args=["shop", "run-periodic"])
    assert result.exit_code == 0, result.output
    names = [line.split(":")[0] for line in result.output.splitlines()]
    assert names == [job.name for job in PERIODIC]


def test_a_failing_in_process_job_is_kept_and_retried(app, placed, browser, shopper):
    token, secret = placed
    browser.confirm(secret, CARD_OK)
    with app_settings(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port()):  # nobody there
        response = shopper.return_from_stripe(token, intent_id_from_secret(secret))
    assert response.status_code == 303  # the payment is recorded whatever the mail does
    assert order_for(token).payment_status == "paid"
    row = db.session.scalar(select(OutboxMessage))
    assert row.dispatched_at is None and "ConnectionRefusedError" in row.last_error
    assert row.available_at > utcnow()  # backed off
    assert db.session.scalar(select(SentEmail.id)) is None

    result = app.test_cli_runner().invoke(args=["shop", "run-periodic", "--only",
                                                "redispatch_outbox"])
    assert "redispatch_outbox: 0" in result.output  # not due yet
    db.session.execute(update(OutboxMessage).values(available_at=utcnow()))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["shop", "run-periodic", "--only",
                                                "redispatch_outbox"])
    assert "redispatch_outbox: 1" in result.output
    assert db.session.scalar(select(SentEmail.kind)) == "receipt"


def test_an_unknown_job_is_refused_before_anything_commits(clean_app):
    with pytest.raises(UnknownJob), write_transaction() as session:
        emit(session, "no_such_job", order_id=1)
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_outbox_rows_carry_json_arguments(clean_app):
    from ..factories import make_store

    make_store()
    with write_transaction() as session:
        row = emit(session, "send_receipt", order_id=12345)  # no such order: a no-op job
    assert json.loads(db.session.get(OutboxMessage, row.id).args) == {"order_id": 12345}


def test_purge_keeps_failed_events(clean_app):
    old = utcnow() - timedelta(days=40)
    for status in ("processed", "ignored", "unmatched", "failed"):
        db.session.add(StripeEvent(id=f"evt_{status}", type="payment_intent.succeeded",
                                   status=status, received_at=old, payload="{}"))
    db.session.add(StripeEvent(id="evt_new", type="x", status="processed", payload="{}"))
    db.session.commit()
    assert purge_webhook_events(older_than=timedelta(days=30)) == 3
    assert set(db.session.scalars(select(StripeEvent.id))) == {"evt_failed", "evt_new"}


def test_refund_email_job_is_ready_for_the_ledger(app, placed):
    """``send_refund_email(order_id, refund_ref)``: sent once, to a file in development."""
    from email import message_from_bytes, policy
    from pathlib import Path

    from shop.jobs.mail import send_refund_email

    token, _secret = placed
    order = order_for(token)
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    assert send_refund_email(order.id, "re_test_1", amount=1650) is True
    assert send_refund_email(order.id, "re_test_1", amount=1650) is False  # the job ran twice
    [written] = set(outbox.glob("*.eml")) - before
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["Subject"] == f"Refund for your order {order.number}"
    text = message.get_body(("plain",)).get_content()
    assert "$16.50" in text and "re_test_1" in text
    assert f"{app.config['BASE_URL']}/orders/{token}" in text
    assert db.session.scalars(select(SentEmail.kind)).all() == ["refund:re_test_1"]


def test_a_row_born_claimed_is_left_to_its_writer_until_the_lease_runs_out(clean_app):
    """The committing request hands its rows on itself; if it died first, the periodic
    dispatcher takes them once their lease has run out, and not before."""
    from shop.services.notifications.outbox import LEASE, dispatch_pending
    from shop.services.platform.tx import tx_local

    from ..factories import make_store

    make_store()
    with write_transaction() as session:
        emit(session, "send_receipt", order_id=12345)  # no such order: a no-op job
        tx_local(session)["after_commit"].clear()  # the process dies right after the commit
    assert dispatch_pending() == 0
    assert dispatch_pending(now=utcnow() + LEASE + timedelta(seconds=1)) == 1
    row = db.session.scalar(select(OutboxMessage))
    assert row.dispatched_at is not None and row.attempts == 2

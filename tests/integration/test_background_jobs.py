"""Jobs on real Redis, run by real RQ workers in burst mode (each in its own process)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from rq.registry import FinishedJobRegistry
from sqlalchemy import func, select, update

from shop.extensions import db
from shop.jobs.periodic import PERIODIC
from shop.models import (
    AuditEvent,
    InventoryHold,
    Order,
    OutboxMessage,
    PaymentTransaction,
    Product,
    SentEmail,
)
from shop.models.types import utcnow
from shop.services.notifications.mail import resend_receipt
from shop.services.notifications.outbox import dispatch_pending

from ..background import app_settings, run_worker
from ..shopper import CARD_OK, Shopper, intent_id_from_secret


def order_for(token: str) -> Order:
    db.session.rollback()
    return db.session.scalar(select(Order).where(Order.token == token))


def lapse_holds(order_id: int) -> None:
    db.session.execute(update(InventoryHold).where(InventoryHold.order_id == order_id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()


def hold_states(order_id: int) -> list[str]:
    return db.session.scalars(select(InventoryHold.status)
                              .where(InventoryHold.order_id == order_id)).all()


def cron_scheduler(url: str) -> CronScheduler:
    scheduler = CronScheduler(connection=Redis.from_url(url))
    scheduler.load_config_from_file("shop.jobs.cron")
    return scheduler


def enqueue_periodic(url: str, name: str) -> None:
    """What ``rq cron`` does when the job is due: put it on the queue."""
    [job] = [j for j in cron_scheduler(url).get_jobs() if j.name == name]
    job.enqueue(Redis.from_url(url))


@pytest.fixture
def redis_app(app, redis_url):
    with app_settings(app, REDIS_URL=redis_url):
        yield app


@pytest.fixture
def placed(shopper, product):
    shopper.add(product, 2)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    return token, secret


def test_hold_expiry_cancels_the_intent_and_releases_stock(redis_app, redis_url, placed,
                                                           product, stripe_client):
    token, secret = placed
    order = order_for(token)
    lapse_holds(order.id)
    enqueue_periodic(redis_url, "expire_holds")
    run_worker(redis_app)

    intent = stripe_client.v1.payment_intents.retrieve(intent_id_from_secret(secret))
    assert intent.status == "canceled"
    order = order_for(token)
    assert order.status == "expired"
    assert hold_states(order.id) == ["released"]
    assert db.session.get(Product, product.id).stock_on_hand == 10
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "order", AuditEvent.to_state == "expired"))
    assert (audit.from_state, audit.actor) == ("pending", "system:hold-expiry")
    # The expiry e-mail went through the outbox to the same burst worker.
    assert db.session.scalars(select(SentEmail.kind)).all() == ["order_expired"]


def test_late_success_after_expiry_takes_free_stock(redis_app, redis_url, placed, browser,
                                                    product):
    token, secret = placed
    order = order_for(token)
    browser.confirm(secret, CARD_OK)  # paid at Stripe; we have not heard yet
    lapse_holds(order.id)
    enqueue_periodic(redis_url, "expire_holds")
    run_worker(redis_app)

    order = order_for(token)
    assert (order.status, order.payment_status, order.attention) == ("paid", "paid", None)
    assert db.session.get(Product, product.id).stock_on_hand == 8
    assert hold_states(order.id) == ["converted"]
    assert db.session.scalars(select(SentEmail.kind)).all() == ["receipt"]


@pytest.mark.parametrize("auto_refund", [True, False], ids=["auto-refund", "no-auto-refund"])
def test_late_success_after_the_stock_was_sold_is_flagged(redis_app, redis_url, store, browser,
                                                          stripe_client, auto_refund):
    from ..factories import make_product

    product = make_product(store, name="Last Bag", stock=2)
    first, second = Shopper(redis_app.test_client()), Shopper(redis_app.test_client())
    first.add(product, 2)
    token = first.checkout()
    secret = first.client_secret(token)
    browser.confirm(secret, CARD_OK)
    lapse_holds(order_for(token).id)
    second.add(product, 2)  # the lapsed hold no longer counts: the same two bags
    other = second.checkout()
    with app_settings(redis_app, AUTO_REFUND_OUT_OF_STOCK=auto_refund):
        enqueue_periodic(redis_url, "expire_holds")
        run_worker(redis_app)
        page = first.client.get(f"/orders/{token}").get_data(as_text=True)
        # The refund job delivered a second time (at-least-once queues do that).
        Queue("default", connection=Redis.from_url(redis_url)).enqueue(
            "shop.jobs.orders.refund_out_of_stock_order", kwargs={"order_id": order_for(token).id})
        run_worker(redis_app)

    order = order_for(token)
    assert order.paid_out_of_stock
    assert db.session.get(Product, product.id).stock_on_hand == 2  # never oversold
    assert hold_states(order_for(other).id) == ["active"]
    refund_jobs = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.job == "refund_out_of_stock_order"))
    refunds = stripe_client.v1.refunds.list(
        params={"payment_intent": intent_id_from_secret(secret)}).data
    mails = db.session.scalars(select(SentEmail.kind).order_by(SentEmail.id)).all()
    if auto_refund:
        assert order.payment_status == "refunded"
        assert "Your payment was refunded" in page and "refunded your payment in full" in page
        assert refund_jobs == 1
        [refund] = refunds  # the job ran twice, Stripe refunded once
        assert (refund.amount, refund.status) == (order.total, "succeeded")
        assert mails == ["receipt", f"refund:{refund.id}"]
        assert "automatic refund requested" in order.attention
        row = db.session.scalar(select(PaymentTransaction).where(
            PaymentTransaction.kind == "refund"))
        assert (row.status, row.actor, row.provider_reference) == \
            ("succeeded", "system:auto-refund", refund.id)
    else:
        assert order.payment_status == "paid"
        assert "an item is out of stock" in page
        assert "offer you a full refund or a later delivery" in page
        assert (refund_jobs, refunds, mails) == (0, [], ["receipt"])
        assert "automatic refunds are off" in order.attention


def test_unpaid_orders_are_canceled_after_the_ttl(redis_app, redis_url, placed, product,
                                                  stripe_client):
    token, secret = placed
    fresh_token = Shopper(redis_app.test_client())
    fresh_token.add(product, 1)
    young = fresh_token.checkout()
    order = order_for(token)
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    enqueue_periodic(redis_url, "cancel_unpaid_orders")
    run_worker(redis_app)

    order = order_for(token)
    assert order.status == "canceled" and order.canceled_at is not None
    assert stripe_client.v1.payment_intents.retrieve(
        intent_id_from_secret(secret)).status == "canceled"
    assert hold_states(order.id) == ["released"]
    assert order_for(young).status == "pending"  # younger than UNPAID_ORDER_TTL_HOURS
    assert db.session.scalar(select(SentEmail.kind).where(
        SentEmail.order_id == order.id)) == "order_canceled"


def test_outbox_survives_redis_going_away(app, private_redis, store, browser, product):
    """Up → down → up: orders keep being paid, no job is lost, none is doubled."""
    private_redis.start()
    paid = []
    with app_settings(app, REDIS_URL=private_redis.url):
        for redis_up in (True, False, False):
            if not redis_up:
                private_redis.stop()
            shopper = Shopper(app.test_client())
            shopper.add(product, 1)
            token = shopper.checkout()
            secret = shopper.client_secret(token)
            browser.confirm(secret, CARD_OK)
            assert shopper.return_from_stripe(token, intent_id_from_secret(secret)).status_code \
                == 303
            paid.append(order_for(token))
        assert all(o.payment_status == "paid" for o in paid)
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [r.dispatched_at is not None for r in rows] == [True, False, False]
        assert all("ConnectionError" in (r.last_error or "") for r in rows[1:])

        private_redis.start()  # an empty Redis: the first job was lost with the old one
        later = utcnow() + timedelta(minutes=5)  # past the retry backoff
        assert dispatch_pending(now=later) == 2
        assert dispatch_pending(now=later) == 0  # nothing handed on twice
        queue = Queue("default", connection=Redis.from_url(private_redis.url))
        assert sorted(queue.job_ids) == sorted(f"outbox-{r.id}" for r in rows[1:])
        run_worker(app)

    sent = db.session.execute(select(SentEmail.order_id, SentEmail.kind)).all()
    assert sorted(sent) == sorted((o.id, "receipt") for o in paid[1:])
    assert all(r.dispatched_at is not None for r in
               db.session.scalars(select(OutboxMessage)).all())


def test_receipt_is_sent_once_over_smtp_with_a_pdf(app, redis_url, smtp_sink, placed, browser,
                                                   shopper):
    token, secret = placed
    intent_id = intent_id_from_secret(secret)
    with app_settings(app, REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1",
                      MAIL_PORT=smtp_sink.port):
        browser.confirm(secret, CARD_OK)
        shopper.return_from_stripe(token, intent_id)
        order = order_for(token)
        queue = Queue("default", connection=Redis.from_url(redis_url))
        # The same job delivered a second time (at-least-once queues do that).
        queue.enqueue("shop.jobs.mail.send_receipt", kwargs={"order_id": order.id})
        assert queue.count == 2
        run_worker(app)
        assert FinishedJobRegistry(queue=queue).get_job_count() == 2
        [message] = smtp_sink.wait_for(1)

        resend_receipt(order_id=order.id, actor="staff:ada@example.com")
        run_worker(app)
        assert len(smtp_sink.wait_for(2)) == 2

    assert message["To"] == "ada@example.com"
    assert message["Subject"] == f"Your order {order.number} is confirmed"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"{app.config['BASE_URL']}/orders/{token}"
    assert link in text and f'href="{link}"' in html
    [pdf] = [part for part in message.iter_attachments()
             if part.get_content_type() == "application/pdf"]
    pdf_text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "Receipt number R-000001" in pdf_text and f"Order {order.number}" in pdf_text
    assert "Paid with Visa ending in 4242" in pdf_text
    assert intent_id in pdf_text
    assert f"${order.total / 100:,.2f}" in pdf_text
    assert db.session.scalars(select(SentEmail.kind).order_by(SentEmail.id)).all() == \
        ["receipt", "receipt#2"]
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "receipt_resent"))
    assert audit.actor == "staff:ada@example.com"


def test_rq_cron_schedule_runs_every_periodic_job(clean_app, redis_url):
    from ..factories import make_store

    store_id = make_store().id
    scheduler = cron_scheduler(redis_url)
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert set(jobs) == {p.name for p in PERIODIC}
    assert jobs["expire_holds"].interval == 60
    assert jobs["cancel_unpaid_orders"].cron
    connection = Redis.from_url(redis_url)
    for job in jobs.values():
        job.enqueue(connection)
    with app_settings(clean_app, REDIS_URL=redis_url):
        log = run_worker(clean_app)
    queue = Queue("default", connection=connection)
    assert FinishedJobRegistry(queue=queue).get_job_count() == len(PERIODIC), log
    # The reconciliation job really ran the ledger's reconciliation (it records a run per
    # store).
    from shop.models import ReconciliationRun

    db.session.rollback()
    runs = db.session.scalars(select(ReconciliationRun)).all()
    assert [(run.store_id, run.trigger, run.error) for run in runs] == [(store_id, "job", None)]


def test_the_rq_cron_process_enqueues_the_every_minute_jobs(clean_app, redis_url):
    """The Procfile's ``cron`` line, for real: interval jobs are due as soon as it starts."""
    import subprocess
    import sys
    import time

    from ..background import worker_env

    queue = Queue("default", connection=Redis.from_url(redis_url))
    with app_settings(clean_app, REDIS_URL=redis_url):
        env = worker_env(clean_app)
    process = subprocess.Popen(  # noqa: S603 - rq's CLI from our interpreter
        [sys.executable, "-m", "rq.cli", "cron", "shop.jobs.cron", "--url", redis_url],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while queue.count < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)
    functions = sorted(job.func_name for job in queue.jobs)
    assert functions == ["shop.jobs.periodic.expire_holds", "shop.jobs.periodic.redispatch_outbox"]

"""Redis down: checkout, the webhook and the status page keep working; the jobs they asked for
wait in the outbox and are enqueued once Redis is back; nothing is doubled.

The shop here is a second app whose REDIS_URL (rate-limit storage, RQ, readiness) is a
``redis-server`` the test starts, stops and starts again on the same port.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from shop import create_app
from shop.extensions import db
from shop.models import Order, OutboxMessage, PaymentTransaction, SentEmail
from shop.models.types import utcnow
from shop.services.notifications.outbox import dispatch_pending

from ..background import run_worker
from ..conftest import IsolatedClient, app_config, wipe
from ..factories import make_product, make_store
from ..shopper import CARD_OK, Browser, Shopper, intent_id_from_secret, post_event
from .money_scenarios import MoneyDriver


@pytest.fixture
def redis_shop(app, database_url, stripe_sandbox, private_redis, tmp_path):
    private_redis.start()
    shop = create_app({**app_config(database_url, stripe_sandbox.url, tmp_path),
                       "REDIS_URL": private_redis.url})
    shop.test_client_class = IsolatedClient
    wipe(app)
    with shop.app_context():
        yield shop
        db.session.remove()


def outbox_rows() -> list[OutboxMessage]:
    db.session.rollback()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_the_shop_keeps_working_while_redis_is_down_and_catches_up_once(
        redis_shop, private_redis, stripe_client, stripe_sandbox):
    product = make_product(make_store(), name="Kenya Nyeri", price=1650, stock=10)
    private_redis.stop()

    shopper = Shopper(redis_shop.test_client())
    shopper.add(product, 2)
    token = shopper.checkout()  # rate limits fall back to memory
    secret = shopper.client_secret(token)
    Browser(stripe_client, stripe_sandbox.url).confirm(secret, CARD_OK)
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, intent_id_from_secret(secret))
    succeeded = driver.latest_event("payment_intent.succeeded")
    webhook = redis_shop.test_client()
    assert post_event(webhook, succeeded).get_json()["outcome"] == "processed"
    assert post_event(webhook, succeeded).get_json()["outcome"] == "duplicate"
    driver.refund("1000")  # in Stripe's dashboard
    refund_event = driver.latest_event("refund.created")
    for _ in range(2):
        assert post_event(webhook, refund_event).status_code == 200

    page = shopper.client.get(f"/orders/{token}")
    assert page.status_code == 200
    assert "Part of your order was refunded" in page.get_data(as_text=True)
    ready = redis_shop.test_client().get("/readyz")
    assert (ready.status_code, ready.get_json()["checks"]["redis"]) == (503, "unreachable")
    rows = outbox_rows()
    assert [(r.job, r.dispatched_at) for r in rows] == [("send_receipt", None),
                                                       ("send_refund_email", None)]
    assert all("ConnectionError" in r.last_error for r in rows)

    private_redis.start()  # back, and empty
    later = utcnow() + timedelta(minutes=5)  # past the dispatch backoff
    assert dispatch_pending(now=later) == 2
    assert dispatch_pending(now=later) == 0  # nothing handed on twice
    queue = Queue("default", connection=Redis.from_url(private_redis.url))
    assert sorted(queue.job_ids) == sorted(f"outbox-{r.id}" for r in rows)
    run_worker(redis_shop)
    run_worker(redis_shop)  # a second worker finds nothing left to do

    order = db.session.scalar(select(Order).where(Order.token == token))
    assert (order.status, order.payment_status) == ("paid", "partially_refunded")
    assert db.session.scalars(select(SentEmail.kind).order_by(SentEmail.id)).all() == \
        ["receipt", f"refund:{driver.refund_id}"]
    assert db.session.scalar(select(func.count(PaymentTransaction.id)).where(
        PaymentTransaction.kind == "refund")) == 1
    assert all(r.dispatched_at is not None for r in outbox_rows())
    assert redis_shop.test_client().get("/readyz").status_code == 200

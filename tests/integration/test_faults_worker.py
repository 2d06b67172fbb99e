"""A worker killed in the middle of a job: the job runs again and its effect happens once.

The receipt job is caught inside its SMTP send (the loopback SMTP server never answers the
first message's DATA), then SIGKILLed: only its work horse (the worker sees it die and
retries the job, RQ's ``Retry``), or the whole worker (the job is left "started" by a dead
worker; RQ's maintenance finds it abandoned once its heartbeat has lapsed and retries it,
and a new worker runs it). In the end: one e-mail with the receipt, one SentEmail row.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from shop.domain.retry import MAX_TRIES
from shop.extensions import db
from shop.models import OutboxMessage, SentEmail

from ..background import app_settings, start_worker, stop_worker, work_horse
from ..shopper import CARD_OK, intent_id_from_secret

# How long a dead worker's job keeps looking "started": its heartbeat TTL (RQ: the job
# monitoring interval, 30 s, + 60 s), with margin.
HEARTBEAT_LAPSED = 120


def wait_until(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def receipts() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(SentEmail.id)).where(SentEmail.kind == "receipt"))


@pytest.mark.parametrize("killed", ["work_horse", "whole_worker"])
def test_a_receipt_job_killed_mid_send_is_sent_once(app, redis_url, holding_smtp, shopper,
                                                    product, browser, tmp_path, killed):
    queue = Queue("default", connection=Redis.from_url(redis_url))
    with app_settings(app, REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1",
                      MAIL_PORT=holding_smtp.port):
        shopper.add(product, 2)
        token = shopper.checkout()
        secret = shopper.client_secret(token)
        browser.confirm(secret, CARD_OK)
        shopper.return_from_stripe(token, intent_id_from_secret(secret))
        job_id = f"outbox-{db.session.scalar(select(OutboxMessage.id))}"
        assert queue.job_ids == [job_id]

        log = tmp_path / "worker.log"
        worker = start_worker(app, scheduler=killed == "work_horse", log=log)
        try:
            assert holding_smtp.holding.wait(60), log.read_text()
            horse = work_horse(worker)
            if killed == "whole_worker":
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
            os.kill(horse, signal.SIGKILL)
            assert receipts() == 0  # the send was never committed

            if killed == "whole_worker":
                started = StartedJobRegistry(queue=queue)
                assert started.get_job_ids() == [job_id]  # left behind by a dead worker
                # RQ's maintenance, as any live worker runs it once the heartbeat has lapsed.
                started.cleanup(timestamp=time.time() + HEARTBEAT_LAPSED)
                worker = start_worker(app, scheduler=True, log=log)
            # The retry is due after its first wait (7.5-15 s); the scheduler enqueues it.
            wait_until(lambda: job_id in FinishedJobRegistry(queue=queue).get_job_ids(),
                       timeout=90, what=f"the retried job to finish\n{log.read_text()}")
        finally:
            stop_worker(worker)

    assert receipts() == 1
    [message] = holding_smtp.wait_for(1)
    assert message["Subject"].endswith("is confirmed")
    assert [part.get_content_type() for part in message.iter_attachments()] == \
        ["application/pdf"]
    assert FailedJobRegistry(queue=queue).get_job_ids() == []
    assert queue.fetch_job(job_id).retries_left == MAX_TRIES - 2  # one retry was used

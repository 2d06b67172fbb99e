"""The alert webhook with Redis: an RQ job with RQ's Retry, run by a real worker; a receiver
that fails gets the POST again, signed afresh."""

from __future__ import annotations

import json

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from shop.domain.alert_rules import Thresholds
from shop.domain.retry import JOB_BASE_DELAY, MAX_TRIES
from shop.models import Role
from shop.services.platform.alerts import STRIPE_REFUSED, raise_alert
from shop.services.platform.thresholds import update_alert_settings
from shop.services.platform.tx import write_transaction

from ..admin.test_alerts import receiver, verify  # noqa: F401 (receiver is a fixture)
from ..background import app_settings, run_worker
from ..factories import make_user

THRESHOLDS = Thresholds(success_rate_min=90, min_sample=20, webhook_failure_max=5,
                        hold_lapse_max=20)


def test_a_failing_receiver_is_retried_by_rq(clean_app, redis_url, store, receiver):  # noqa: F811
    make_user("owner@example.com", store=store, role=Role.OWNER)
    hook = receiver([503])
    _, secret = update_alert_settings(store_id=store.id, thresholds=THRESHOLDS,
                                      webhook_url=hook.url, new_secret=False, actor="test")
    queue = Queue("default", connection=Redis.from_url(redis_url))
    with app_settings(clean_app, REDIS_URL=redis_url):
        with write_transaction() as session:
            raise_alert(session, store_id=store.id, kind=STRIPE_REFUSED, message="Refused.")
        [post] = [job for job in queue.jobs if job.func_name.endswith("post_alert_webhook")]
        assert post.retries_left == MAX_TRIES - 1  # at most MAX_TRIES tries in all
        first_wait = JOB_BASE_DELAY.total_seconds()
        assert first_wait / 2 <= post.retry_intervals[0] <= first_wait  # jittered backoff

        run_worker(clean_app)  # the receiver answers 503: RQ schedules the retry
        assert len(hook.received) == 1
        scheduled = ScheduledJobRegistry(queue=queue)
        assert post.id in scheduled.get_job_ids()
        job = Job.fetch(post.id, connection=queue.connection)
        assert job.retries_left == MAX_TRIES - 2

        scheduled.remove(job)  # due now rather than in 7.5-15 s
        queue.enqueue_job(job)
        run_worker(clean_app)
    assert len(hook.received) == 2
    for headers, body in hook.received:
        assert verify(secret, headers["X-Shop-Signature"], body)
    assert json.loads(hook.received[-1][1])["kind"] == STRIPE_REFUSED
    assert Job.fetch(post.id, connection=queue.connection).get_status() == "finished"

"""The schedule for ``rq cron shop.jobs.cron --url $REDIS_URL`` (RQ's own cron scheduler)."""

from rq import cron

from .periodic import PERIODIC
from .queue import QUEUE_NAME

for _job in PERIODIC:
    cron.register(_job.func, queue_name=QUEUE_NAME, interval=_job.interval, cron=_job.cron,
                  name=_job.name, job_timeout=300)

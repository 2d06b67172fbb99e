"""Background jobs (RQ) and their schedule.

A job takes ids, reloads what it needs, calls one service and can run twice. State changes
ask for jobs through the outbox (``services.outbox.emit``); ``registry.JOBS`` names every
job the outbox may ask for, ``periodic.PERIODIC`` the ones ``rq cron`` runs (``cron.py``).
"""

"""Readiness checks: each cheap, none raises; a failure is a short reason, never a secret."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@cache
def migration_heads() -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def check_database() -> dict[str, str]:
    try:
        db.session.execute(text("SELECT 1"))
        applied = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("readiness: database check failed", exc_info=True)
        return {"database": "unreachable", "migrations": "unknown"}
    finally:
        db.session.rollback()
    heads = migration_heads()
    if applied == heads:
        return {"database": "ok", "migrations": "ok"}
    return {"database": "ok",
            "migrations": f"at {','.join(sorted(applied)) or 'nothing'}, "
                          f"head is {','.join(sorted(heads))}"}


def _redis_client(url: str) -> Redis:
    clients = current_app.extensions.setdefault("shop.readiness_redis", {})
    if url not in clients:
        clients[url] = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    return clients[url]


def check_redis() -> dict[str, str]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {}
    try:
        _redis_client(url).ping()
    except RedisError:
        log.warning("readiness: Redis check failed", exc_info=True)
        return {"redis": "unreachable"}
    return {"redis": "ok"}


def readiness() -> dict[str, str]:
    return {**check_database(), **check_redis()}

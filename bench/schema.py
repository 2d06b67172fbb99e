"""A fresh schema built by the migrations, shared by the benchmarks and the test suite.

Dropping only the tables today's models know is not enough: a shared PostgreSQL database
may still hold tables from another branch or an older run whose foreign keys would block
the drop.
"""

from __future__ import annotations

from sqlalchemy import MetaData, text


def drop_everything(engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        return
    with engine.begin() as conn:
        # A virtual table (full-text search) owns shadow tables that reflection lists as
        # tables of their own: dropped with it, first.
        for (name,) in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND sql LIKE 'CREATE VIRTUAL TABLE%'")).all():
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
    existing = MetaData()
    existing.reflect(bind=engine)
    existing.drop_all(bind=engine)


def rebuild_schema(app) -> None:
    """Inside ``app``'s context: empty its database and run every migration."""
    from flask_migrate import upgrade

    from shop.extensions import db

    with app.app_context():
        drop_everything(db.engine)
        upgrade()

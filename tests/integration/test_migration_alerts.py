"""Migration 0016_alerts on a database with alerts in it: the rows survive, an open alert
counts as e-mailed already (no e-mail about old news), and it goes back down cleanly."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from shop import create_app
from shop.extensions import db

from ..conftest import app_config, build_schema


def test_existing_alerts_are_migrated_and_the_revision_goes_back_down(tmp_path,
                                                                       stripe_sandbox):
    app = create_app(app_config(f"sqlite:///{tmp_path}/migrate.db", stripe_sandbox.url,
                                tmp_path))
    build_schema(app)
    with app.app_context():
        downgrade(revision="0016_verify")
        assert "store_alert_settings" not in inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO stores (id, slug, name, currency) "
                              "VALUES (1, 'main', 'Main', 'USD')"))
            conn.execute(text(
                "INSERT INTO staff_alerts (store_id, kind, message, created_at, resolved_at) "
                "VALUES (1, 'dispute', 'Open one', '2026-12-01 10:00:00', NULL), "
                "(1, 'refund_failed', 'Closed one', '2026-12-01 11:00:00', "
                "'2026-12-02 09:00:00')"))
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT kind, message, figures, emailed_at, created_at, resolved_by "
                "FROM staff_alerts ORDER BY id")).all()
        assert [(r.kind, r.message, r.figures, r.resolved_by) for r in rows] == [
            ("dispute", "Open one", None, None), ("refund_failed", "Closed one", None, None)]
        assert all(r.emailed_at == r.created_at for r in rows)
        assert "store_alert_settings" in inspect(db.engine).get_table_names()
        downgrade(revision="0016_verify")
        columns = {c["name"] for c in inspect(db.engine).get_columns("staff_alerts")}
        assert "figures" not in columns and "emailed_at" not in columns
        db.session.remove()

"""The shop's application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from .config import load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(load_config(config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from .logs import configure_logging

    configure_logging(app)

    from .db_setup import configure_engine
    from .extensions import csrf, db, login_manager, migrate
    from .providers.stripe_gateway import StripeGateway

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    with app.app_context():
        configure_engine(db.engine,
                         lock_timeout_ms=app.config.get("DATABASE_LOCK_TIMEOUT_MS"),
                         ping_after_idle_seconds=app.config.get(
                             "DATABASE_PING_AFTER_IDLE_SECONDS"),
                         pooled=app.config.get("DATABASE_POOLER", "none") != "none")
    app.extensions["stripe_gateway"] = StripeGateway(app.config)
    logging.getLogger(__name__).info(
        "Stripe API version %s", app.config["STRIPE_API_VERSION"],
        extra={"stripe_api_version": app.config["STRIPE_API_VERSION"],
               "stripe_api_base": app.config["STRIPE_API_BASE"]})

    from . import models  # noqa: F401  (registers the tables)
    from .web import register_web

    register_web(app)
    _register_blueprints(app)
    _harden(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _load_user(user_id: str):
    from .auth.session import load_user

    return load_user(user_id)


def _register_blueprints(app: Flask) -> None:
    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .cart import bp as cart_bp
    from .checkout import bp as checkout_bp
    from .media import bp as media_bp
    from .orders import bp as orders_bp
    from .payments import bp as payments_bp
    from .payments.receipts import bp as api_receipts_bp
    from .storefront import bp as storefront_bp
    from .webhooks import bp as webhooks_bp

    for bp in (storefront_bp, cart_bp, checkout_bp, orders_bp, webhooks_bp, auth_bp,
               account_bp, payments_bp, api_receipts_bp, admin_bp, media_bp):
        app.register_blueprint(bp)


def _harden(app: Flask) -> None:
    """Security headers, rate limits, metrics, health checks (see docs/operations.md)."""
    from .after_response import init_after_response
    from .errors import register_error_handlers
    from .metrics import init_metrics
    from .ops import bp as ops_bp
    from .ratelimit import init_rate_limits
    from .security import init_security
    from .timing import init_server_timing

    init_security(app)
    app.register_blueprint(ops_bp)
    init_rate_limits(app)
    init_metrics(app)
    init_server_timing(app)
    init_after_response(app)
    register_error_handlers(app)

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
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))

    from .db_setup import configure_engine
    from .extensions import csrf, db, login_manager, migrate
    from .stripe_gateway import StripeGateway

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    app.extensions["stripe_gateway"] = StripeGateway(app.config)

    from . import models  # noqa: F401  (registers the tables)
    from .web import register_web

    register_web(app)
    _register_blueprints(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from .cart import bp as cart_bp
    from .checkout import bp as checkout_bp
    from .orders import bp as orders_bp
    from .storefront import bp as storefront_bp
    from .webhooks import bp as webhooks_bp

    for bp in (storefront_bp, cart_bp, checkout_bp, orders_bp, webhooks_bp):
        app.register_blueprint(bp)

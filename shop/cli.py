"""``flask --app wsgi shop …`` commands."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

shop_cli = AppGroup("shop", help="Shop administration commands.")


@shop_cli.command("seed")
def seed_command() -> None:
    """Load the demo store and catalog (safe to run twice)."""
    from flask import current_app

    from .seed import seed_demo

    store, added = seed_demo(current_app.config["SHOP_STORE_SLUG"])
    click.echo(f"Store {store.slug!r}: {added} products added.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(shop_cli)

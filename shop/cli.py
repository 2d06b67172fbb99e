"""``flask --app wsgi shop …`` commands."""

from __future__ import annotations

import logging
import os

import click
from flask import Flask, current_app
from flask.cli import AppGroup

shop_cli = AppGroup("shop", help="Shop administration commands.")


@shop_cli.command("seed")
def seed_command() -> None:
    """Load the demo stores and catalogs (safe to run twice): the first store under
    SHOP_STORE_SLUG (``main`` when that is ``lagos``) and the naira store ``lagos``."""
    from .seed import LAGOS_SLUG, seed_demo, seed_lagos

    slug = current_app.config["SHOP_STORE_SLUG"]
    for store, added in (seed_demo("main" if slug == LAGOS_SLUG else slug), seed_lagos()):
        click.echo(f"Store {store.slug!r}: {added} products added.")


@shop_cli.command("resize-images")
def resize_images_command() -> None:
    """Make the resized copies of product images that have none yet (those moved from the
    single image of each product by migration 0016_images). Safe to run again."""
    from .services.catalog.gallery import resize_moved_images

    done, failed = resize_moved_images()
    click.echo(f"{done} images resized.")
    if failed:
        raise click.ClickException(f"{len(failed)} could not be read (still shown from "
                                   f"their original): {', '.join(failed)}")


@shop_cli.command("create-admin")
@click.argument("email")
@click.option("--store", "store_slug", default=None,
              help="Store slug (default: SHOP_STORE_SLUG); created if missing.")
@click.option("--store-name", default="My Shop", help="Name of the store if it is created.")
def create_admin_command(email: str, store_slug: str | None, store_name: str) -> None:
    """Create (or promote) EMAIL as the owner of a store.

    The password is read from SHOP_ADMIN_PASSWORD if set (for scripts), else prompted for.
    """
    from .domain.errors import DomainError
    from .models import Role
    from .services.accounts.users import create_user, ensure_store, grant_role, user_by_email
    from .services.accounts.verification import vouch_for_address

    store = ensure_store(store_slug or current_app.config["SHOP_STORE_SLUG"], store_name)
    user = user_by_email(email)
    if user is None:
        password = os.environ.get("SHOP_ADMIN_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True)
        try:
            user = create_user(email=email, password=password)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc
    grant_role(user_id=user.id, store_id=store.id, role=Role.OWNER)
    vouch_for_address(user_id=user.id, actor="shop create-admin")
    click.echo(f"{user.email} is an owner of store {store.slug!r}.")


@shop_cli.command("grant-platform-admin")
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Take the flag back instead.")
def grant_platform_admin_command(email: str, revoke: bool) -> None:
    """Make EMAIL a platform admin: they see (and may replay) Stripe events that match no
    store, in the admin of any store they belong to."""
    from .domain.errors import DomainError
    from .services.accounts.users import set_platform_admin

    try:
        user = set_platform_admin(email=email, granted=not revoke, actor="cli")
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    if revoke:
        click.echo(f"{user.email} is no longer a platform admin.")
        return
    click.echo(f"{user.email} is a platform admin.")
    if not user.memberships:
        click.echo("They belong to no store yet, so they cannot open the admin: make them "
                   "staff of one (flask shop create-admin, or the Staff page).")


@shop_cli.command("replay-event")
@click.argument("event_id")
@click.option("--actor", default="staff:cli", show_default=True,
              help="Who replays it (written to the audit rows of the changes).")
def replay_event_command(event_id: str, actor: str) -> None:
    """Process a failed (or unmatched) Stripe event again from its stored payload."""
    from .domain.errors import DomainError
    from .services.webhooks.events import replay_event

    try:
        status = replay_event(event_id=event_id, actor=actor)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{event_id}: {status}")


@shop_cli.command("run-periodic")
@click.option("--only", "names", multiple=True, metavar="NAME",
              help="Run only this periodic job (repeatable); default: all of them.")
@click.option("--loop", is_flag=True,
              help="Keep running each job on its schedule until SIGTERM/Ctrl-C (no Redis).")
@click.option("--every", type=click.FloatRange(min=0.1), default=None, metavar="SECONDS",
              help="With --loop: run the jobs every SECONDS instead of their schedule.")
@click.option("--in-production", is_flag=True,
              help="Allow --loop under SHOP_ENV=production (there, `rq cron` is the way).")
def run_periodic_command(names: tuple[str, ...], loop: bool, every: float | None,
                         in_production: bool) -> None:
    """Run the periodic jobs now, in this process (what `rq cron` does with Redis)."""
    from .jobs.periodic import PERIODIC, by_name

    try:
        jobs = [by_name(name) for name in names] if names else list(PERIODIC)
    except LookupError as exc:
        known = ", ".join(job.name for job in PERIODIC)
        raise click.BadParameter(f"unknown job {exc}; known: {known}",
                                 param_hint="--only") from exc
    if loop:
        _run_periodic_loop(jobs, every, in_production)
        return
    for job in jobs:
        click.echo(f"{job.name}: {job.func()}")


def _run_periodic_loop(jobs: list, every: float | None, in_production: bool) -> None:
    from .jobs import scheduler

    if current_app.config["SHOP_ENV"] == "production" and not in_production:
        raise click.ClickException("SHOP_ENV=production: run the periodic jobs with `rq cron "
                                   "shop.jobs.cron` (Procfile), or pass --in-production.")
    try:
        with scheduler.database_lock(current_app.config["SQLALCHEMY_DATABASE_URI"]), \
                scheduler.stop_on_signals() as stop:
            click.echo(f"Periodic jobs running ({len(jobs)}); Ctrl-C stops them.")
            scheduler.run_loop(jobs, stop=stop, run=_run_one, every=every)
    except scheduler.AlreadyRunning as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Periodic jobs stopped.")


def _run_one(job) -> None:
    """One run of a job in the loop. A failure is logged with its traceback and the job runs
    again when next due, as RQ retries a failed cron job; it does not stop the others."""
    from .extensions import db

    try:
        click.echo(f"{job.name}: {job.func()}")
    except Exception:
        logging.getLogger(__name__).exception("periodic job %s failed", job.name)
    finally:
        db.session.remove()


def register_cli(app: Flask) -> None:
    app.cli.add_command(shop_cli)


@shop_cli.command("create-api-key")
@click.argument("name")
@click.option("--store", "store_slug", default=None,
              help="Store slug (default: SHOP_STORE_SLUG).")
def create_api_key_command(name: str, store_slug: str | None) -> None:
    """Create an API key for the payments API; the key is printed once and never stored."""
    from .services.accounts.api_keys import create_api_key
    from .services.catalog.browse import store_by_slug

    slug = store_slug or current_app.config["SHOP_STORE_SLUG"]
    store = store_by_slug(slug)
    if store is None:
        raise click.ClickException(f"No store {slug!r}.")
    key, token = create_api_key(store_id=store.id, name=name)
    click.echo(f"API key {key.name!r} for store {store.slug!r} (prefix {key.prefix}).")
    click.echo("Copy it now; it cannot be shown again:")
    click.echo(token)


@shop_cli.command("revoke-api-key")
@click.argument("prefix")
def revoke_api_key_command(prefix: str) -> None:
    """Revoke the API key with this prefix (shown when it was created)."""
    from .domain.errors import DomainError
    from .services.accounts.api_keys import revoke_api_key

    try:
        key = revoke_api_key(prefix=prefix)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"API key {key.name!r} ({key.prefix}) is revoked.")


@shop_cli.command("purge-idempotency")
def purge_idempotency_command() -> None:
    """Delete API idempotency records older than 24 hours."""
    from .jobs.periodic import purge_idempotency_keys

    click.echo(f"{purge_idempotency_keys()} idempotency records deleted.")


@shop_cli.command("alert-expiring-authorizations")
def alert_expiring_command() -> None:
    """Alert staff of card authorizations that lapse within 24 hours."""
    from .jobs.periodic import alert_expiring_authorizations

    click.echo(f"{alert_expiring_authorizations()} authorizations expire within 24 hours.")


@shop_cli.command("reconcile")
def reconcile_command() -> None:
    """Reconcile payments with Stripe now (stuck attempts, pending claims, missed events)."""
    from .jobs.periodic import reconcile_payments as reconcile_job
    from .services.payments.errors import GatewayError

    try:
        run = reconcile_job()
    except GatewayError as exc:  # recorded in the run already; say it plainly, exit non-zero
        raise click.ClickException(f"Reconciliation stopped: Stripe: {exc}") from exc
    stores = f"{run['stores']} store" + ("" if run["stores"] == 1 else "s")
    click.echo(f"Reconciliation of {stores}: examined {run['examined']}, fixed "
               f"{run['fixed']}, flagged {run['flagged']}, events replayed "
               f"{run['events_replayed']}.")


@shop_cli.command("alerts")
def alerts_command() -> None:
    """List the open staff alerts of every store (disputes, failed refunds, …), oldest first."""
    from sqlalchemy import select

    from .extensions import db
    from .models import Store
    from .services.platform.alerts import open_alerts

    alerts = open_alerts(store_ids=db.session.scalars(select(Store.id)).all())
    for alert in alerts:
        click.echo(f"{alert.id}\t{alert.kind}\t{alert.created_at:%Y-%m-%d %H:%M}\t"
                   f"{alert.message}")
    if not alerts:
        click.echo("No open alerts.")


@shop_cli.command("resolve-alert")
@click.argument("alert_id", type=int)
def resolve_alert_command(alert_id: int) -> None:
    """Mark a staff alert as dealt with."""
    from .extensions import db
    from .models import StaffAlert
    from .services.platform.alerts import resolve_alert

    alert = db.session.get(StaffAlert, alert_id)
    if alert is None or alert.resolved_at is not None:
        raise click.ClickException(f"No open alert {alert_id}.")
    resolve_alert(alert_id=alert_id)
    click.echo(f"Alert {alert_id} ({alert.kind}) resolved.")

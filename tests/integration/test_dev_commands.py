"""What `make dev` runs besides the server: the periodic jobs in a loop (no Redis), and the
commands that create the dev shop's first owner (`make admin`, `flask shop create-admin`)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from shop.extensions import db
from shop.models import InventoryHold, Order, StoreMembership, User
from shop.models.types import utcnow
from shop.services.catalog.browse import product_by_slug

from ..background import app_settings, worker_env
from ..services import ROOT

PASSWORD = "Roasted-" + secrets.token_urlsafe(12)


def wait_until(check: Callable[[], object], *, timeout: float = 30, what: str = "") -> object:
    """Poll ``check`` until it returns something true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh read each time
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def start_loop(app, log: Path, *args: str) -> subprocess.Popen:
    db.session.commit()
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and the flask CLI
            [sys.executable, "-m", "flask", "--app", "wsgi", "shop", "run-periodic", "--loop",
             *args], cwd=ROOT, env=worker_env(app), stdout=output, stderr=subprocess.STDOUT)
    wait_until(lambda: "Periodic jobs running" in log.read_text() or process.poll() is not None,
               what="the loop starts")
    assert process.poll() is None, log.read_text()
    return process


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture
def placed(shopper, product):
    shopper.add(product, 3)
    return shopper.checkout()


def test_the_loop_releases_a_hold_that_lapses_while_it_runs(app, placed, product, tmp_path):
    log = tmp_path / "loop.log"
    loop = start_loop(app, log, "--only", "expire_holds", "--every", "0.5")
    try:
        wait_until(lambda: "expire_holds: " in log.read_text(), what="a first run")
        assert product_by_slug(product.store_id, product.slug).available == 7
        # The hold lapses after the loop's first run: only a later run can release it.
        db.session.execute(update(InventoryHold).values(
            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        wait_until(lambda: db.session.scalar(select(Order.status).where(
            Order.token == placed)) == "expired", what="the order expires")
        assert product_by_slug(product.store_id, product.slug).available == 10
    finally:
        assert stop(loop) == 0, log.read_text()
    assert "Periodic jobs stopped." in log.read_text()
    assert "Traceback" not in log.read_text()


def test_one_loop_per_database_and_ctrl_c_stops_it(app, clean_app, tmp_path):
    first = start_loop(app, tmp_path / "first.log", "--every", "60")
    try:
        second = subprocess.run(  # noqa: S603 - our own interpreter and the flask CLI
            [sys.executable, "-m", "flask", "--app", "wsgi", "shop", "run-periodic", "--loop"],
            cwd=ROOT, env=worker_env(app), capture_output=True, text=True, timeout=60)
        assert second.returncode != 0
        assert "already run for this database" in second.stderr
    finally:
        assert stop(first, signal.SIGINT) == 0, (tmp_path / "first.log").read_text()
    # The lock went with the first loop: a new one starts.
    assert stop(start_loop(app, tmp_path / "third.log")) == 0


def test_the_loop_does_not_run_in_production_unless_asked(app, clean_app):
    with app_settings(app, SHOP_ENV="production"):
        result = app.test_cli_runner().invoke(args=["shop", "run-periodic", "--loop"])
    assert result.exit_code != 0
    assert "rq cron" in result.output and "--in-production" in result.output


def owner_of(email: str) -> StoreMembership | None:
    return db.session.scalar(select(StoreMembership).join(User).where(User.email == email))


def test_create_admin_accepts_a_reserved_test_domain_outside_production(app, clean_app):
    result = app.test_cli_runner().invoke(
        args=["shop", "create-admin", "owner@beanleaf.test"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "owner@beanleaf.test is an owner of store 'main'" in result.output
    assert owner_of("owner@beanleaf.test").role == "owner"
    for address in ("a@shop.example", "b@x.invalid", "c@localhost"):
        result = app.test_cli_runner().invoke(args=["shop", "create-admin", address],
                                              env={"SHOP_ADMIN_PASSWORD": PASSWORD})
        assert result.exit_code == 0, result.output


def test_production_refuses_reserved_test_domains(app, clean_app):
    with app_settings(app, SHOP_ENV="production"):
        result = app.test_cli_runner().invoke(args=["shop", "create-admin", "owner@beanleaf.test"],
                                              env={"SHOP_ADMIN_PASSWORD": PASSWORD})
    assert result.exit_code != 0 and "not a valid e-mail address" in result.output
    assert owner_of("owner@beanleaf.test") is None


def bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a new terminal: no SHOP_ENV, no secrets, a database of its own."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SHOP_", "STRIPE_", "SECRET_KEY", "DATABASE_URL", "REDIS_",
                                   "MAIL_", "BASE_URL"))}
    return {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
            "MAIL_OUTBOX_DIR": str(tmp_path / "mail"), "PYTHONPATH": str(ROOT), **extra}


def test_create_admin_without_shop_env_says_what_to_set_in_one_line(tmp_path):
    result = subprocess.run(  # noqa: S603 - our own interpreter and the flask CLI
        [sys.executable, "-m", "flask", "--app", "wsgi", "shop", "create-admin",
         "owner@beanleaf.test"], cwd=ROOT, env=bare_env(tmp_path), capture_output=True,
        text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0] and "SHOP_ENV is unset" in lines[0]
    assert "SHOP_ENV=development" in lines[0] and "make admin" in lines[0]


make = shutil.which("make")


def run_make(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    # -o: the .venv is built already (this interpreter's), whatever pyproject.toml's mtime.
    return subprocess.run(  # noqa: S603 - the system's make and our own Makefile
        [make, "-s", "-o", ".venv/.installed-stamp", f"BIN={Path(sys.executable).parent}",
         *args], cwd=ROOT, env=bare_env(tmp_path, SHOP_ADMIN_PASSWORD=PASSWORD),
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(make is None, reason="no make")
def test_make_admin_creates_an_owner_of_the_dev_shop(tmp_path):
    result = run_make(tmp_path, "admin", "EMAIL=owner@beanleaf.test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "owner@beanleaf.test is an owner of store 'main'." in result.stdout
    with sqlite3.connect(tmp_path / "dev.db") as conn:
        rows = conn.execute("SELECT users.email, store_memberships.role FROM users JOIN "
                            "store_memberships ON store_memberships.user_id = users.id").fetchall()
    assert rows == [("owner@beanleaf.test", "owner")]
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.skipif(make is None, reason="no make")
def test_make_admin_without_email_says_how(tmp_path):
    result = run_make(tmp_path, "admin")
    assert result.returncode != 0
    assert "Usage: make admin EMAIL=" in result.stderr
    dry = subprocess.run([make, "-n", "dev"], cwd=ROOT, capture_output=True, text=True,  # noqa: S603,S607
                         timeout=60, env=bare_env(tmp_path))
    assert "make admin EMAIL=" in dry.stdout and "run-periodic --loop" in dry.stdout

"""Fixtures shared by every test layer: an app on a real database, the Stripe sandbox,
and small helpers that act as the shopper, the browser's Stripe.js and Stripe's webhooks."""

from __future__ import annotations

import contextvars
import os

import pytest
import stripe
from flask import has_app_context
from flask.testing import FlaskClient

from bench.schema import rebuild_schema
from shop import create_app
from shop.extensions import db

from .browser import chromium  # noqa: F401 (the one shared browser fixture)
from .services import Sandbox, create_private_database, drop_private_database

WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 - test-only signing secret


CALL_LOG_ENV = "STRIPE_SANDBOX_CALL_LOG"


def pytest_configure(config):
    """Every sandbox this run starts appends the distinct Stripe calls it served here."""
    if not os.environ.get(CALL_LOG_ENV):
        import tempfile

        folder = tempfile.mkdtemp(prefix="stripe-calls-")
        os.environ[CALL_LOG_ENV] = os.path.join(folder, "calls.jsonl")


def pytest_sessionfinish(session, exitstatus):
    """The run fails if the SDK made a Stripe call that no contract checked (a path the
    pinned version's SDK has no service for); the calls are kept in test-artifacts/."""
    from .stripe_calls import check_recorded_calls

    problems = check_recorded_calls(os.environ[CALL_LOG_ENV])
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line("Stripe calls with no contract check: " + "; ".join(problems),
                                red=True)


@pytest.fixture(scope="session")
def stripe_sandbox():
    sandbox = Sandbox()
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """SQLite in this run's temporary folder, or a private database created beside
    TEST_DATABASE_URL's (another copy of the suite may be using that server at once)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    private = create_private_database(url)
    yield private
    drop_private_database(private)


def app_config(database_url: str, sandbox_url: str, tmp_path) -> dict:
    return {
        "SHOP_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": None,
        "STRIPE_SANDBOX": True,
        "STRIPE_SECRET_KEY": "sk_test_sandbox",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_sandbox",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": sandbox_url,
        "STRIPE_JS_URL": f"{sandbox_url}/js.stripe.com/v3/",
        "MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
        "SESSION_COOKIE_SECURE": False,
        # Tests wipe the database between them, which production never does, and ``wipe``
        # clears only the main app's per-process store/category copies: the extra apps some
        # modules build (behind a fault proxy, with other limits) must not keep stale ones.
        "CATALOG_CACHE_SECONDS": 0,
    }


class IsolatedClient(FlaskClient):
    """A test client whose requests each get their own app context, ``g`` and db session.

    Flask reuses the test's app context for requests made inside it, which would share
    ``g`` (Flask-WTF keeps the CSRF token there) and the session's open transaction between
    "browsers". A real server never does that, so neither do the tests.

    The test's own session is committed before each request (what the test wrote is
    visible) and its transaction ended after (what the test reads next is fresh: an open
    SQLite WAL read transaction keeps its snapshot, and could not write later).

    Responses are buffered, and so closed before ``open`` returns, as a server closes them
    once sent: the work an app defers until then (``shop/after_response.py``) has run.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        outer = has_app_context()
        if outer:
            db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            if outer:
                db.session.rollback()


def build_schema(app) -> None:
    """Drop whatever is there and run the migrations: the schema tests use is production's."""
    rebuild_schema(app)


@pytest.fixture(scope="session")
def app(database_url, stripe_sandbox, tmp_path_factory):
    app = create_app({**app_config(database_url, stripe_sandbox.url,
                                   tmp_path_factory.mktemp("app")),
                      "CATALOG_CACHE_SECONDS": 30})  # production's default, cleared by wipe
    app.test_client_class = IsolatedClient
    build_schema(app)
    return app


def wipe(app) -> None:
    # Production never deletes a store or category; the app's per-process copies of them
    # (services/catalog/cache.py) must not outlive the rows.
    app.extensions["catalog_cache"].clear()
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def clean_app(app):
    wipe(app)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(clean_app):
    return clean_app.test_client()


@pytest.fixture
def stripe_client(stripe_sandbox) -> stripe.StripeClient:
    """Stripe as the browser's Stripe.js and the dashboard see it (not the app's gateway)."""
    return stripe.StripeClient("sk_test_sandbox", base_addresses={"api": stripe_sandbox.url})

"""A live shop on loopback, its own Stripe sandbox delivering signed webhooks to it, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from shop import create_app
from shop.extensions import db
from shop.seed import seed_demo

from ..browser import ARTIFACTS
from ..conftest import WEBHOOK_SECRET, app_config, build_schema
from ..services import Sandbox, free_port


@pytest.fixture(scope="session")
def live_shop(tmp_path_factory):
    # Always its own SQLite file: the integration suite owns TEST_DATABASE_URL's tables.
    database_url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'shop.db'}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    sandbox = Sandbox(webhook_url=f"{base_url}/webhooks/stripe", webhook_secret=WEBHOOK_SECRET)
    app = create_app({**app_config(database_url, sandbox.url, tmp_path_factory.mktemp("mail")),
                      "BASE_URL": base_url,
                      "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads"))})
    build_schema(app)
    with app.app_context():
        seed_demo("main")  # its pictures too (drawn, about a second): the pages show them
        db.session.remove()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url, app
    server.shutdown()
    sandbox.stop()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    context.close()


@pytest.fixture
def phone(chromium, request):
    """A 375 px wide screen: every page must read well on a small phone."""
    context = chromium.new_context(viewport={"width": 375, "height": 812}, is_mobile=True,
                                   has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()

"""The database failing mid-checkout: the transaction rolls back whole (no order, no hold,
no attempt, no audit row), the shopper is told nothing was saved, and the same form then
goes through."""

import threading

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from shop import create_app
from shop.extensions import db
from shop.models import AuditEvent, Cart, InventoryHold, Order, PaymentAttempt

from ..conftest import IsolatedClient, app_config, wipe
from ..factories import make_product, make_store
from ..shopper import Shopper, order_token


def counts():
    db.session.rollback()
    return tuple(db.session.scalar(select(func.count(model.id)))
                 for model in (Order, InventoryHold, PaymentAttempt, AuditEvent))


class FailOn:
    """Raise a lock-timeout-like OperationalError on the first statement matching ``sql``."""

    def __init__(self, engine, sql: str):
        self.engine, self.sql, self.fired = engine, sql, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._maybe_fail)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._maybe_fail)

    def _maybe_fail(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(self.sql) and not self.fired:
            self.fired += 1
            raise OperationalError(statement, parameters,
                                   Exception("canceling statement due to lock timeout"))


@pytest.mark.parametrize("statement", [
    "INSERT INTO ORDERS", "INSERT INTO INVENTORY_HOLDS", "INSERT INTO PAYMENT_ATTEMPTS",
    "INSERT INTO AUDIT_EVENTS", "UPDATE CARTS",
])
def test_failure_anywhere_in_checkout_rolls_back_all_of_it(clean_app, store, product,
                                                           statement):
    shopper = Shopper(clean_app.test_client())
    shopper.add(product, 2)
    form = shopper.checkout_form()
    token_before = db.session.scalar(select(Cart.checkout_token))
    with FailOn(db.engine, statement) as fault:
        response = shopper.submit_checkout(form)
    assert fault.fired == 1
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    body = response.get_data(as_text=True)
    assert "Nothing was saved" in body and "nothing was charged" in body
    assert counts() == (0, 0, 0, 0)
    assert db.session.scalar(select(Cart.checkout_token)) == token_before

    retry = shopper.submit_checkout(form)  # the same form, the same one-time token
    assert retry.status_code == 303
    order_token(retry.headers["Location"])
    orders, holds, attempts, _ = counts()
    assert (orders, holds, attempts) == (1, 1, 1)


def test_webhook_hitting_a_database_error_is_503_so_stripe_retries(client, store):
    from ..shopper import post_event
    from .test_webhook_endpoint import event as make_event

    with FailOn(db.engine, "INSERT INTO STRIPE_EVENTS"):
        response = post_event(client, make_event(event_type="customer.created"))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
    again = post_event(client, make_event(event_type="customer.created"))
    assert again.status_code == 200 and again.get_json()["outcome"] == "ignored"


@pytest.fixture
def impatient_app(app, database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("row-lock timeouts are PostgreSQL's; SQLite is covered by the tests above")
    impatient = create_app({**app_config(database_url, app.config["STRIPE_API_BASE"], tmp_path),
                            "DATABASE_LOCK_TIMEOUT_MS": 300})
    impatient.test_client_class = IsolatedClient
    wipe(app)
    with impatient.app_context():
        yield impatient
        db.session.remove()
    with impatient.app_context():
        db.engine.dispose()


def test_lock_held_by_another_transaction_times_out_and_rolls_back(impatient_app):
    store = make_store()
    product = make_product(store, stock=5)
    shopper = Shopper(impatient_app.test_client())
    shopper.add(product)
    form = shopper.checkout_form()
    locked, release = threading.Event(), threading.Event()

    def hold_the_product_row():
        with db.engine.connect() as conn:
            conn.execute(text("SELECT id FROM products WHERE id = :id FOR UPDATE"),
                         {"id": product.id})
            locked.set()
            release.wait(30)
            conn.rollback()

    def in_app_context():
        with impatient_app.app_context():
            hold_the_product_row()

    holder = threading.Thread(target=in_app_context)
    holder.start()
    try:
        assert locked.wait(10)
        response = shopper.submit_checkout(form)
    finally:
        release.set()
        holder.join(30)
    assert response.status_code == 503
    assert counts() == (0, 0, 0, 0)
    assert shopper.submit_checkout(form).status_code == 303
    assert counts()[:3] == (1, 1, 1)

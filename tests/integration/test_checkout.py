import threading

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, InventoryHold, Order, PaymentAttempt

from ..factories import make_product, set_stock
from ..shopper import ADDRESS


def counts():
    return (db.session.scalar(select(func.count(Order.id))),
            db.session.scalar(select(func.count(InventoryHold.id))),
            db.session.scalar(select(func.count(PaymentAttempt.id))))


def test_checkout_prices_on_the_server_and_shows_the_total(shopper, client, product):
    shopper.add(product, 2)  # 2 × 16.50 = 33.00, US standard 5.00, tax 7.25 % of 38.00
    token = shopper.checkout()
    order = db.session.scalar(select(Order).where(Order.token == token))
    assert (order.subtotal, order.shipping, order.tax, order.total) == (3300, 500, 276, 4076)
    page = client.get(f"/orders/{token}/pay").get_data(as_text=True)
    assert "$40.76" in page and "$2.76" in page and "data-client-secret" in page
    attempt = db.session.scalar(select(PaymentAttempt))
    assert attempt.provider_reference.startswith("pi_") and attempt.amount == 4076
    assert attempt.status == "initiated"


def test_tampered_price_and_total_fields_change_nothing(shopper, product):
    shopper.add(product, 1)
    form = shopper.checkout_form()
    response = shopper.submit_checkout(form, price="1", total="1", subtotal="1",
                                       unit_price="1", amount="1", quantity="50")
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert order.subtotal == 1650 and order.lines[0].quantity == 1
    assert order.total == 1650 + 500 + 156


def test_posting_the_same_checkout_twice_makes_one_order(shopper, product, stripe_client):
    shopper.add(product, 1)
    form = shopper.checkout_form()
    first = shopper.submit_checkout(form)
    second = shopper.submit_checkout(form)
    assert first.headers["Location"] == second.headers["Location"]
    assert counts() == (1, 1, 1)


def test_concurrent_posts_of_one_checkout_make_one_order_and_one_intent(
        clean_app, shopper, product, stripe_client):
    # Order ids start again after each test's wipe: only intents made here count.
    earlier = {i.id for i in stripe_client.v1.payment_intents.list(params={"limit": 100}).data}
    shopper.add(product, 1)
    form = shopper.checkout_form()
    cookie = shopper.client.get_cookie("session").value
    barrier, locations = threading.Barrier(4), []

    def post():
        client = clean_app.test_client()
        client.set_cookie("session", cookie)
        barrier.wait()
        response = client.post("/checkout", data={**form, **ADDRESS})
        locations.append((response.status_code, response.headers.get("Location")))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {status for status, _ in locations} == {303}
    assert len({location for _, location in locations}) == 1
    db.session.rollback()  # end the read snapshot (SQLite WAL) and reload
    assert counts() == (1, 1, 1)
    intent_ids = {a.provider_reference for a in db.session.scalars(select(PaymentAttempt))}
    intents = [i.to_dict() for i in
               stripe_client.v1.payment_intents.list(params={"limit": 100}).data]
    order_id = str(db.session.scalar(select(Order.id)))
    assert [i["id"] for i in intents if i["metadata"].get("order_id") == order_id
            and i["id"] not in earlier] == list(intent_ids)


def test_stale_checkout_token_is_refused(shopper, client, product):
    shopper.add(product, 1)
    form = shopper.checkout_form()
    response = shopper.submit_checkout({**form, "checkout_token": "forged"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/checkout")
    assert counts() == (0, 0, 0)


def test_invalid_form_shows_field_errors_and_creates_nothing(shopper, product):
    shopper.add(product, 1)
    response = shopper.submit_checkout(shopper.checkout_form(), email="not-an-email",
                                       country="XX", city="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter an email address like name@example.com." in html
    assert "Enter a city." in html and "Not a valid choice" in html
    assert counts() == (0, 0, 0)


def test_sold_out_at_checkout_is_a_clean_409(shopper, client, store):
    scarce = make_product(store, name="Last One", stock=1)
    shopper.add(scarce, 1)
    form = shopper.checkout_form()
    set_stock(scarce, 0)
    response = shopper.submit_checkout(form)
    assert response.status_code == 409
    assert "Last One is sold out." in response.get_data(as_text=True)
    assert counts() == (0, 0, 0)


def test_order_creation_is_audited(shopper, product):
    shopper.add(product, 1)
    shopper.checkout()
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(r.entity_type, r.from_state, r.to_state) for r in rows] == [
        ("order", None, "pending"), ("payment_attempt", None, "initiated")]
    assert all(r.actor == "shopper:ada@example.com" for r in rows)


def test_a_new_checkout_of_the_same_cart_replaces_the_unpaid_order(shopper, product):
    shopper.add(product, 2)
    first = shopper.checkout()
    second = shopper.checkout()
    assert first != second
    old = db.session.scalar(select(Order).where(Order.token == first))
    db.session.refresh(old)
    assert old.status == "canceled"
    active = db.session.scalars(select(InventoryHold).where(InventoryHold.status == "active"))
    assert [h.quantity for h in active] == [2]
    old_attempt = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.order_id == old.id))
    assert old_attempt.status == "canceled"


def test_another_shopper_cannot_read_an_order_by_guessing(client, shopper, product):
    shopper.add(product, 1)
    token = shopper.checkout()
    order = db.session.scalar(select(Order))
    wrong = token[:-1] + ("y" if token.endswith("x") else "x")
    for path in (f"/orders/{order.id}", f"/orders/{wrong}", "/orders/000001"):
        assert client.get(path).status_code == 404
    assert len(token) >= 32

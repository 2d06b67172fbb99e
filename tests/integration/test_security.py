"""Attacks through the front door: CSRF, open redirects, mass assignment, tampering, other
people's orders and carts, session fixation, oversized and malformed bodies.

The CSRF and open-redirect tests walk ``app.url_map``: routes added later are covered
without touching this file."""

import inspect
import re
from urllib.parse import urlsplit

import pytest
from flask_wtf import FlaskForm
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from shop import ROOT
from shop.extensions import db
from shop.models import CartItem, Order, StoreMembership, User

from ..factories import PASSWORD, make_product, make_store, make_user
from ..routes import arguments
from ..shopper import Shopper, csrf_token, login

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# The providers' signatures replace the token: /webhooks/stripe, /webhooks/paystack and
# /webhooks/flutterwave (one rule for the two).
CSRF_EXEMPT = {"/webhooks/stripe", "/webhooks/<any(paystack, flutterwave):provider>"}
WEBHOOKS = ("/webhooks/stripe", "/webhooks/paystack", "/webhooks/flutterwave")
EVIL = "https://evil.example/steal"


def routes(app, methods):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) & methods):
            url = app.url_map.bind("localhost").build(rule.endpoint, arguments(rule),
                                                      method=method)
            yield method, rule.rule, url


def token_for(client) -> str:
    """A CSRF token of the client's session (the header's sign-out form, or the login form)."""
    home = client.get("/").get_data(as_text=True)
    if 'name="csrf_token"' in home:
        return csrf_token(home)
    return csrf_token(client.get("/account/login").get_data(as_text=True))


@pytest.fixture
def staff_client(client, store):
    """Signed in as staff: the API (and admin) check CSRF on the session once they know
    who is calling; an anonymous call is refused before that (401 / login)."""
    make_user("staff@example.com", store=store)
    login(client, "staff@example.com", PASSWORD)
    return client


def test_every_state_changing_route_but_the_webhook_needs_a_csrf_token(staff_client):
    client = staff_client
    other_session_token = token_for(client.application.test_client())
    walked = set()
    for method, rule, url in routes(client.application, STATE_CHANGING):
        if rule in CSRF_EXEMPT:
            continue
        walked.add(rule)
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": other_session_token}):
            response = client.open(url, method=method, data=data)
            assert response.status_code == 400, (method, rule, data)
            assert "CSRF" in response.get_data(as_text=True), (method, rule)
        as_json = client.open(url, method=method, json={"x": 1},
                              headers={"X-CSRFToken": "forged"})
        assert as_json.status_code == 400
        assert as_json.get_json()["error"]["code"] == "csrf_failed", rule
    assert {"/checkout", "/cart/add", "/cart/update", "/account/login",
            "/account/logout"} <= walked


def test_only_the_webhooks_are_exempt_and_they_check_their_signatures(staff_client):
    client = staff_client
    exempt = {rule for _, rule, _ in routes(client.application, STATE_CHANGING)
              if rule not in {r for _, r, _ in _csrf_protected(client)}}
    assert exempt == CSRF_EXEMPT
    for url in WEBHOOKS:
        response = client.post(url, data=b"{}", content_type="application/json")
        assert response.status_code == 400, url
        assert response.get_json()["error"]["code"] == "invalid_signature", url


def _csrf_protected(client):
    for method, rule, url in routes(client.application, STATE_CHANGING):
        response = client.open(url, method=method, data={})
        if response.status_code == 400 and "CSRF" in response.get_data(as_text=True):
            yield method, rule, url


def test_json_calls_may_send_the_token_in_a_header(client, store):
    make_user("ada@example.com")
    login(client, "ada@example.com", PASSWORD)
    token = token_for(client)
    response = client.post("/account/logout", headers={"X-CSRFToken": token})
    assert response.status_code == 303
    assert "Sign out" not in client.get("/").get_data(as_text=True)


def off_site(response) -> bool:
    location = response.headers.get("Location")
    if not location:
        return False
    parts = urlsplit(location)
    return bool(parts.netloc and parts.netloc != "localhost") or location.startswith("//")


@pytest.mark.parametrize("signed_in", [False, True])
def test_no_route_redirects_off_site(client, store, product, signed_in):
    make_user("ada@example.com")
    if signed_in:
        login(client, "ada@example.com", PASSWORD)
    Shopper(client).add(product)
    headers = {"Referer": EVIL}
    checked = 0
    for method, rule, url in routes(client.application, {"GET", "POST"}):
        query = f"?next={EVIL}&return_to={EVIL}&redirect={EVIL}"
        data = {"csrf_token": token_for(client), "next": EVIL, "product_id": str(product.id),
                "quantity": "1000", "email": "ada@example.com", "password": PASSWORD}
        response = client.open(url + query, method=method, headers=headers,
                               data=data if method == "POST" else None)
        assert not off_site(response), (method, rule, response.headers.get("Location"))
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "///evil.example/", "/\\evil.example",
    "\\\\evil.example", "https:evil.example", "/%5Cevil.example", " //evil.example",
    "\t//evil.example", "javascript:alert(1)", "http://localhost.evil.example/",
])
def test_login_next_never_leaves_the_site(client, store, target):
    make_user("ada@example.com")
    response = login(client, "ada@example.com", PASSWORD, target)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert not off_site(response) and location.startswith("/") and not location.startswith("//")


def test_cart_errors_go_back_only_to_our_own_pages(client, store, product):
    token = token_for(client)
    response = client.post("/cart/add", data={"csrf_token": token, "product_id": product.id,
                                              "quantity": "0"},
                           headers={"Referer": EVIL})
    assert response.headers["Location"] == "/"
    response = client.post("/cart/add", data={"csrf_token": token, "product_id": product.id,
                                              "quantity": "0"},
                           headers={"Referer": f"http://localhost/products/{product.slug}"})
    assert response.headers["Location"] == f"/products/{product.slug}"


def all_forms():
    seen, stack = [], list(FlaskForm.__subclasses__())
    while stack:
        form = stack.pop()
        if form.__module__.startswith("shop.") and form not in seen:
            seen.append(form)
        stack.extend(form.__subclasses__())
    return seen


EXTRA = {"price": "1", "total": "1", "amount": "1", "status": "paid",
         "payment_status": "paid", "user_id": "1", "store_id": "2", "id": "7",
         "role": "owner", "is_admin": "1", "token": "mine"}


# What forms that need context to be built are given here (their choices, currency...).
FORM_CONTEXT = {"currency": "USD", "categories": []}


def test_every_form_binds_only_its_declared_fields(app):
    forms = all_forms()
    assert {f.__name__ for f in forms} >= {"CheckoutForm", "AddToCartForm", "LoginForm"}
    for form_class in forms:
        needs = [p.name for p in inspect.signature(form_class.__init__).parameters.values()
                 if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
        context = {name: FORM_CONTEXT[name] for name in needs}
        with app.test_request_context(method="POST", data=EXTRA):
            form = form_class(formdata=MultiDict(EXTRA), meta={"csrf": False}, **context)
            declared = {name for name, _ in form._fields.items()}
            assert set(form.data) == declared, form_class
            assert not (set(EXTRA) - declared) & set(form.data), form_class


def test_no_view_copies_request_data_onto_a_model():
    offenders = []
    for path in (ROOT / "shop").rglob("*.py"):
        source = path.read_text()
        if re.search(r"populate_obj\(|\*\*request\.(form|json|values|args)|"
                     r"request\.(form|values)\.to_dict\(", source):
            offenders.append(str(path))
    assert offenders == []


def test_checkout_ignores_status_owner_and_money_fields(shopper, product, store):
    other = make_store("other")
    user = make_user("eve@example.com")
    shopper.add(product)
    form = shopper.checkout_form()
    response = shopper.submit_checkout(form, **{**EXTRA, "user_id": str(user.id),
                                                "store_id": str(other.id)})
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert (order.status, order.payment_status) == ("pending", "unpaid")
    assert (order.store_id, order.user_id) == (store.id, None)
    assert order.total == 1650 + 500 + 156 and order.token != "mine"


def test_cart_add_ignores_price_and_store_fields(client, store, product):
    other = make_store("other")
    token = token_for(client)
    client.post("/cart/add", data={**EXTRA, "csrf_token": token, "product_id": product.id,
                                   "quantity": 2, "store_id": other.id})
    item = db.session.scalar(select(CartItem))
    assert (item.product_id, item.quantity, item.cart.store_id) == (product.id, 2, store.id)
    assert "$33.00" in client.get("/cart").get_data(as_text=True)


def test_login_ignores_identity_and_role_fields(client, store):
    victim = make_user("boss@example.com", store=store)
    make_user("eve@example.com")
    page = client.get("/account/login")
    client.post("/account/login", data={**EXTRA, "user_id": str(victim.id),
                                         "csrf_token": csrf_token(page.get_data(as_text=True)),
                                         "email": "eve@example.com", "password": PASSWORD})
    with client.session_transaction() as session:
        signed_in_as = session["_user_id"]
    assert db.session.get(User, int(signed_in_as)).email == "eve@example.com"
    assert db.session.scalar(select(func.count(StoreMembership.id))) == 1  # the victim's


@pytest.mark.parametrize("quantity", ["-1", "0", "100", "1.5", "1e3", "abc", "", "99999999999"])
def test_cart_refuses_tampered_quantities(client, store, product, quantity):
    token = token_for(client)
    client.post("/cart/add", data={"csrf_token": token, "product_id": product.id,
                                   "quantity": quantity})
    assert db.session.scalar(select(func.count(CartItem.id))) == 0


@pytest.mark.parametrize("product_id", ["other-store", "inactive", "999999", "-1", "x"])
def test_cart_refuses_products_that_are_not_for_sale_here(client, store, product_id):
    if product_id == "other-store":
        product_id = make_product(make_store("other")).id
    elif product_id == "inactive":
        hidden = make_product(store)
        hidden.active = False
        db.session.commit()
        product_id = hidden.id
    token = token_for(client)
    response = client.post("/cart/add", data={"csrf_token": token, "product_id": product_id,
                                              "quantity": 1})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(CartItem.id))) == 0


@pytest.mark.parametrize("field,value", [("shipping_method", "teleport"), ("country", "ZZ"),
                                         ("email", "x" * 300 + "@example.com")])
def test_checkout_refuses_values_outside_the_choices(shopper, product, field, value):
    shopper.add(product)
    response = shopper.submit_checkout(shopper.checkout_form(), **{field: value})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_orders_are_not_reachable_by_id_number_or_from_another_store(client, store, product,
                                                                     monkeypatch):
    shopper = Shopper(client)
    shopper.add(product)
    token = shopper.checkout()
    order = db.session.scalar(select(Order))
    assert len(token) >= 32
    stranger = client.application.test_client()
    for guess in (str(order.id), order.number, token[:-1], token.upper()):
        assert stranger.get(f"/orders/{guess}").status_code == 404
        assert stranger.get(f"/orders/{guess}/status.json").status_code == 404
        assert stranger.get(f"/orders/{guess}/pay").status_code == 404
    make_store("other")
    monkeypatch.setitem(client.application.config, "SHOP_STORE_SLUG", "other")
    assert stranger.get(f"/orders/{token}").status_code == 404


def test_a_cart_cannot_be_taken_over_with_a_forged_session(client, store, product):
    Shopper(client).add(product, 2)
    with client.session_transaction() as session:
        victim_cart = session["cart_token"]
    forged = URLSafeTimedSerializer("guessed-secret", salt="cookie-session",
                                    signer_kwargs={"key_derivation": "hmac",
                                                   "digest_method": "sha1"})
    attacker = client.application.test_client()
    attacker.set_cookie("session", forged.dumps({"cart_token": victim_cart}))
    assert "Kenya Nyeri" not in attacker.get("/cart").get_data(as_text=True)
    attacker.set_cookie("session", client.get_cookie("session").value[:-2] + "xx")
    assert "Kenya Nyeri" not in attacker.get("/cart").get_data(as_text=True)


def test_session_fixation_is_impossible(client, store):
    make_user("ada@example.com")
    # The attacker gets a session cookie, plants something in it, and hands it to the victim.
    client.get("/account/login")
    with client.session_transaction() as session:
        session["planted"] = "by the attacker"
    planted_cookie = client.get_cookie("session").value
    assert login(client, "ada@example.com", PASSWORD).status_code == 303
    signed_in_cookie = client.get_cookie("session").value
    assert signed_in_cookie != planted_cookie
    with client.session_transaction() as session:
        assert "planted" not in session and session["_user_id"]
    # The cookie the attacker kept is still a signed-out session.
    attacker = client.application.test_client()
    attacker.set_cookie("session", planted_cookie)
    assert "Sign out" not in attacker.get("/").get_data(as_text=True)


def test_oversized_form_post_is_refused_and_changes_nothing(shopper, product):
    shopper.add(product)
    form = shopper.checkout_form()
    response = shopper.submit_checkout(form, line2="x" * (300 * 1024))
    assert response.status_code == 413
    assert db.session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize("body,content_type", [
    (b"--xx\r\nContent-Disposition: form-data; name=\"quantity\"\r\n\r\n1",
     "multipart/form-data; boundary=xx"),
    (b"\xff\xfe\x00garbage=%%%", "application/x-www-form-urlencoded"),
    (b'{"product_id": 1, "quantity": 1}', "application/json"),
])
def test_malformed_bodies_are_400_and_change_nothing(client, store, product, body,
                                                     content_type):
    response = client.post("/cart/add", data=body, content_type=content_type)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(CartItem.id))) == 0


def test_non_utf8_webhook_body_is_400(client, store):
    from ..shopper import sign

    payload = b'{"id": "evt_\xff"}'
    response = client.post("/webhooks/stripe", data=payload, content_type="application/json",
                           headers={"Stripe-Signature": sign(payload)})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_signature"


def test_checkout_form_address_fields_are_stored_as_text_not_markup(shopper, product):
    shopper.add(product)
    token = shopper.checkout(name='<script>alert("x")</script>')
    page = shopper.client.get(f"/orders/{token}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page or "&lt;script&gt;" in page

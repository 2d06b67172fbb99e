"""Huge, negative and garbage numbers in query strings, paths and forms never answer 500.

Every GET route of ``app.url_map`` is walked (storefront, account, admin, API), signed in as
an owner so that the admin and the API answer; routes added later are covered without
touching this file. Run it on PostgreSQL too: beyond 2**31 - 1 its INTEGER ids overflow, and
beyond 64 bits the driver cannot even send the number.
"""

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from shop.domain.numbers import MAX_ID, OutOfBounds, bounded_int
from shop.extensions import db
from shop.models import CartItem, Role

from ..factories import PASSWORD, make_order, make_user
from ..routes import arguments
from ..shopper import csrf_token, login

HUGE = "99999999999999999999"
CURSOR_DATE = "2026-01-01T00:00:00+00:00"
BAD = [HUGE, "-1", "0", "abc", "1e400", "²", str(2**31), str(2**63), " ", "%00", "1.5",
       f"{HUGE}~{HUGE}", f"{CURSOR_DATE}~{HUGE}", f"#{HUGE}"]
# The worst of BAD, tried on each parameter alone (an early 400 cannot hide a later 500).
WORST = [HUGE, "²", str(2**31), f"{HUGE}~{HUGE}", f"{CURSOR_DATE}~{HUGE}"]
# Query parameters that hold numbers somewhere in the app (and a few that might one day).
NUMERIC = ["page", "per_page", "before", "after", "address", "order_id", "q", "id"]

def get_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in (rule.methods or ()):
            continue
        ints = {a for a in rule.arguments if isinstance(rule._converters[a], IntegerConverter)}
        yield rule, ints


def build(app, rule, ints, int_value) -> str:
    values = {**arguments(rule), **{a: int_value for a in ints}}
    return app.url_map.bind("localhost").build(rule.endpoint, values, method="GET")


@pytest.fixture
def owner_client(client, store, product):
    user = make_user("owner@example.com", store=store, role=Role.OWNER)
    make_order(store, product, user=user)
    assert login(client, "owner@example.com", PASSWORD).status_code == 303
    return client


def test_no_get_route_answers_500_to_bad_numbers_in_the_query(owner_client):
    app = owner_client.application
    walked, failures = set(), []
    for rule, ints in get_routes(app):
        url = build(app, rule, ints, 1)
        walked.add(rule.rule)
        queries = [{name: value for name in NUMERIC} for value in BAD]
        queries += [{name: value, "sort": "total_high"} for name in NUMERIC for value in WORST]
        for query in queries:
            response = owner_client.get(url, query_string=query)
            if response.status_code >= 500:
                failures.append((rule.rule, query, response.status_code))
    assert failures == []
    assert {"/", "/account/orders", "/admin/orders", "/admin/payments", "/admin/products",
            "/api/payments", "/checkout"} <= walked


@pytest.mark.parametrize("value", [HUGE, str(2**31), str(2**63)])
def test_huge_ids_in_paths_are_404_not_500(owner_client, value):
    app = owner_client.application
    checked = 0
    for rule, ints in get_routes(app):
        if not ints:
            continue
        response = owner_client.get(build(app, rule, ints, 1).replace("/1", f"/{value}"))
        assert response.status_code == 404, (rule.rule, response.status_code)
        checked += 1
    assert checked >= 8


def test_the_largest_id_still_reaches_the_view(owner_client):
    # MAX_ID is a real (if absent) order: the view answers its own 404.
    response = owner_client.get(f"/admin/orders/{MAX_ID}")
    assert response.status_code == 404
    assert "order" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize("path", ["/?page={}", "/account/orders?page={}",
                                  "/admin/products?page={}"])
@pytest.mark.parametrize("value", [HUGE, "-1", "0", "abc", "10001"])
def test_a_bad_page_number_is_a_400_that_says_what_is_accepted(owner_client, path, value):
    response = owner_client.get(path.format(value))
    assert response.status_code == 400
    assert "page must be a whole number from 1 to 10000" in response.get_data(as_text=True)


def test_the_api_answers_422_to_a_huge_page(owner_client):
    response = owner_client.get(f"/api/payments?page={HUGE}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("product_id", [HUGE, str(2**31), "²", "-1"])
def test_cart_refuses_a_huge_product_id(client, store, product, product_id):
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    response = client.post("/cart/add", data={"csrf_token": csrf_token(page),
                                              "product_id": product_id, "quantity": 1})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(CartItem.id))) == 0


def test_store_switch_refuses_a_huge_store_id(owner_client):
    page = owner_client.get("/admin/").get_data(as_text=True)
    response = owner_client.post("/admin/store", data={"csrf_token": csrf_token(page),
                                                       "store_id": HUGE})
    assert response.status_code == 400


@pytest.mark.parametrize("raw,expected", [("1", 1), (" 42 ", 42), ("007", 7),
                                          (str(MAX_ID), MAX_ID)])
def test_bounded_int_accepts(raw, expected):
    assert bounded_int(raw) == expected


@pytest.mark.parametrize("raw", ["", "0", "-1", str(MAX_ID + 1), HUGE, "²", "١٢", "1_000",
                                 "+1", "0x10", "1e3", "9" * 5000])
def test_bounded_int_refuses(raw):
    with pytest.raises(OutOfBounds, match="must be a whole number from 1 to"):
        bounded_int(raw)

"""Shipping methods on the checkout form, "Update total" without JavaScript, and changing an
order's address or shipping from its payment page (a new order; the old intent canceled)."""

import html
import json
import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from shop.checkout.forms import CheckoutForm
from shop.domain.money import format_money
from shop.domain.pricing import DEFAULT_RATES, PricedLine, quote
from shop.domain.regions import regions_of
from shop.extensions import db
from shop.models import InventoryHold, Order, PaymentAttempt

from ..factories import PASSWORD, make_user
from ..shopper import (
    ADDRESS,
    CARD_OK,
    csrf_token,
    hidden,
    intent_id_from_secret,
    login,
    order_token,
    post_form,
)

EDIT_LINK = "Edit address or shipping"


def counts():
    return tuple(db.session.scalar(select(func.count(model.id)))
                 for model in (Order, InventoryHold, PaymentAttempt))


def shown(page: str) -> dict:
    """The summary's figures as the page shows them."""
    return {key: re.search(rf'id="summary-{key}">([^<]*)<', page).group(1)
            for key in ("subtotal", "shipping", "tax-label", "tax", "total")}


def expected(product, quantity: int, country: str, method: str, region: str = "") -> dict:
    """What quote() says, formatted as the shop formats money."""
    q = quote([PricedLine(product.id, product.name, product.price, quantity)],
              country=country, region=region, shipping_method=method, rates=DEFAULT_RATES)

    def money(amount):
        return format_money(amount, q.currency, "en_US")

    return {"subtotal": money(q.subtotal), "shipping": money(q.shipping) if q.shipping
            else "Free", "tax-label": f"Tax ({q.tax_rate_bp / 100:g}%)" if q.tax_rate_bp else "Tax",
            "tax": money(q.tax),
            "total": money(q.total)}


def method_prices(page: str) -> dict:
    return dict(re.findall(r'data-method-price="(\w+)">([^<]*)<', page))


def test_each_method_is_listed_with_its_price_for_the_country(shopper, client, product):
    shopper.add(product, 1)
    page = client.get("/checkout").get_data(as_text=True)
    # The country starts on the store's own, the United States; tax waits for the state.
    assert method_prices(page) == {"standard": "$5.00", "express": "$15.00"}
    assert shown(page) == {**expected(product, 1, "US", "standard", "US-CA"),
                           "tax-label": "Tax", "tax": "—", "total": "—"}
    assert "Choose a state or province to see the tax and total." in page
    assert "1–2 business days" in page and "3–5 business days" in page


def test_standard_shipping_shows_free_over_the_threshold(shopper, product):
    shopper.add(product, 5)  # 82.50: standard is free in the United States from 75.00
    response = shopper.submit_checkout(shopper.checkout_form(), update_total="1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert method_prices(page) == {"standard": "Free", "express": "$15.00"}
    assert shown(page) == expected(product, 5, "US", "standard", ADDRESS["region"])
    assert shown(page)["shipping"] == "Free"


def test_update_total_reprices_keeps_the_fields_and_places_nothing(shopper, product):
    shopper.add(product, 2)
    form = shopper.checkout_form()
    response = shopper.submit_checkout(form, country="DE", region="", shipping_method="express",
                                       update_total="1", name="", city="Köln")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown(page) == expected(product, 2, "DE", "express")
    assert counts() == (0, 0, 0)
    # Unfinished fields are not flagged by "Update total"; what was typed is kept.
    assert "Enter the name to ship to." not in page and 'class="field-error"' not in page
    assert 'value="Köln"' in page and 'value="1 Analytical Way"' in page
    assert re.search(r'<option selected value="DE">|<option value="DE" selected', page)
    assert re.search(r'checked[^>]*value="express"|value="express"[^>]*checked', page)
    # The form is still good for placing the order, at the figures shown.
    placed = shopper.submit_checkout({"csrf_token": csrf_token(page),
                                      "checkout_token": hidden(page, "checkout_token")},
                                     country="DE", region="", shipping_method="express")
    assert placed.status_code == 303
    order = db.session.scalar(select(Order))
    assert format_money(order.total, "USD") == shown(page)["total"]
    assert (order.ship_country, order.shipping_method) == ("DE", "express")


def test_the_embedded_prices_are_quote_for_every_destination(shopper, client, product):
    shopper.add(product, 3)
    page = client.get("/checkout").get_data(as_text=True)
    data = json.loads(html.unescape(re.search(r"data-prices='([^']*)'", page).group(1)))
    regions = {r.code: r.name for c in ("US", "CA") for r in regions_of(c)}
    assert set(data) == set(DEFAULT_RATES.countries) | set(regions)
    for destination, entry in data.items():
        country, _, _ = destination.partition("-")
        region = destination if "-" in destination else ""
        name = DEFAULT_RATES.countries[country]
        assert entry["name"] == (f"{regions[region]}, {name}" if region else name)
        for method, figures in entry["methods"].items():
            if entry.get("regions"):  # the country's own entry: shipping only
                assert set(figures) == {"label", "shipping"}
                want = expected(product, 3, country, method, f"{country}-ON"
                                if country == "CA" else f"{country}-TX")
                assert figures["shipping"] == want["shipping"]
                continue
            want = expected(product, 3, country, method, region)
            assert (figures["shipping"], figures["tax_label"], figures["tax"],
                    figures["total"]) == (want["shipping"], want["tax-label"], want["tax"],
                                          want["total"])
    assert data["US-TX"]["methods"]["standard"]["tax_label"] == "Tax (6.25%)"


@pytest.mark.parametrize("extra", [{}, {"update_total": "1"}])
def test_an_unknown_method_is_a_form_error_and_places_nothing(shopper, product, extra):
    shopper.add(product, 1)
    response = shopper.submit_checkout(shopper.checkout_form(), shipping_method="drone",
                                       **extra)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose one of the shipping methods listed." in page
    assert counts() == (0, 0, 0)


def test_a_method_not_offered_to_the_country_is_a_form_error(clean_app):
    """No zone of the default rates lacks a method; a shop that stops shipping express to
    Canada must refuse it on the form, before anything is placed."""
    zones = tuple(replace(z, shipping={"standard": z.shipping["standard"]})
                  if z.code == "north_america" else z for z in DEFAULT_RATES.zones)
    rates = replace(DEFAULT_RATES, zones=zones)
    data = {**ADDRESS, "checkout_token": "t", "country": "CA", "region": "CA-ON",
            "shipping_method": "express"}
    with clean_app.test_request_context(method="POST", data=data):
        form = CheckoutForm(meta={"csrf": False}).set_choices(rates)
        assert not form.validate()
        assert form.errors == {"shipping_method": [
            "Express shipping is not available to Canada. Choose another method."]}
        assert not form.validate_destination()
    with clean_app.test_request_context(method="POST",
                                        data={**data, "country": "US", "region": "US-CA"}):
        assert CheckoutForm(meta={"csrf": False}).set_choices(rates).validate()


def pay_page(client, token: str) -> str:
    response = client.get(f"/orders/{token}/pay")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def attempt_of(token: str) -> PaymentAttempt:
    return db.session.scalar(select(PaymentAttempt).join(Order).where(Order.token == token))


def test_editing_from_the_payment_page_replaces_the_order_and_cancels_its_intent(
        shopper, client, product, stripe_client):
    shopper.add(product, 2)
    old = shopper.checkout()
    page = pay_page(client, old)
    link = re.search(rf'<a href="([^"]+)">{EDIT_LINK}</a>', page).group(1)
    assert link == f"/checkout?order={old}"  # the token only: no personal data in the URL
    old_intent = attempt_of(old).provider_reference

    page = client.get(link).get_data(as_text=True)
    for value in ("ada@example.com", "Ada Lovelace", "1 Analytical Way", "Springfield",
                  "62701"):
        assert f'value="{value}"' in page
    assert re.search(r'<option selected value="US">|<option value="US" selected', page)
    assert re.search(r'checked[^>]*value="standard"|value="standard"[^>]*checked', page)
    assert re.search(r'<option selected value="US-CA">|<option value="US-CA" selected', page)
    assert shown(page) == expected(product, 2, "US", "standard", "US-CA")

    response = shopper.submit_checkout(
        {"csrf_token": csrf_token(page), "checkout_token": hidden(page, "checkout_token")},
        country="CA", region="CA-AB", shipping_method="express")
    assert response.status_code == 303
    new = order_token(response.headers["Location"])
    assert new != old
    old_order, new_order = (db.session.scalar(select(Order).where(Order.token == t))
                            for t in (old, new))
    assert (old_order.status, new_order.status) == ("canceled", "pending")
    assert stripe_client.v1.payment_intents.retrieve(old_intent).status == "canceled"
    assert attempt_of(old).status == "canceled"
    # Re-priced: Canada's express shipping and Alberta's 5 % (GST only).
    assert (new_order.subtotal, new_order.shipping, new_order.tax, new_order.total) == (
        3300, 2800, 305, 6405)
    new_intent = stripe_client.v1.payment_intents.retrieve(attempt_of(new).provider_reference)
    assert (new_intent.amount, new_intent.status) == (6405, "requires_payment_method")
    assert EDIT_LINK in pay_page(client, new)
    # The replaced order is closed: its link leads to its status page.
    again = client.get(f"/checkout?order={old}")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/orders/{old}")


def test_a_paid_order_has_no_edit_link_and_its_details_are_not_loaded(
        shopper, client, product, browser):
    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    assert browser.confirm(secret, CARD_OK).status == "succeeded"
    shopper.return_from_stripe(token, intent_id_from_secret(secret))
    assert shopper.status(token)["payment_status"] == "paid"
    response = client.get(f"/checkout?order={token}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{token}")
    status_page = client.get(f"/orders/{token}").get_data(as_text=True)
    assert EDIT_LINK not in status_page and "Ada Lovelace" in status_page
    assert client.get(f"/orders/{token}/pay").status_code == 303
    assert counts() == (1, 1, 1)


def test_an_order_is_edited_only_from_its_own_cart(clean_app, shopper, product):
    shopper.add(product, 1)
    token = shopper.checkout()
    stranger = clean_app.test_client()
    response = stranger.get(f"/checkout?order={token}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{token}/pay")
    assert "Ada Lovelace" not in stranger.get("/checkout", follow_redirects=True).get_data(
        as_text=True)
    assert stranger.get("/checkout?order=no-such-order").status_code == 404
    assert db.session.scalar(select(Order.status)) == "pending"


def test_a_signed_in_shopper_edits_the_orders_details_not_their_saved_address(
        client, shopper, product, store):
    make_user("ada@example.com")
    login(client, "ada@example.com", PASSWORD)
    post_form(client, "/account/addresses", "/account/addresses", name="Ada Lovelace",
              line1="12 Engine Street", line2="", city="Chicago", postal_code="60601",
              region="US-IL", country="US")
    shopper.add(product, 1)
    token = shopper.checkout(line1="3 Difference Row", city="London", postal_code="N1 7AA",
                             country="GB", region="", shipping_method="express")
    page = client.get(f"/checkout?order={token}").get_data(as_text=True)
    assert 'value="3 Difference Row"' in page and 'value="12 Engine Street"' not in page
    assert re.search(r'<option selected value="GB">|<option value="GB" selected', page)
    assert shown(page) == expected(product, 1, "GB", "express")

"""States and provinces at checkout: the store's country first, the region's tax on the
order, a clear refusal for a missing or foreign region, names in full wherever an address
is shown (pages, receipts: text, HTML and PDF)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from shop.domain.errors import InvalidRegion
from shop.extensions import db
from shop.models import Address, Cart, Order, Store
from shop.services.checkout.place import CheckoutDetails, place_order

from ..factories import PASSWORD, make_user
from ..shopper import ADDRESS, CARD_OK, intent_id_from_secret, login, post_form

AUSTIN = {"city": "Austin", "region": "US-TX", "postal_code": "78701", "country": "US"}
VANCOUVER = {"city": "Vancouver", "region": "CA-BC", "postal_code": "V6B 1A1",
             "country": "CA"}


def selected(html: str, name: str) -> str | None:
    """The value the page's ``<select name=...>`` shows chosen."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select_html, f"no select {name}"
    for option in re.findall(r"<option[^>]*>", select_html.group(1)):
        if " selected" in option:
            return re.search(r'value="([^"]*)"', option).group(1)
    return None


def orders() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Order.id)))


def the_order(token: str) -> Order:
    db.session.rollback()
    return db.session.scalar(select(Order).where(Order.token == token))


def test_the_country_starts_on_the_stores_own(shopper, product, store):
    shopper.add(product)
    html = shopper.client.get("/checkout").get_data(as_text=True)
    assert selected(html, "country") == "US"
    assert selected(html, "region") == ""
    assert '<optgroup label="Canada">' in html and ">British Columbia</option>" in html


def test_a_canadian_store_starts_on_canada(client, clean_app, shopper):
    store = Store(slug="main", name="Maple", currency="CAD", country="CA")
    db.session.add(store)
    db.session.commit()
    from ..factories import make_product

    shopper.add(make_product(store, price=1000))
    html = shopper.client.get("/checkout").get_data(as_text=True)
    assert selected(html, "country") == "CA"


def test_a_texas_order_pays_texas_tax(shopper, product):
    shopper.add(product)  # 16.50 + 5.00 shipping, 6.25 % = 1.34375
    order = the_order(shopper.checkout(**AUSTIN))
    assert (order.ship_region, order.ship_country) == ("US-TX", "US")
    assert (order.tax_rate_bp, order.tax, order.total) == (625, 134, 1650 + 500 + 134)


@pytest.mark.parametrize(("region", "rate_bp"), [("CA-BC", 1200), ("CA-ON", 1300),
                                                 ("CA-AB", 500), ("CA-QC", 1497)])
def test_a_canadian_order_pays_gst_and_pst_or_hst(shopper, product, region, rate_bp):
    shopper.add(product)
    order = the_order(shopper.checkout(**{**VANCOUVER, "region": region}))
    assert (order.ship_region, order.tax_rate_bp) == (region, rate_bp)
    assert order.tax == ((1650 + 1200) * rate_bp * 2 + 10000) // 20000


@pytest.mark.parametrize(("changes", "message"), [
    ({"region": ""}, "Choose a state for this address."),
    ({**VANCOUVER, "region": "US-TX"},
     "Choose a province or territory listed under Canada: Texas is not one of them."),
    ({"country": "GB", "region": "US-TX"}, "Leave the state or province empty for this country."),
    ({"region": "US-ZZ"}, "Choose a state or province from the list."),
    ({"region": "US-PR"}, "Choose a state or province from the list."),
])
def test_a_missing_or_foreign_region_is_a_form_error_and_places_nothing(
        shopper, product, changes, message):
    shopper.add(product)
    form = shopper.checkout_form()
    response = shopper.submit_checkout(form, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'<p class="field-error" id="region-error">([^<]+)</p>', html).group(1) \
        == message
    assert orders() == 0
    # Nothing changed: the same form goes through once corrected.
    assert shopper.submit_checkout(form, **AUSTIN).status_code == 303
    assert orders() == 1


def test_the_service_refuses_a_region_of_another_country(shopper, product, store):
    shopper.add(product)
    form = shopper.checkout_form()
    cart = db.session.scalar(select(Cart))
    details = CheckoutDetails(**{k: v for k, v in ADDRESS.items() if k != "region"},
                              region="CA-ON")
    with pytest.raises(InvalidRegion):
        place_order(store_id=store.id, cart_token=cart.token,
                    checkout_token=form["checkout_token"], details=details)
    assert orders() == 0


def test_pages_write_the_region_and_country_in_full(shopper, product, client):
    shopper.add(product)
    token = shopper.checkout(**AUSTIN)
    html = client.get(f"/orders/{token}").get_data(as_text=True)
    assert "Austin, Texas 78701, United States" in html
    assert ", US ·" not in html and ", US," not in html
    shopper.add(product)
    token = shopper.checkout(**VANCOUVER)
    html = client.get(f"/orders/{token}/pay").get_data(as_text=True)
    assert "Vancouver, British Columbia V6B 1A1, Canada" in html


def test_the_receipt_shows_the_address_and_the_method(shopper, product, browser, mailbox):
    shopper.add(product)
    token = shopper.checkout(**AUSTIN, shipping_method="express")
    secret = shopper.client_secret(token)
    browser.confirm(secret, CARD_OK)
    shopper.return_from_stripe(token, intent_id_from_secret(secret))
    assert the_order(token).payment_status == "paid"
    [mail] = [m for m in mailbox() if m["Subject"].endswith("is confirmed")]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for lines in (text, html):
        assert "Ada Lovelace" in lines and "1 Analytical Way" in lines
        assert "Austin, Texas 78701" in lines and "United States" in lines
    assert "Shipping: Express, $15.00" in text
    assert "Shipping (Express)" in html and "Express, $15.00" in html
    [pdf] = [part for part in mail.iter_attachments()
             if part.get_content_type() == "application/pdf"]
    pdf_text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "Austin, Texas 78701" in pdf_text and "United States" in pdf_text
    assert "Express, $15.00" in pdf_text and "Shipping (Express)" in pdf_text


def test_a_saved_address_keeps_its_region(client, store, product, shopper):
    user = make_user("ada@example.com")
    login(client, "ada@example.com", PASSWORD)
    page = client.get("/account/addresses").get_data(as_text=True)
    assert selected(page, "country") == "US"
    home = {"name": "Ada Lovelace", "line1": "1 Main St", "line2": "", **AUSTIN}
    refused = post_form(client, "/account/addresses", "/account/addresses",
                        **{**home, "region": "CA-ON"})
    assert refused.status_code == 400
    assert "Choose a state listed under United States: Ontario is not one of them." in \
        refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Address.id))) == 0
    assert post_form(client, "/account/addresses", "/account/addresses",
                     **home).status_code == 303
    saved = db.session.scalar(select(Address).where(Address.user_id == user.id))
    assert saved.region == "US-TX"
    assert "1 Main St, Austin, Texas 78701, United States" in client.get(
        "/account/addresses").get_data(as_text=True)
    edit = client.get(f"/account/addresses/{saved.id}/edit").get_data(as_text=True)
    assert selected(edit, "region") == "US-TX"

    shopper.add(product)
    checkout = client.get("/checkout").get_data(as_text=True)
    assert (selected(checkout, "country"), selected(checkout, "region")) == ("US", "US-TX")
    token = shopper.checkout(**VANCOUVER)
    order = the_order(token)
    page = client.get(f"/account/orders/{order.id}").get_data(as_text=True)
    assert "Vancouver, British Columbia V6B 1A1, Canada" in page

"""The checkout's ``payment_method``: a post without it pays by the store's pre-selected
method, and a method the store does not offer, or that does not fit, is refused with a
form message and nothing placed."""

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Order, PaymentAttempt, StoreSettings


def placed() -> int:
    return db.session.scalar(select(func.count(Order.id)))


def test_a_post_without_a_method_pays_through_the_payment_element(shopper, product):
    shopper.add(product, 1)
    form = shopper.checkout_form()
    form.pop("payment_method", None)
    assert shopper.submit_checkout(form).status_code == 303
    order = db.session.scalar(select(Order))
    attempt = db.session.scalar(select(PaymentAttempt))
    assert (order.payment_method, attempt.provider) == ("stripe", "stripe")


@pytest.mark.parametrize("method", ["cod", "paystack", "bitcoin", ""])
def test_a_method_the_store_does_not_offer_is_refused(shopper, product, method):
    shopper.add(product, 1)
    response = shopper.submit_checkout(shopper.checkout_form(), payment_method=method or "x" * 30)
    assert response.status_code == 422
    assert "not available in this shop" in response.get_data(as_text=True)
    assert placed() == 0


def test_a_store_without_the_payment_element_refuses_it(shopper, product, app):
    db.session.add(StoreSettings(store_id=product.store_id, payment_methods=["cod"]))
    db.session.commit()
    shopper.add(product, 1)
    response = shopper.submit_checkout(shopper.checkout_form(), payment_method="stripe")
    assert response.status_code == 422 and placed() == 0

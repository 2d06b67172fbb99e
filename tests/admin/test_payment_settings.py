"""Issue 20 item 9: owners enable, order and limit the payment methods in /admin/settings;
the page says which are configured; every refusal changes nothing; a save is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, StoreSettings
from shop.services.payments.methods import method_settings

from .helpers import csrf, field_error

URL = "/admin/settings/payments"
METHODS = ("stripe", "stripe_checkout", "paystack", "flutterwave", "bank_transfer", "cod")


def payment_form(client) -> dict:
    """The section's fields as a browser would post them for the default choice (the page
    showing exactly these is checked below)."""
    fields = {f"position_{name}": str(i) for i, name in enumerate(METHODS, start=1)}
    return fields | {"on_stripe": "y", "on_stripe_checkout": "y",
                     "default_payment_method": "stripe", "cod_max_amount": "", "cod_fee": "",
                     "bank_transfer_hold_days": "3", "bank_account": "",
                     "csrf_token": csrf(client, "/admin/settings")}


def shown(html: str) -> dict:
    """What the payment section shows: its inputs' values, ticked boxes, the selection."""
    section = re.search(r'<section[^>]*id="payment-settings".*?</section>', html, re.S).group(0)
    inputs = re.findall(r"<input[^>]*>", section)
    fields = {}
    for tag in inputs:
        name = re.search(r'name="([^"]+)"', tag).group(1)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                fields[name] = "y"
        else:
            fields[name] = re.search(r'value="([^"]*)"', tag).group(1)
    fields["default_payment_method"] = re.search(
        r'<option selected value="([^"]+)"', section).group(1)
    fields["bank_account"] = re.search(r"<textarea[^>]*>([^<]*)</textarea>",
                                       section).group(1).strip()
    return fields


def enable(form: dict, *methods: str) -> dict:
    for name in METHODS:
        form.pop(f"on_{name}", None)
    form.update({f"on_{name}": "y" for name in methods})
    return form


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def test_the_page_shows_each_method_and_whether_it_is_configured(as_owner, store):
    html = as_owner.get("/admin/settings").get_data(as_text=True)
    form = shown(html)
    assert {k: v for k, v in form.items() if k != "csrf_token"} == \
        {k: v for k, v in payment_form(as_owner).items() if k != "csrf_token"}
    # The defaults (PAYMENT_METHODS): the Payment Element, then hosted Checkout.
    assert {k for k in form if k.startswith("on_")} == {"on_stripe", "on_stripe_checkout"}
    assert (form["position_stripe"], form["position_stripe_checkout"]) == ("1", "2")
    assert form["default_payment_method"] == "stripe" and form["bank_transfer_hold_days"] == "3"
    row = re.search(r'<tr id="method-bank_transfer">.*?</tr>', html, re.S).group(0)
    assert "Not configured: needs the account details below." in row
    # The sandbox keys of the test config count as configured.
    assert "Configured" in re.search(r'<tr id="method-paystack">.*?</tr>', html, re.S).group(0)


def test_a_valid_save_stores_the_choice_and_audits_it(as_owner, store):
    form = enable(payment_form(as_owner), "stripe", "cod", "bank_transfer")
    form.update(position_cod="1", position_stripe="2", position_bank_transfer="3",
                default_payment_method="cod", cod_max_amount="250.00", cod_fee="2.50",
                bank_transfer_hold_days="5", bank_account="Bean & Leaf\nIBAN DE00 1234")
    response = as_owner.post(URL, data=form)
    assert response.status_code == 303
    settings = method_settings(store.id)
    assert settings.enabled == ("cod", "stripe", "bank_transfer")
    assert (settings.default, settings.cod_max_amount, settings.cod_fee,
            settings.bank_transfer_hold_days) == ("cod", 25000, 250, 5)
    assert settings.bank_account.splitlines() == ["Bean & Leaf", "IBAN DE00 1234"]
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.actor) == ("payment_settings_changed",
                                           "staff:owner@example.com")
    assert "payment methods: stripe, stripe_checkout → cod, stripe, bank_transfer" in event.reason
    assert "cash on delivery limit: no limit → $250.00" in event.reason
    assert "bank account details: set" in event.reason
    # The page shows the saved choice, and bank transfer is now configured.
    html = as_owner.get("/admin/settings").get_data(as_text=True)
    assert "Configured" in re.search(r'<tr id="method-bank_transfer">.*?</tr>', html,
                                     re.S).group(0)


def test_saving_the_defaults_again_stores_nothing(as_owner, store):
    assert as_owner.post(URL, data=payment_form(as_owner)).status_code == 303
    assert db.session.get(StoreSettings, store.id) is None
    assert audit_count() == 0


def test_only_differences_from_the_defaults_are_stored(as_owner, store):
    form = enable(payment_form(as_owner), "stripe", "stripe_checkout", "cod")
    assert as_owner.post(URL, data=form).status_code == 303
    row = db.session.get(StoreSettings, store.id)
    assert row.payment_methods == ["stripe", "stripe_checkout", "cod"]
    assert (row.default_payment_method, row.cod_fee, row.bank_transfer_hold_days) == \
        (None, None, None)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"methods": ()}, None, "Enable at least one payment method, or shoppers cannot pay."),
    ({"default_payment_method": "paystack"}, "default_payment_method",
     "The pre-selected method must be one of the methods you enable."),
    ({"default_payment_method": "bitcoin"}, "default_payment_method",
     "Choose a payment method from the list."),
    ({"methods": ("stripe", "bank_transfer"), "bank_account": ""}, "bank_account",
     "Enter the account details shoppers transfer to, or disable bank transfer."),
    ({"cod_max_amount": "99999999999999999999"}, "cod_max_amount",
     "That amount is too large."),
    ({"cod_fee": "50000000.00"}, "cod_fee", "Enter at most $21,474,836.47."),
    ({"cod_fee": "-1"}, "cod_fee", "Enter an amount of 0 or more."),
    ({"bank_transfer_hold_days": "99999999999999999999"}, "bank_transfer_hold_days",
     "Choose between 1 and 30 days."),
    ({"position_stripe": "99999999999999999999"}, "position_stripe", "Choose between 1 and 6."),
])
def test_each_refusal_is_shown_beside_its_field_and_changes_nothing(as_owner, store, change,
                                                                    field, message):
    form = payment_form(as_owner)
    change = dict(change)
    if "methods" in change:
        enable(form, *change.pop("methods"))
    form.update(change)
    response = as_owner.post(URL, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    if field is None:
        assert f'id="payment-methods-error">{message}<' in html
    else:
        assert field_error(html, field) == message
    assert db.session.get(StoreSettings, store.id) is None
    assert audit_count() == 0


def test_an_enabled_method_without_credentials_is_marked(as_owner, store, clean_app,
                                                         monkeypatch):
    monkeypatch.setitem(clean_app.config, "PAYSTACK_SECRET_KEY", "")
    form = enable(payment_form(as_owner), "stripe", "paystack")
    assert as_owner.post(URL, data=form).status_code == 303
    html = as_owner.get("/admin/settings").get_data(as_text=True)
    row = re.search(r'<tr id="method-paystack">.*?</tr>', html, re.S).group(0)
    assert "Enabled, not configured" in row and "PAYSTACK_SECRET_KEY" in row


def test_staff_may_not_change_payment_methods(as_staff, store):
    response = as_staff.post(URL, data={"csrf_token": csrf(as_staff), "on_cod": "y",
                                        "default_payment_method": "cod"})
    assert response.status_code == 403
    assert db.session.get(StoreSettings, store.id) is None


def test_a_naira_store_enters_its_limits_in_naira(clean_app, store):
    from shop.models import Role

    from ..factories import make_user
    from .conftest import signed_in

    store.currency, store.country = "NGN", "NG"
    db.session.commit()
    make_user("oga@example.com", store=store, role=Role.OWNER)
    client = signed_in(clean_app, "oga@example.com")
    html = client.get("/admin/settings").get_data(as_text=True)
    assert "Amounts in NGN." in html and "Nigeria: Standard" in html
    form = enable(payment_form(client), "cod", "bank_transfer")
    form.update(default_payment_method="cod", cod_max_amount="200,000", cod_fee="500",
                bank_account="Bean & Leaf Lagos Ltd, 0123456789")
    assert client.post(URL, data=form).status_code == 303
    settings = method_settings(store.id)
    assert (settings.cod_max_amount, settings.cod_fee) == (200_000_00, 500_00)
    event = db.session.scalar(select(AuditEvent))
    assert "cash on delivery fee: NGN0.00 → NGN500.00" in event.reason

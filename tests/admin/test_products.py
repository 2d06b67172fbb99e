"""Products and stock: create, edit, archive, stock adjustments, low stock (images:
test_product_images.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, Category, Product, StockAdjustment

from ..factories import make_product
from .helpers import field_error, make_order, post


def product_form(**overrides) -> dict:
    return {"name": "Kenya Nyeri AA", "slug": "", "price": "18.50",
            "description": "Bright and juicy.", "category_id": "", **overrides}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_create_a_product(as_staff, store):
    category = Category(store_id=store.id, slug="coffee", name="Coffee")
    db.session.add(category)
    db.session.commit()
    response = post(as_staff, "/admin/products/new",
                    product_form(category_id=str(category.id), price="$1,018.5"))
    assert response.status_code == 303
    product = db.session.scalar(select(Product))
    assert (product.name, product.slug, product.price, product.category_id, product.active,
            product.stock_on_hand) == ("Kenya Nyeri AA", "kenya-nyeri-aa", 101850,
                                       category.id, True, 0)
    assert response.headers["Location"] == f"/admin/products/{product.id}"
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.entity_id, event.actor) == \
        ("product_created", product.id, "staff:staff@example.com")
    assert as_staff.get("/products/kenya-nyeri-aa").status_code == 200


@pytest.mark.parametrize("overrides,field,message", [
    ({"slug": "Bad Slug!"}, "slug",
     "Use lowercase letters, digits and single dashes only, like kenya-nyeri."),
    ({"slug": "double--dash"}, "slug",
     "Use lowercase letters, digits and single dashes only, like kenya-nyeri."),
    ({"price": "-5"}, "price", "Enter an amount of 0 or more."),
    ({"price": "12,50"}, "price", "Enter an amount like 12.50."),
    ({"price": "1.999"}, "price", "Use at most 2 decimals."),
    ({"price": ""}, "price", "Enter a price, like 12.50."),
    ({"name": "  "}, "name", "Enter the product's name."),
    ({"name": "☕☕", "slug": ""}, "slug",
     "Enter a web address: the name has no letters to make one from."),
    ({"category_id": "999"}, "category_id", "Not a valid choice."),
])
def test_bad_input_is_refused_beside_the_field(as_staff, store, overrides, field, message):
    response = post(as_staff, "/admin/products/new", product_form(**overrides))
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), field) == message
    assert count(Product) == 0
    assert count(AuditEvent) == 0


def test_a_taken_slug_is_caught_by_the_database(as_staff, store, other_store):
    make_product(store, name="Old").slug = "house-blend"
    make_product(other_store, name="Elsewhere").slug = "espresso"
    db.session.commit()
    taken = post(as_staff, "/admin/products/new", product_form(slug="house-blend"))
    assert taken.status_code == 400
    assert field_error(taken.get_data(as_text=True), "slug") == \
        "Another product already uses the address “house-blend”."
    assert count(Product) == 2
    # Unique per store only: another store's slug is free here.
    assert post(as_staff, "/admin/products/new",
                product_form(slug="espresso")).status_code == 303


def test_edit_keeps_the_form_values_and_saves(as_staff, store, product):
    page = as_staff.get(f"/admin/products/{product.id}").get_data(as_text=True)
    assert 'value="16.50"' in page
    response = post(as_staff, f"/admin/products/{product.id}",
                    product_form(name="Kenya Nyeri", slug=product.slug, price="17"))
    assert response.status_code == 303
    db.session.refresh(product)
    assert (product.price, product.name) == (1700, "Kenya Nyeri")


def test_edit_to_another_products_slug_changes_nothing(as_staff, store, product):
    other = make_product(store)
    response = post(as_staff, f"/admin/products/{product.id}",
                    product_form(slug=other.slug, price="99"))
    assert response.status_code == 400
    assert "already uses the address" in field_error(response.get_data(as_text=True), "slug")
    db.session.refresh(product)
    assert product.price == 1650


def test_archive_hides_from_the_shop_and_restore_brings_back(as_staff, store, product):
    assert post(as_staff, f"/admin/products/{product.id}/archive",
                {"archive": "1"}).status_code == 303
    assert as_staff.get(f"/products/{product.slug}").status_code == 404
    assert [e.action for e in db.session.scalars(select(AuditEvent))] == ["product_archived"]
    post(as_staff, f"/admin/products/{product.id}/archive", {"archive": "0"})
    db.session.refresh(product)
    assert product.active
    assert as_staff.get(f"/products/{product.slug}").status_code == 200


class TestStock:
    def test_add_stock_with_a_reason(self, as_staff, store, product):
        response = post(as_staff, f"/admin/products/{product.id}/stock",
                        {"delta": "5", "reason": "received", "note": "PO 1042"})
        assert response.status_code == 303
        db.session.refresh(product)
        assert product.stock_on_hand == 15
        adjustment = db.session.scalar(select(StockAdjustment))
        assert (adjustment.delta, adjustment.stock_after, adjustment.reason,
                adjustment.actor) == (5, 15, "Delivery received: PO 1042",
                                      "staff:staff@example.com")
        event = db.session.scalar(select(AuditEvent))
        assert (event.action, event.from_state, event.to_state) == ("stock_adjusted", "10", "15")
        page = as_staff.get(f"/admin/products/{product.id}").get_data(as_text=True)
        assert "Delivery received: PO 1042" in page

    @pytest.mark.parametrize("delta,message", [
        ("-11", "There are only 10 on hand, so you can remove at most 10."),
        ("0", "Enter a number of units other than 0."),
        ("", "Enter how many units to add or remove."),
        ("two", "Not a valid integer value."),
    ])
    def test_bad_adjustments_change_nothing(self, as_staff, store, product, delta, message):
        response = post(as_staff, f"/admin/products/{product.id}/stock",
                        {"delta": delta, "reason": "damaged"})
        assert response.status_code == 400
        assert field_error(response.get_data(as_text=True), "delta") == message
        db.session.refresh(product)
        assert product.stock_on_hand == 10
        assert count(StockAdjustment) == 0 and count(AuditEvent) == 0

    def test_low_stock_counts_holds(self, as_staff, store):
        make_product(store, name="Plenty", stock=50)
        make_product(store, name="Scarce", stock=3)
        held = make_product(store, name="Held down", stock=8)
        make_order(store, product=held, quantity=4)  # 8 on hand − 4 held = 4 available
        archived = make_product(store, name="Gone", stock=0)
        archived.active = False
        db.session.commit()
        page = as_staff.get("/admin/stock/low").get_data(as_text=True)
        assert "Scarce" in page and "Held down" in page
        assert "Plenty" not in page and "Gone" not in page
        assert page.index("Scarce") < page.index("Held down")

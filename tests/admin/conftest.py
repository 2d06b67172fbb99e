"""Two stores, their people, and signed-in test clients for each role."""

from __future__ import annotations

import pytest

from shop.models import Role

from ..factories import PASSWORD, make_product, make_store, make_user
from ..shopper import login


def signed_in(app, email: str):
    client = app.test_client()
    response = login(client, email, PASSWORD)
    assert response.status_code == 303, response.status_code
    return client


@pytest.fixture
def store(clean_app):
    return make_store("main")


@pytest.fixture
def other_store(clean_app):
    return make_store("other")


@pytest.fixture
def owner(store):
    return make_user("owner@example.com", store=store, role=Role.OWNER)


@pytest.fixture
def staff_user(store):
    return make_user("staff@example.com", store=store, role=Role.STAFF)


@pytest.fixture
def outsider(other_store):
    """Staff, but of the other store."""
    return make_user("outsider@example.com", store=other_store, role=Role.STAFF)


@pytest.fixture
def as_owner(clean_app, owner):
    return signed_in(clean_app, owner.email)


@pytest.fixture
def as_staff(clean_app, staff_user):
    return signed_in(clean_app, staff_user.email)


@pytest.fixture
def as_outsider(clean_app, store, outsider):
    return signed_in(clean_app, outsider.email)


@pytest.fixture
def product(store):
    return make_product(store, name="Kenya Nyeri", price=1650, stock=10)


@pytest.fixture
def upload_dir(clean_app, tmp_path, monkeypatch):
    monkeypatch.setitem(clean_app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"

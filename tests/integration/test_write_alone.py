"""``write_alone``: one statement committed on its own, without BEGIN and COMMIT around it,
after the request's earlier reads are ended (as ``write_transaction`` ends them)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from shop.extensions import db
from shop.models import Product
from shop.services.platform.tx import write_alone, write_transaction

from ..statements import recorded_statements


def test_the_statement_is_committed_alone(product):
    product_id = product.id
    db.session.commit()
    db.session.scalar(select(Product.stock_on_hand).where(Product.id == product_id))  # a read

    with recorded_statements(control=True) as statements:
        changed = write_alone(update(Product)
                              .where(Product.id == product_id, Product.stock_on_hand == 10)
                              .values(stock_on_hand=7))

    assert changed == 1
    # No BEGIN (SQLite's is ours to send), no COMMIT.
    assert [statement.split()[0].upper() for statement in statements] == ["UPDATE"]
    # Committed: another connection sees it, and so does this session (its read was ended).
    with db.engine.connect() as other:
        assert other.scalar(select(Product.stock_on_hand).where(Product.id == product_id)) == 7
    assert db.session.scalar(select(Product.stock_on_hand).where(Product.id == product_id)) == 7


def test_a_condition_that_no_longer_holds_changes_nothing(product):
    product_id = product.id
    db.session.commit()
    assert write_alone(update(Product).where(Product.id == product_id, Product.stock_on_hand == 3)
                       .values(stock_on_hand=0)) == 0
    db.session.rollback()
    assert db.session.scalar(select(Product.stock_on_hand).where(Product.id == product_id)) == 10


def test_neither_kind_of_write_starts_inside_a_write_transaction(product):
    """Both end what the session has open first: inside a running use case that would roll
    it back without a word. They refuse instead, and the running use case still commits."""
    product_id = product.id
    db.session.commit()
    with write_transaction() as session:
        session.execute(update(Product).where(Product.id == product_id)
                        .values(stock_on_hand=4))
        with pytest.raises(RuntimeError, match="inside another"):
            write_alone(update(Product).where(Product.id == product_id)
                        .values(stock_on_hand=0))
        with pytest.raises(RuntimeError, match="inside another"), write_transaction():
            pass
    db.session.rollback()
    assert db.session.scalar(select(Product.stock_on_hand).where(Product.id == product_id)) == 4

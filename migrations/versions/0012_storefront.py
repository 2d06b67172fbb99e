"""storefront: product list indexes that also answer the page's count and sort

The catalog page counts a category's active products and reads one page of them by
(name, id). The old indexes (store_id, category_id, name) and (store_id, name) made the
count visit the table (a bitmap heap scan of every matching row, ~1 ms for 1 250 products)
and the page sort its rows again by id. With id in the key and ``active`` included, both
are index-only once the table is vacuumed (docs/performance.md). ``INCLUDE`` is
PostgreSQL's; SQLite builds the same keys without it.

Revision ID: 0012_storefront
Revises: 0011_scale
Create Date: 2026-11-23 11:30:00

"""
from alembic import op


revision = '0012_storefront'
down_revision = '0011_scale'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_store_category_name')
        batch_op.drop_index('ix_products_store_name')
        batch_op.create_index('ix_products_store_category_name_id',
                              ['store_id', 'category_id', 'name', 'id'], unique=False,
                              postgresql_include=['active'])
        batch_op.create_index('ix_products_store_name_id', ['store_id', 'name', 'id'],
                              unique=False, postgresql_include=['active'])


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_store_name_id')
        batch_op.drop_index('ix_products_store_category_name_id')
        batch_op.create_index('ix_products_store_name', ['store_id', 'name'], unique=False)
        batch_op.create_index('ix_products_store_category_name',
                              ['store_id', 'category_id', 'name'], unique=False)

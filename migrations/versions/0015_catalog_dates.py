"""catalog dates: products.updated_at and categories.updated_at, the sitemap's lastmod

Rows that exist get the time of the migration (nothing better is known of them).

Revision ID: 0015_catalog_dates
Revises: 0014_h2_accounts
Create Date: 2026-12-07 11:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015_catalog_dates'
down_revision = '0014_h2_accounts'
branch_labels = None
depends_on = None

TABLES = ('products', 'categories')


def upgrade():
    # SQLite adds no column with a non-constant default by ALTER: the table is rebuilt.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None, recreate='auto') as batch_op:
            batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True),
                                          server_default=sa.func.now(), nullable=False))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('updated_at')

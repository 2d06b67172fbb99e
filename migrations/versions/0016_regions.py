"""regions: addresses.region, orders.ship_region (ISO 3166-2) and stores.country

Existing addresses and orders get "" (no region was asked when they were written: a saved
US or Canadian address asks for its state or province at its next checkout). Existing
stores get the country of their currency where that names one country, else "US" (every
store so far sells in USD).

Revision ID: 0016_regions
Revises: 0016_alerts (written on 0015_catalog_dates; chained after main's head, 0016_alerts,
when main was merged into this branch)
Create Date: 2026-12-07 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_regions'
down_revision = '0016_alerts'
branch_labels = None
depends_on = None

COUNTRY_OF_CURRENCY = {'USD': 'US', 'CAD': 'CA', 'GBP': 'GB', 'CHF': 'CH', 'NOK': 'NO',
                       'SEK': 'SE'}


def upgrade():
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region', sa.String(length=6), server_default='',
                                      nullable=False))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ship_region', sa.String(length=6), server_default='',
                                      nullable=False))
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), server_default='US',
                                      nullable=False))
    stores = sa.table('stores', sa.column('currency', sa.String), sa.column('country', sa.String))
    for currency, country in COUNTRY_OF_CURRENCY.items():
        op.execute(stores.update().where(stores.c.currency == currency)
                   .values(country=country))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+ has it): a batch would rebuild `stores`, and
    # SQLite refuses to drop a table that other tables' foreign keys point at.
    op.drop_column('stores', 'country')
    op.drop_column('orders', 'ship_region')
    op.drop_column('addresses', 'region')

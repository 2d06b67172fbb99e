"""stock hoarding: who a checkout came from (keyed hashes, no raw address), the per-store
cap on units of one product in one order

``orders.client_ip`` (the raw address, kept for ever) is replaced by ``client_ip_hash``, an
HMAC of it under the app's SECRET_KEY, and ``client_session`` (the same for the browser
session). The migration has no key to hash the old addresses with, so they are dropped:
orders placed before it are simply not counted by the card-testing guard or the cap on
open checkouts.

Revision ID: 0014_h3_stock
Revises: 0013_money
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014_h3_stock'
down_revision = '0013_money'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_ip_hash', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('client_session', sa.String(length=32), nullable=True))
        batch_op.drop_column('client_ip')
        batch_op.create_index('ix_orders_client_ip_status', ['client_ip_hash', 'status'],
                              unique=False)
        batch_op.create_index('ix_orders_client_session_status', ['client_session', 'status'],
                              unique=False)
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_units_per_product', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_column('max_units_per_product')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_client_session_status')
        batch_op.drop_index('ix_orders_client_ip_status')
        batch_op.add_column(sa.Column('client_ip', sa.String(length=45), nullable=True))
        batch_op.drop_column('client_session')
        batch_op.drop_column('client_ip_hash')

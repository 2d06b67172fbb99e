"""money: an index for a cart's orders (the checkout supersedes a cart's unpaid orders)

Without it, superseding a cart's unpaid orders scans the whole orders table on every
checkout. (An order's latest attempt is served by ix_payment_attempts_order_id, 0011_scale.)

Revision ID: 0013_money
Revises: 0012_storefront
Create Date: 2026-11-23 11:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_money'
down_revision = '0012_storefront'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_orders_cart_status', 'orders', ['cart_id', 'status'], unique=False)


def downgrade():
    op.drop_index('ix_orders_cart_status', table_name='orders')

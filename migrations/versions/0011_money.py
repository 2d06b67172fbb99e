"""money: indexes for the checkout and the webhook (an order's attempts, a cart's orders)

Without them, superseding a cart's unpaid orders and finding an order's latest attempt scan
the whole table on every checkout, payment page and receipt.

Revision ID: 0011_money
Revises: 0010_money
Create Date: 2026-11-23 11:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_money'
down_revision = '0010_money'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_orders_cart_status', 'orders', ['cart_id', 'status'], unique=False)
    op.create_index('ix_payment_attempts_order_id', 'payment_attempts', ['order_id', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_payment_attempts_order_id', table_name='payment_attempts')
    op.drop_index('ix_orders_cart_status', table_name='orders')

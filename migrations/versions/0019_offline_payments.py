"""offline payments: the fee a payment method adds to an order (cash on delivery's COD_FEE)

Revision ID: 0019_offline_payments
Revises: 0018_payment_history
Create Date: 2026-12-07 20:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019_offline_payments'
down_revision = '0018_payment_history'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN with a default, not batch mode: no table rebuild for one column.
    op.add_column('orders', sa.Column('payment_fee', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    op.drop_column('orders', 'payment_fee')  # SQLite ≥ 3.35 drops a column in place

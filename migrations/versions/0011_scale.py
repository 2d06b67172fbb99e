"""scale: indexes for hold expiry batches and lookups of payment attempts by order
(by order, newest id first: also the checkout's and the receipt's "latest attempt")

Revision ID: 0011_scale
Revises: 0010_money
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_scale'
down_revision = '0010_money'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_payment_attempts_order_id', ['order_id', 'id'], unique=False)
    with op.batch_alter_table('inventory_holds', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_holds_status_order_expires',
                              ['status', 'order_id', 'expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('inventory_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_holds_status_order_expires')
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_attempts_order_id')

"""payment history: one row per payment attempt and per refund, under the order's shopper

The shopper's payment history page reads one range of ``ix_payment_history_user`` instead of
a union over their orders' attempts and refunds. Every existing attempt and refund gets its
row here (the order's ``user_id``, None for a guest order), oldest first.

Revision ID: 0018_payment_history
Revises: 0018_payment_methods
Create Date: 2026-12-07 20:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018_payment_history'
down_revision = '0018_payment_methods'
branch_labels = None
depends_on = None

PAYMENT_ROW = sa.text('transaction_id IS NULL')
FILL = """
INSERT INTO payment_history (store_id, user_id, order_id, attempt_id, transaction_id, at)
SELECT store_id, user_id, order_id, attempt_id, transaction_id, at FROM (
    SELECT a.store_id, o.user_id, a.order_id, a.id AS attempt_id,
        NULL AS transaction_id, a.created_at AS at
    FROM payment_attempts a JOIN orders o ON o.id = a.order_id
    UNION ALL
    SELECT t.store_id, o.user_id, a.order_id, a.id, t.id, t.created_at
    FROM payment_transactions t JOIN payment_attempts a ON a.id = t.attempt_id
    JOIN orders o ON o.id = a.order_id
    WHERE t.kind = 'refund'
) AS rows ORDER BY at, attempt_id, transaction_id
"""


def upgrade():
    op.create_table(
        'payment_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('transaction_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['payment_attempts.id'],
                                name=op.f('fk_payment_history_attempt_id_payment_attempts')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_payment_history_order_id_orders')),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                                name=op.f('fk_payment_history_store_id_stores')),
        sa.ForeignKeyConstraint(
            ['transaction_id'], ['payment_transactions.id'],
            name=op.f('fk_payment_history_transaction_id_payment_transactions')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_payment_history_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_history')),
    )
    op.execute(FILL)
    # The indexes after the rows: built once, not grown row by row.
    op.create_index('ix_payment_history_user', 'payment_history',
                    ['user_id', 'store_id', 'at', 'id'],
                    postgresql_include=['attempt_id', 'transaction_id'])
    op.create_index('ix_payment_history_order', 'payment_history', ['order_id'])
    op.create_index('uq_payment_history_attempt', 'payment_history', ['attempt_id'],
                    unique=True, sqlite_where=PAYMENT_ROW, postgresql_where=PAYMENT_ROW)
    op.create_index('uq_payment_history_transaction', 'payment_history', ['transaction_id'],
                    unique=True)


def downgrade():
    op.drop_index('uq_payment_history_transaction', table_name='payment_history')
    op.drop_index('uq_payment_history_attempt', table_name='payment_history')
    op.drop_index('ix_payment_history_order', table_name='payment_history')
    op.drop_index('ix_payment_history_user', table_name='payment_history')
    op.drop_table('payment_history')

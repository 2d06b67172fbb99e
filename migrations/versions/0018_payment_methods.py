"""payment methods: the method an order is paid by, hosted sessions, and each store's choice

``orders.payment_method`` (every existing order was paid through the Payment Element:
"stripe") and ``orders.payment_reference`` (a bank transfer's reference);
``payment_attempts.session_id`` and ``redirect_url`` (a hosted payment page's session and
link); the store's enabled methods and their limits in ``store_settings``.

Revision ID: 0018_payment_methods
Revises: 0017_variants
Create Date: 2026-12-07 20:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018_payment_methods'
down_revision = '0017_variants'
branch_labels = None
depends_on = None

SETTINGS = (
    ('payment_methods', sa.JSON()),
    ('default_payment_method', sa.String(length=20)),
    ('cod_max_amount', sa.Integer()),
    ('cod_fee', sa.Integer()),
    ('bank_transfer_hold_days', sa.Integer()),
    ('bank_account', sa.Text()),
)


def upgrade():
    # Plain ADD COLUMN and unique indexes, not batch mode: on SQLite a batch copy of
    # orders would rebuild the table and its partial indexes for two nullable columns.
    op.add_column('orders', sa.Column('payment_method', sa.String(length=20),
                                      server_default='stripe', nullable=False))
    op.add_column('orders', sa.Column('payment_reference', sa.String(length=35)))
    op.create_index('uq_orders_payment_reference', 'orders', ['payment_reference'],
                    unique=True)
    op.add_column('payment_attempts', sa.Column('session_id', sa.String(length=255)))
    op.add_column('payment_attempts', sa.Column('redirect_url', sa.Text()))
    op.create_index('uq_payment_attempts_session_id', 'payment_attempts', ['session_id'],
                    unique=True)
    with op.batch_alter_table('store_settings') as batch_op:
        for name, type_ in SETTINGS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    with op.batch_alter_table('store_settings') as batch_op:
        for name, _ in reversed(SETTINGS):
            batch_op.drop_column(name)
    op.drop_index('uq_payment_attempts_session_id', table_name='payment_attempts')
    op.drop_index('uq_orders_payment_reference', table_name='orders')
    for table, column in (('payment_attempts', 'redirect_url'), ('payment_attempts', 'session_id'),
                          ('orders', 'payment_reference'), ('orders', 'payment_method')):
        op.drop_column(table, column)  # SQLite ≥ 3.35 drops a column in place

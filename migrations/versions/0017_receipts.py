"""receipts: issued receipts and credit notes (number + immutable snapshot), the per-store
counters that number them without gaps, and the store's legal details printed on them

Orders paid before this revision get no receipt retroactively: their receipt e-mail was
already sent from the order's live rows, and a number given now would date a document
after the fact. Their downloads answer 404 ("no receipt was issued"); every payment from
here on gets one in the transaction that marks it paid.

Revision ID: 0017_receipts
Revises: 0016_archive
Create Date: 2026-12-07 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017_receipts'
down_revision = '0017_search'
branch_labels = None
depends_on = None

ONE_RECEIPT = sa.text("kind = 'receipt'")


def upgrade():
    op.create_table(
        'document_counters',
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('store_id', 'kind'),
    )
    op.create_table(
        'receipts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('receipt_id', sa.Integer(), nullable=True),
        sa.Column('transaction_id', sa.Integer(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.Column('payment_method', sa.JSON(), nullable=True),
        sa.CheckConstraint("kind IN ('receipt', 'credit_note')", name='receipt_kind_known'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id']),
        sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id']),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id']),
        sa.ForeignKeyConstraint(['transaction_id'], ['payment_transactions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('store_id', 'kind', 'number', name='uq_receipts_store_kind_number'),
        sa.UniqueConstraint('transaction_id'),
    )
    op.create_index('uq_receipts_one_per_order', 'receipts', ['order_id'], unique=True,
                    sqlite_where=ONE_RECEIPT, postgresql_where=ONE_RECEIPT)
    op.create_index('ix_receipts_order', 'receipts', ['order_id', 'kind', 'number'])
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('legal_address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('tax_id', sa.String(length=60), nullable=True))
    # Each store starts both counters at 0, so its first document is number 1.
    op.execute("INSERT INTO document_counters (store_id, kind, last_number) "
               "SELECT id, 'receipt', 0 FROM stores")
    op.execute("INSERT INTO document_counters (store_id, kind, last_number) "
               "SELECT id, 'credit_note', 0 FROM stores")


def downgrade():
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_column('tax_id')
        batch_op.drop_column('legal_address')
        batch_op.drop_column('legal_name')
    op.drop_index('ix_receipts_order', table_name='receipts')
    op.drop_index('uq_receipts_one_per_order', table_name='receipts')
    op.drop_table('receipts')
    op.drop_table('document_counters')

"""archive: orders.archived_at (hidden from the default admin list, never deleted) and a
per-store archive_after_days setting; an index on inventory_holds.created_at for the
last day's holds that /metrics reports

Existing orders start unarchived (archived_at NULL): the daily archive_orders job archives
the eligible ones on its first run, in batches, with its audit rows, rather than this
migration doing it silently. The admin list's indexes (store, newest first; by status; by
payment status; by total) become partial, over orders not archived: once most old orders
are archived, a full index would walk them to fill a filtered page.

Revision ID: 0016_archive
Revises: 0016_regions
Create Date: 2026-12-07 14:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_archive'
down_revision = '0016_images'
branch_labels = None
depends_on = None

LIVE = sa.text('archived_at IS NULL')
REPLACED = (
    ('ix_orders_store_status_created_id', 'ix_orders_store_live_status_created_id',
     ['store_id', 'status', 'created_at', 'id']),
    ('ix_orders_store_payment_created_id', 'ix_orders_store_live_payment_created_id',
     ['store_id', 'payment_status', 'created_at', 'id']),
    ('ix_orders_store_total_id', 'ix_orders_store_live_total_id', ['store_id', 'total', 'id']),
)


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_orders_store_live_created_id',
                              ['store_id', 'created_at', 'id'], unique=False,
                              sqlite_where=LIVE, postgresql_where=LIVE)
        for old, new, columns in REPLACED:
            batch_op.drop_index(old)
            batch_op.create_index(new, columns, unique=False, sqlite_where=LIVE,
                                  postgresql_where=LIVE)
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archive_after_days', sa.Integer(), nullable=True))
    op.create_index('ix_inventory_holds_created', 'inventory_holds', ['created_at'])


def downgrade():
    op.drop_index('ix_inventory_holds_created', table_name='inventory_holds')
    with op.batch_alter_table('store_settings', schema=None) as batch_op:
        batch_op.drop_column('archive_after_days')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for old, new, columns in REPLACED:
            batch_op.drop_index(new, sqlite_where=LIVE, postgresql_where=LIVE)
            batch_op.create_index(old, columns, unique=False)
        batch_op.drop_index('ix_orders_store_live_created_id', sqlite_where=LIVE,
                            postgresql_where=LIVE)
        batch_op.drop_column('archived_at')

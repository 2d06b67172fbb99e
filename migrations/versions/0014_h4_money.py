"""h4 money: reconciliation runs belong to a store; platform admins

A run over every store records one row per store, so that a store's staff see only their
own runs (and no other store's staff e-mail in a run's trigger). Runs recorded before keep
a NULL store and are shown to nobody. ``users.is_platform_admin`` marks the people who may
see Stripe events that match no store.

Revision ID: 0014_h4_money
Revises: 0014_h3_stock
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_h4_money'
down_revision = '0014_h3_stock'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reconciliation_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('store_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reconciliation_runs_store_id_stores'),
                                    'stores', ['store_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_reconciliation_runs_store_id', ['store_id', 'id'],
                              unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_platform_admin', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('is_platform_admin')

    with op.batch_alter_table('reconciliation_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliation_runs_store_id')
        batch_op.drop_constraint(batch_op.f('fk_reconciliation_runs_store_id_stores'),
                                 type_='foreignkey')
        batch_op.drop_column('store_id')

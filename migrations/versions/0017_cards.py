"""saved cards: one Stripe Customer per account and store (ids only, no card data)

Revision ID: 0017_cards
Revises: 0016_archive
Create Date: 2026-12-07 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017_cards'
down_revision = '0016_archive'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stripe_customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_stripe_customers_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stripe_customers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_customers')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_stripe_customers_customer_id')),
    sa.UniqueConstraint('user_id', 'store_id', name='uq_stripe_customers_user_store')
    )


def downgrade():
    op.drop_table('stripe_customers')

"""provider events: each Paystack or Flutterwave webhook once, by (provider, event id)

A table of its own rather than a provider column on ``stripe_events``: the Stripe table's
replay, listing and API-version bookkeeping read Stripe's event shape.

Revision ID: 0019_provider_events
Revises: 0019_offline_payments
Create Date: 2026-12-07 20:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019_provider_events'
down_revision = '0019_offline_payments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'provider_events',
        sa.Column('provider', sa.String(length=20), nullable=False),
        sa.Column('event_id', sa.String(length=255), nullable=False),
        sa.Column('type', sa.String(length=100), nullable=False),
        sa.Column('reference', sa.String(length=255), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('payload', sa.Text(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('provider', 'event_id'),
    )
    op.create_index('ix_provider_events_received', 'provider_events', ['received_at'])
    op.create_index('ix_provider_events_reference', 'provider_events', ['reference'])


def downgrade():
    op.drop_index('ix_provider_events_reference', table_name='provider_events')
    op.drop_index('ix_provider_events_received', table_name='provider_events')
    op.drop_table('provider_events')

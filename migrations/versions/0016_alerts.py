"""alerts: an alert's figures, when its condition was last seen, e-mail and resolution;
per-store alert thresholds and webhook

Existing alerts keep their message; they get no figures (nothing better is known of them).
An alert already resolved was resolved by someone unknown: ``resolved_by`` stays NULL.
An open alert counts as e-mailed (its owners already saw it in the CLI or the admin, and a
first e-mail now would be news of old things).

Revision ID: 0016_alerts
Revises: 0015_catalog_dates
Create Date: 2026-12-07 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_alerts'
down_revision = '0016_verify'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('figures', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolved_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('resolved_note', sa.Text(), nullable=True))
    staff_alerts = sa.table('staff_alerts', sa.column('created_at', sa.DateTime(timezone=True)),
                            sa.column('emailed_at', sa.DateTime(timezone=True)))
    op.execute(staff_alerts.update().values(emailed_at=staff_alerts.c.created_at))

    op.create_table('store_alert_settings',
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('success_rate_min', sa.Integer(), nullable=True),
    sa.Column('min_sample', sa.Integer(), nullable=True),
    sa.Column('webhook_failure_max', sa.Integer(), nullable=True),
    sa.Column('hold_lapse_max', sa.Integer(), nullable=True),
    sa.Column('webhook_url', sa.String(length=500), nullable=True),
    sa.Column('webhook_secret_nonce', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_store_alert_settings_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('store_id', name=op.f('pk_store_alert_settings'))
    )


def downgrade():
    op.drop_table('store_alert_settings')
    with op.batch_alter_table('staff_alerts', schema=None) as batch_op:
        batch_op.drop_column('resolved_note')
        batch_op.drop_column('resolved_by')
        batch_op.drop_column('emailed_at')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('figures')

"""verify: users.email_verified_at, set when the owner of the address proved it

Only a verified account claims the guest orders placed with its address. Of the users that
exist, store members are taken as verified: each either accepted an e-mailed invitation
(which proves the mailbox) or was made by the operator with `shop create-admin`. Shoppers
are not: their sign-up never proved the address, so they verify through the link the
account page offers before any guest order joins their account.

Revision ID: 0016_verify
Revises: 0015_catalog_dates
Create Date: 2026-12-07 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_verify'
down_revision = '0015_catalog_dates'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True),
                                      nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer),
                     sa.column('email_verified_at', sa.DateTime(timezone=True)))
    members = sa.table('store_memberships', sa.column('user_id', sa.Integer))
    op.execute(users.update()
               .where(users.c.id.in_(sa.select(members.c.user_id)))
               .values(email_verified_at=sa.func.now()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')

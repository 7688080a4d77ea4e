"""armees agent: decision details (amount granted, reason of a refusal), the queue's search key,
the payments' one-time token

Revision ID: 49d9369d325e
Revises: b7e2d94c0a15
Create Date: 2026-11-30 14:56:14.699898

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '49d9369d325e'
down_revision = 'b7e2d94c0a15'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('armees_application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('granted_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('search_key', sa.String(length=300), server_default='', nullable=False))

    with op.batch_alter_table('armees_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_armees_payment_submission_token'), ['submission_token'])



def downgrade():
    with op.batch_alter_table('armees_payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_armees_payment_submission_token'), type_='unique')
        batch_op.drop_column('submission_token')

    with op.batch_alter_table('armees_application', schema=None) as batch_op:
        batch_op.drop_column('search_key')
        batch_op.drop_column('decision_reason')
        batch_op.drop_column('granted_cents')


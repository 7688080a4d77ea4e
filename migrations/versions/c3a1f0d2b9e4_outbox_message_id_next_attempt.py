"""outbox: stable Message-ID and next attempt time (jobs out of the request)

Revision ID: c3a1f0d2b9e4
Revises: a7d3c5e91b24
Create Date: 2026-11-30 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = 'c3a1f0d2b9e4'
down_revision = 'a7d3c5e91b24'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', models.base.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('message_id')

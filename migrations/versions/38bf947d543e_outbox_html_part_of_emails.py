"""outbox: HTML part of emails (core.notify renders a text and an HTML part)

Revision ID: 38bf947d543e
Revises: d5da65a475b0
Create Date: 2026-11-30 09:52:18.286233

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '38bf947d543e'
down_revision = 'd5da65a475b0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('html')


"""Files sent with an email of the outbox (outbox_message.attachment_ids): the Portail Des Aides
mails the recap PDF of a transmitted application.

Revision ID: b7c1d2e3f4a5
Revises: af4774927cd3
Create Date: 2026-11-30 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7c1d2e3f4a5'
down_revision = 'af4774927cd3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_ids', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('attachment_ids')

"""submission tokens of MSA messages: « Envoyer » or a reply posted twice creates one conversation /
one message (core.submission)

Revision ID: a3c9e51d7f20
Revises: 7c1a2f0e9b31
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c9e51d7f20'
down_revision = '7c1a2f0e9b31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_conversation_submission_token'), ['submission_token'])
    with op.batch_alter_table('conversation_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_conversation_message_submission_token'),
                                          ['submission_token'])


def downgrade():
    with op.batch_alter_table('conversation_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_conversation_message_submission_token'), type_='unique')
        batch_op.drop_column('submission_token')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_conversation_submission_token'), type_='unique')
        batch_op.drop_column('submission_token')

"""CaseEvent.submission_token: a dated entry written by a form records its one-time token, so that
the form posted twice adds it once (Portail Des Aides: complementary documents, answers to
complement requests, duplication)

Revision ID: 8f67e3276969
Revises: af4774927cd3
Create Date: 2026-11-30 14:56:18.897455

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8f67e3276969'
down_revision = 'af4774927cd3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_event_submission_token'), ['submission_token'], unique=True)


def downgrade():
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_submission_token'))
        batch_op.drop_column('submission_token')

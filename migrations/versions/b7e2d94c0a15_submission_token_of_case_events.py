"""submission token of case events: « Compléter la demande » posted twice appends once
(core.submission)

Revision ID: b7e2d94c0a15
Revises: 2cab14918754
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2d94c0a15'
down_revision = '2cab14918754'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_case_event_submission_token'), ['submission_token'])


def downgrade():
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_case_event_submission_token'), type_='unique')
        batch_op.drop_column('submission_token')

"""msa signup resends: how many times a sign-up asked « Renvoyer le code »

Revision ID: 63d43d85570e
Revises: b220cd0b1a95
Create Date: 2026-11-22 20:47:08.565305

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '63d43d85570e'
down_revision = 'b220cd0b1a95'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('msa_signup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resends', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('msa_signup', schema=None) as batch_op:
        batch_op.drop_column('resends')


"""Version counters of cached reference data (organisations, structures, conventions, partner
settings), read with the login session

Revision ID: b5d1e7a3c902
Revises: d8f1b6a2c4e7
Create Date: 2026-11-30 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d1e7a3c902'
down_revision = 'd8f1b6a2c4e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_version',
                    sa.Column('name', sa.String(length=30), nullable=False),
                    sa.Column('version', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_version')))
    op.execute("INSERT INTO data_version (name, version) VALUES ('reference', 0)")


def downgrade():
    op.drop_table('data_version')

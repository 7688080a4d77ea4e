"""Partner requests counted per (organisation, structure, status, ODS), for the history's total;
filled from the existing requests

Revision ID: d8f1b6a2c4e7
Revises: a7c3e5d91b20
Create Date: 2026-11-30 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8f1b6a2c4e7'
down_revision = 'a7c3e5d91b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner_request_count',
    sa.Column('organisation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('structure_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ods', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                            name=op.f('fk_partner_request_count_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'],
                            name=op.f('fk_partner_request_count_structure_id_structure'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'structure_id', 'status', 'ods', name=op.f('pk_partner_request_count'))
    )
    op.execute("INSERT INTO partner_request_count (organisation_id, structure_id, status, ods, n) "
               "SELECT organisation_id, structure_id, status, ods, count(*) FROM partner_request "
               "GROUP BY organisation_id, structure_id, status, ods")


def downgrade():
    op.drop_table('partner_request_count')

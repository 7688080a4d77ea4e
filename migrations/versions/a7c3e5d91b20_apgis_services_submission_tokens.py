"""Apgis services: one-time submission tokens (hospital covers, reimbursements, statements, FAQ,
publications) and the indexes of the insured's lists (reimbursements, statements, newest first)

Revision ID: a7c3e5d91b20
Revises: c3a1f0d2b9e4
Create Date: 2026-11-30 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e5d91b20'
down_revision = 'c3a1f0d2b9e4'
branch_labels = None
depends_on = None

TABLES = ('apgis_hospital_cover', 'apgis_reimbursement', 'apgis_statement', 'apgis_faq', 'apgis_publication')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_submission_token'), ['submission_token'])
    with op.batch_alter_table('apgis_reimbursement', schema=None) as batch_op:
        batch_op.create_index('ix_apgis_reimbursement_insured_paid', ['insured_id', 'paid_on', 'id'], unique=False)
    with op.batch_alter_table('apgis_statement', schema=None) as batch_op:
        batch_op.create_index('ix_apgis_statement_insured_issued', ['insured_id', 'issued_on', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('apgis_statement', schema=None) as batch_op:
        batch_op.drop_index('ix_apgis_statement_insured_issued')
    with op.batch_alter_table('apgis_reimbursement', schema=None) as batch_op:
        batch_op.drop_index('ix_apgis_reimbursement_insured_paid')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_submission_token'), type_='unique')
            batch_op.drop_column('submission_token')

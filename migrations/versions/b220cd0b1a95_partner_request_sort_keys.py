"""partner request sort keys: folded copies of the requester's and the person's names, indexed
per (organisation, structure), filled here for the requests already filed.

Revision ID: b220cd0b1a95
Revises: e43a8fd137ef
Create Date: 2026-11-22 20:19:25.912187

"""
from alembic import op
import sqlalchemy as sa

import models.base
from models.partenaires import fold_text, person_sort_key


# revision identifiers, used by Alembic.
revision = 'b220cd0b1a95'
down_revision = 'e43a8fd137ef'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requester_sort_key', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('person_sort_key', sa.String(length=52), nullable=False, server_default=''))
        batch_op.create_index('ix_partner_request_history_person', ['organisation_id', 'structure_id', 'person_sort_key'], unique=False)
        batch_op.create_index('ix_partner_request_history_requester', ['organisation_id', 'structure_id', 'requester_sort_key'], unique=False)

    table = sa.table('partner_request', sa.column('id', sa.Integer), sa.column('requester_name', sa.String),
                     sa.column('person_last_name', sa.String), sa.column('person_first_name', sa.String),
                     sa.column('requester_sort_key', sa.String), sa.column('person_sort_key', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(table.c.id, table.c.requester_name, table.c.person_last_name,
                                  table.c.person_first_name)).all()
    if rows:
        conn.execute(table.update().where(table.c.id == sa.bindparam('row_id')).values(
            requester_sort_key=sa.bindparam('requester_key'), person_sort_key=sa.bindparam('person_key')),
            [{'row_id': r.id, 'requester_key': fold_text(r.requester_name),
              'person_key': person_sort_key(r.person_last_name, r.person_first_name)} for r in rows])


def downgrade():
    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_request_history_requester')
        batch_op.drop_index('ix_partner_request_history_person')
        batch_op.drop_column('person_sort_key')
        batch_op.drop_column('requester_sort_key')

"""portal kit: dated case history (case_event) and states stored as slugs

Partner requests and MSA conversations stored their state as its French label; they now store
the state's slug (core.workflow), the label being the workflow's.

Revision ID: 7c1a2f0e9b31
Revises: 46fb50bbece1
Create Date: 2026-11-30 12:10:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '7c1a2f0e9b31'
down_revision = '46fb50bbece1'
branch_labels = None
depends_on = None

SLUGS = {
    "partner_request": {"Nouveau": "nouveau", "Pris en charge": "pris-en-charge", "Résolu": "resolu",
                        "Annulée": "annulee"},
    "conversation": {"Nouveau": "nouveau", "En cours": "en-cours", "Clôturé": "cloture"},
}


def _rename(mapping_by_table, reverse=False):
    for table, mapping in mapping_by_table.items():
        for label, slug in mapping.items():
            old, new = (slug, label) if reverse else (label, slug)
            op.execute(sa.text(f"UPDATE {table} SET status = :new WHERE status = :old").bindparams(old=old, new=new))


def upgrade():
    op.create_table(
        'case_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_type', sa.String(length=40), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('at', models.base.UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('transition', sa.String(length=40), nullable=True),
        sa.Column('from_state', sa.String(length=30), nullable=True),
        sa.Column('to_state', sa.String(length=30), nullable=True),
        sa.Column('text', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_event_case', 'case_event', ['case_type', 'case_id', 'at'], unique=False)
    _rename(SLUGS)


def downgrade():
    _rename(SLUGS, reverse=True)
    op.drop_index('ix_case_event_case', table_name='case_event')
    op.drop_table('case_event')

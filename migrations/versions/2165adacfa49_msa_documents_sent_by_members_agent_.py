"""msa documents sent by members, agent digests

Revision ID: 2165adacfa49
Revises: 391e24cf6925
Create Date: 2026-11-30 17:44:25.246419

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '2165adacfa49'
down_revision = '391e24cf6925'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('msa_document_sequence',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_msa_document_sequence'))
    )
    op.create_table('msa_agent_digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('covered_until', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('replies', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['user.id'], name=op.f('fk_msa_agent_digest_agent_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_msa_agent_digest'))
    )
    with op.batch_alter_table('msa_agent_digest', schema=None) as batch_op:
        batch_op.create_index('ix_msa_agent_digest_agent', ['agent_id', 'sent_at'], unique=False)

    op.create_table('msa_document_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('subject_label', sa.String(length=160), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('processed_by_id', sa.Integer(), nullable=True),
    sa.Column('submission_token', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['user.id'], name=op.f('fk_msa_document_submission_member_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_msa_document_submission_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['processed_by_id'], ['user.id'], name=op.f('fk_msa_document_submission_processed_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_msa_document_submission')),
    sa.UniqueConstraint('reference', name=op.f('uq_msa_document_submission_reference')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_msa_document_submission_submission_token'))
    )
    with op.batch_alter_table('msa_document_submission', schema=None) as batch_op:
        batch_op.create_index('ix_msa_document_queue', ['organisation_id', 'status', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_msa_document_submission_member_id'), ['member_id'], unique=False)

    op.create_table('msa_document_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('nature', sa.String(length=40), nullable=False),
    sa.Column('nature_label', sa.String(length=160), nullable=False),
    sa.Column('person', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['msa_document_submission.id'], name=op.f('fk_msa_document_item_submission_id_msa_document_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_msa_document_item'))
    )
    with op.batch_alter_table('msa_document_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_msa_document_item_submission_id'), ['submission_id'], unique=False)



def downgrade():
    with op.batch_alter_table('msa_document_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_msa_document_item_submission_id'))

    op.drop_table('msa_document_item')
    with op.batch_alter_table('msa_document_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_msa_document_submission_member_id'))
        batch_op.drop_index('ix_msa_document_queue')

    op.drop_table('msa_document_submission')
    with op.batch_alter_table('msa_agent_digest', schema=None) as batch_op:
        batch_op.drop_index('ix_msa_agent_digest_agent')

    op.drop_table('msa_agent_digest')
    op.drop_table('msa_document_sequence')

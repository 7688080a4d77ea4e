"""msa services: payments, contact details, appointments

Revision ID: 514aedbe6c74
Revises: 2165adacfa49
Create Date: 2026-11-30 17:45:11.694519

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '514aedbe6c74'
down_revision = '2165adacfa49'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('msa_appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('modality', sa.String(length=20), nullable=False),
    sa.Column('slots', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scheduled_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('agent_note', sa.String(length=300), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('submission_token', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['user.id'], name=op.f('fk_msa_appointment_agent_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['msa_member.id'], name=op.f('fk_msa_appointment_member_id_msa_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_msa_appointment_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_msa_appointment')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_msa_appointment_submission_token'))
    )
    with op.batch_alter_table('msa_appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_msa_appointment_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_msa_appointment_queue', ['organisation_id', 'status', 'created_at'], unique=False)

    op.create_table('msa_contact_details',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('address_abroad', sa.Boolean(), nullable=False),
    sa.Column('address_line1', sa.String(length=38), nullable=True),
    sa.Column('address_line2', sa.String(length=38), nullable=True),
    sa.Column('address_line3', sa.String(length=38), nullable=True),
    sa.Column('postcode', sa.String(length=5), nullable=True),
    sa.Column('insee', sa.String(length=5), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['msa_member.id'], name=op.f('fk_msa_contact_details_member_id_msa_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_msa_contact_details')),
    sa.UniqueConstraint('member_id', name=op.f('uq_msa_contact_details_member_id'))
    )
    op.create_table('msa_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('branch', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_msa_payment_amount_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['msa_member.id'], name=op.f('fk_msa_payment_member_id_msa_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_msa_payment_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_msa_payment_recorded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_msa_payment'))
    )
    with op.batch_alter_table('msa_payment', schema=None) as batch_op:
        batch_op.create_index('ix_msa_payment_member_date', ['member_id', 'paid_on', 'id'], unique=False)




def downgrade():

    with op.batch_alter_table('msa_payment', schema=None) as batch_op:
        batch_op.drop_index('ix_msa_payment_member_date')

    op.drop_table('msa_payment')
    op.drop_table('msa_contact_details')
    with op.batch_alter_table('msa_appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_msa_appointment_queue')
        batch_op.drop_index(batch_op.f('ix_msa_appointment_member_id'))

    op.drop_table('msa_appointment')


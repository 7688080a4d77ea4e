"""security: first activation date (a deactivated account can no longer activate itself again),
server-side drafts (out of the session cookie)

Revision ID: d5da65a475b0
Revises: 63d43d85570e
Create Date: 2026-11-30 09:02:00.881456

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = 'd5da65a475b0'
down_revision = '63d43d85570e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('step', sa.String(length=60), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('attachment_token', sa.String(length=64), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_draft_owner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft')),
    sa.UniqueConstraint('owner_id', 'kind', name='uq_draft_owner_kind')
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activated_at', models.base.UTCDateTime(timezone=True), nullable=True))
    # Accounts active today were activated; an inactive account with a password that is not a
    # citizen's was activated once and then deactivated by its manager. Inactive citizens and
    # accounts without a password have never been activated.
    user = sa.table('user', sa.column('activated_at'), sa.column('created_at'), sa.column('active'),
                    sa.column('role'), sa.column('password_hash'))
    op.execute(user.update().where(user.c.active.is_(True)).values(activated_at=user.c.created_at))
    op.execute(user.update().where(user.c.active.is_(False), user.c.role != 'citizen',
                                   user.c.password_hash.isnot(None)).values(activated_at=user.c.created_at))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('activated_at')

    op.drop_table('draft')

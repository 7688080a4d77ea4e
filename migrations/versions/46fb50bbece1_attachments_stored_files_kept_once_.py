"""attachments: stored files kept once, shared by attachments

Each attachment row held the random name of its own file. The bytes now live in `stored_file`
(one row per file on disk, found by SHA-256 when the same bytes are uploaded again) and
attachments point to it, several possibly to the same one.

Existing rows: one stored_file per attachment, same storage name, size and date, and a NULL
sha256. The hashes are not computed here: that would read every upload during `flask db
upgrade` (slow, and the upload folder may not even be mounted where migrations run), and two
identical legacy files would collide on the unique hash. A legacy file is therefore never reused
by a new upload; everything else (downloads, removal, purge, link_copy) works the same for it.

Revision ID: 46fb50bbece1
Revises: 38bf947d543e
Create Date: 2026-11-30 11:46:44.607875

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '46fb50bbece1'
down_revision = '38bf947d543e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_stored_file_storage_name'))
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_file_sha256'), ['sha256'], unique=True)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_file_id', sa.Integer(), nullable=True))

    # Plain SQL that SQLite and PostgreSQL run alike.
    op.execute("INSERT INTO stored_file (storage_name, size, created_at) "
               "SELECT storage_name, size, created_at FROM attachment ORDER BY id")
    op.execute("UPDATE attachment SET stored_file_id = "
               "(SELECT stored_file.id FROM stored_file WHERE stored_file.storage_name = attachment.storage_name)")

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.alter_column('stored_file_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_attachment_stored_file_id'), ['stored_file_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attachment_stored_file_id_stored_file'), 'stored_file',
                                    ['stored_file_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('uq_attachment_storage_name'), type_='unique')
        batch_op.drop_column('storage_name')


def downgrade():
    # One file per attachment again: impossible once attachments share a file.
    shared = op.get_bind().execute(sa.text(
        "SELECT stored_file_id FROM attachment GROUP BY stored_file_id HAVING COUNT(*) > 1")).first()
    if shared is not None:
        raise RuntimeError("Some attachments share a stored file: copy those files under new names "
                           "before downgrading.")
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage_name', sa.String(length=64), nullable=True))
    op.execute("UPDATE attachment SET storage_name = "
               "(SELECT stored_file.storage_name FROM stored_file WHERE stored_file.id = attachment.stored_file_id)")
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.alter_column('storage_name', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_attachment_storage_name'), ['storage_name'])
        batch_op.drop_constraint(batch_op.f('fk_attachment_stored_file_id_stored_file'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attachment_stored_file_id'))
        batch_op.drop_column('stored_file_id')

    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_sha256'))

    op.drop_table('stored_file')

"""Apgis DIT slice: the folded search keys of DITs and questions (the managers' queues)

Revision ID: a7d3c5e91b24
Revises: 514aedbe6c74
Create Date: 2026-11-30 18:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7d3c5e91b24"
down_revision = '514aedbe6c74'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("apgis_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.String(length=400), nullable=False, server_default=""))
    with op.batch_alter_table("apgis_question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.String(length=400), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("apgis_question", schema=None) as batch_op:
        batch_op.drop_column("search_key")
    with op.batch_alter_table("apgis_request", schema=None) as batch_op:
        batch_op.drop_column("search_key")

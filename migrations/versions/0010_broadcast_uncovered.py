"""broadcasts: the sender's choice for those with no text in their chain, and how many got none

Revision ID: 0010_broadcast_uncovered
Revises: 0009_user_session_version
Create Date: 2026-12-07 05:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_broadcast_uncovered'
down_revision = '0009_user_session_version'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uncovered', sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column('skipped_no_text', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('skipped_no_text')
        batch_op.drop_column('uncovered')

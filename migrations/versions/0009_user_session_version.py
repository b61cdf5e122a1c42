"""users: a session version, to end every login of a user at once

Revision ID: 0009_user_session_version
Revises: 0008_radio_board_link
Create Date: 2026-12-07 05:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_user_session_version'
down_revision = '0008_radio_board_link'
branch_labels = None
depends_on = None


def upgrade():
    # Sessions made before this name no version: they end, and everyone logs in again once.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')

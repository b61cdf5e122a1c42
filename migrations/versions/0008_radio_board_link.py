"""radio shows: the studio board link's key hash and expiry

Revision ID: 0008_radio_board_link
Revises: 0007_inbound_handling_attempts
Create Date: 2026-12-07 05:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_radio_board_link'
down_revision = '0007_inbound_handling_attempts'
branch_labels = None
depends_on = None


def upgrade():
    # Existing shows get no link: signed links made before this stop working, and a host or
    # an admin makes a new one.
    with op.batch_alter_table('radio_shows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_key_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('board_key_expires_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('radio_shows', schema=None) as batch_op:
        batch_op.drop_column('board_key_expires_at')
        batch_op.drop_column('board_key_hash')

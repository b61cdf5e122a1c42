"""poll options' voice numbers: a missed call to one is a vote (beep to vote)

Revision ID: 0014_poll_voice_numbers
Revises: 0013_voice_line
Create Date: 2026-12-08 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_poll_voice_numbers"
down_revision = "0013_voice_line"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("poll_options", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voice_number", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_poll_options_voice_number"), ["voice_number"], unique=False
        )


def downgrade():
    with op.batch_alter_table("poll_options", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_options_voice_number"))
        batch_op.drop_column("voice_number")

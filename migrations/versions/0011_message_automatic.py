"""messages: whether the gateway sent it on its own (a reply), for the spend apart from broadcasts

Revision ID: 0011_message_automatic
Revises: 0010_broadcast_uncovered
Create Date: 2026-12-07 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_message_automatic'
down_revision = '0010_broadcast_uncovered'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('automatic', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('automatic')

"""messages: how often handling an incoming SMS failed (poison messages get an end)

Revision ID: 0007_inbound_handling_attempts
Revises: 0006_users_admin
Create Date: 2026-12-07 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_inbound_handling_attempts'
down_revision = '0006_users_admin'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('handling_attempts', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('handling_attempts')

"""staff record voice prompts by phone: a user's phone number and voice PIN

Revision ID: 0015_staff_voice_pin
Revises: 0014_poll_voice_numbers
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_staff_voice_pin'
down_revision = '0014_poll_voice_numbers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('voice_pin_hash', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_phone'), ['phone'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_phone'), type_='unique')
        batch_op.drop_column('voice_pin_hash')
        batch_op.drop_column('phone')

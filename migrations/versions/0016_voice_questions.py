"""voice questions: questions for the secretariat recorded by phone, on the radio board

Revision ID: 0016_voice_questions
Revises: 0015_staff_voice_pin
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_voice_questions'
down_revision = "0015_staff_voice_pin"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('voice_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('recording_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('county', sa.String(length=64), nullable=True),
    sa.Column('ward', sa.String(length=64), nullable=True),
    sa.Column('show_id', sa.Integer(), nullable=True),
    sa.Column('episode', sa.String(length=10), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('played_on_air_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['voice_calls.id'], name=op.f('fk_voice_questions_call_id_voice_calls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_voice_questions_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recording_id'], ['voice_recordings.id'], name=op.f('fk_voice_questions_recording_id_voice_recordings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['show_id'], ['radio_shows.id'], name=op.f('fk_voice_questions_show_id_radio_shows'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_questions')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_voice_questions_dedupe_key'))
    )
    with op.batch_alter_table('voice_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_questions_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_voice_questions_show_id_id', ['show_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('voice_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_voice_questions_show_id_id')
        batch_op.drop_index(batch_op.f('ix_voice_questions_contact_id'))

    op.drop_table('voice_questions')

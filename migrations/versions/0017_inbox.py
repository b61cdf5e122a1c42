"""inbox: conversations (assigned, handled), internal notes, saved replies

Revision ID: 0017_inbox
Revises: 0016_voice_questions
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_inbox'
down_revision = "0016_voice_questions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbox_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], name=op.f('fk_inbox_conversations_assigned_to_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_inbox_conversations_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_inbox_conversations_handled_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_conversations')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_inbox_conversations_contact_id'))
    )
    with op.batch_alter_table('inbox_conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_conversations_assigned_to_id'), ['assigned_to_id'], unique=False)

    op.create_table('inbox_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_inbox_notes_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inbox_notes_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_notes'))
    )
    with op.batch_alter_table('inbox_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_notes_contact_id'), ['contact_id'], unique=False)

    op.create_table('saved_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_replies')),
    sa.UniqueConstraint('name', name=op.f('uq_saved_replies_name'))
    )


def downgrade():
    op.drop_table('saved_replies')
    with op.batch_alter_table('inbox_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_notes_contact_id'))

    op.drop_table('inbox_notes')
    with op.batch_alter_table('inbox_conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_conversations_assigned_to_id'))

    op.drop_table('inbox_conversations')

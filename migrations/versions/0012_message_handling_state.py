"""messages: where an incoming SMS's handling stands, apart from its kind (what it is)

Revision ID: 0012_message_handling_state
Revises: 0011_message_automatic
Create Date: 2026-12-07 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_message_handling_state'
down_revision = '0011_message_automatic'
branch_labels = None
depends_on = None

# Only incoming SMS have a handling state (see gateway.sms.models.Handling).
INCOMING = sa.text("handling_state IS NOT NULL")
# The kinds that stood for a handling state; every other kind of an incoming SMS was done.
OLD_KINDS = {'unhandled': 'pending', 'handling': 'handling', 'failed': 'failed'}
messages = sa.table(
    'messages', sa.column('direction'), sa.column('kind'), sa.column('handling_state')
)


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handling_state', sa.String(length=8), nullable=True))
        batch_op.alter_column('kind', existing_type=sa.String(length=32), nullable=True)
    state = sa.case(
        *((messages.c.kind == kind, state) for kind, state in OLD_KINDS.items()),
        else_='done',
    )
    op.execute(messages.update().where(messages.c.direction == 'in').values(handling_state=state))
    # A kind that was only a state: the SMS was never interpreted.
    op.execute(
        messages.update()
        .where(messages.c.direction == 'in', messages.c.kind.in_(list(OLD_KINDS)))
        .values(kind=None)
    )
    op.create_index(
        'ix_messages_handling_state',
        'messages',
        ['handling_state', 'id'],
        unique=False,
        postgresql_where=INCOMING,
        sqlite_where=INCOMING,
    )


def downgrade():
    kind = sa.case(
        *((messages.c.handling_state == state, old) for old, state in OLD_KINDS.items()),
        else_=sa.func.coalesce(messages.c.kind, 'inbox'),
    )
    op.execute(messages.update().where(messages.c.direction == 'in').values(kind=kind))
    op.drop_index(
        'ix_messages_handling_state',
        table_name='messages',
        postgresql_where=INCOMING,
        sqlite_where=INCOMING,
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('handling_state')
        batch_op.alter_column('kind', existing_type=sa.String(length=32), nullable=False)

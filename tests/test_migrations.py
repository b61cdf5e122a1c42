"""The Alembic migrations: what they convert, that they go back down, and that the schema they
build is the one the models describe (on SQLite, and on PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from gateway.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
BEFORE_HANDLING_STATE = "0011_message_automatic"

# An incoming SMS of each kind that stood for a handling state, one handled, and a reply.
OLD_ROWS = [
    ("in", "unhandled"),
    ("in", "handling"),
    ("in", "failed"),
    ("in", "keyword:join"),
    ("out", "welcome"),
]


def _messages(order: str = "id") -> list[tuple[str, str | None, str | None]]:
    columns = [c["name"] for c in inspect(db.engine).get_columns("messages")]
    state = "handling_state" if "handling_state" in columns else "NULL"
    rows = db.session.execute(
        text(f"SELECT direction, kind, {state} FROM messages ORDER BY {order}")
    ).all()
    db.session.commit()
    return [(row[0], row[1], row[2]) for row in rows]


def test_an_incoming_sms_keeps_its_handling_state_apart_from_its_kind(app: Flask) -> None:
    """Does the migration to a handling state give each incoming SMS the state its kind stood
    for (and no kind where the kind was only that), and does its downgrade give the kinds back."""
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision=BEFORE_HANDLING_STATE)
        for direction, kind in OLD_ROWS:
            db.session.execute(
                text(
                    "INSERT INTO messages (direction, channel, kind, phone, text, encoding, "
                    "segments, status, attempts, handling_attempts, ignores_opt_out, automatic, "
                    "created_at) VALUES (:direction, 'sms', :kind, '+254712000001', 'x', "
                    "'GSM-7', 1, 'received', 0, 0, false, false, CURRENT_TIMESTAMP)"
                ),
                {"direction": direction, "kind": kind},
            )
        db.session.commit()
        upgrade(directory=MIGRATIONS)
        assert _messages() == [
            ("in", None, "pending"),
            ("in", None, "handling"),
            ("in", None, "failed"),
            ("in", "keyword:join", "done"),
            ("out", "welcome", None),
        ]
        downgrade(directory=MIGRATIONS, revision=BEFORE_HANDLING_STATE)
        assert _messages() == [(direction, kind, None) for direction, kind in OLD_ROWS]
        upgrade(directory=MIGRATIONS)


def test_the_migrated_schema_is_the_one_the_models_describe(app: Flask) -> None:
    """Do the migrations build every table, column and index the models declare, and no
    other (what ``flask db migrate`` would find to add or drop)."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        assert compare_metadata(context, db.metadata) == []

"""Command-line tools: ``flask --app wsgi tokens create NAME``, ``... demo load``,
``... contacts check-consent``."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from gateway.api.models import ApiToken
from gateway.contacts.cli import contacts_cli
from gateway.extensions import db, utcnow
from gateway.users.models import User

tokens = AppGroup("tokens", help="API bearer tokens.")
demo = AppGroup("demo", help="Demo content for trying the gateway.")


@tokens.command("create")
@click.argument("name")
@click.option("--user", "email", help="The token acts as this user (their role and counties).")
@click.option(
    "--days", type=click.IntRange(1, 3650), help="The token expires after this many days."
)
def create_token(name: str, email: str | None, days: int | None) -> None:
    """Create an API token called NAME and print it (only its hash is kept). Without --user the
    token acts as an admin."""
    user_id = None
    if email:
        user_id = db.session.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            raise click.UsageError(f"no user {email}")
    expires = utcnow() + timedelta(days=days) if days else None
    row, token = ApiToken.issue(name, user_id=user_id, expires_at=expires)
    db.session.add(row)
    db.session.commit()
    click.echo(token)


@demo.command("load")
def load_demo() -> None:
    """Load demo contacts and messages (idempotent)."""
    from gateway.demo import load

    click.echo(load())


def init_app(app: Flask) -> None:
    app.cli.add_command(tokens)
    app.cli.add_command(demo)
    app.cli.add_command(contacts_cli)

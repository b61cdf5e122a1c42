"""Command-line tools: ``flask --app wsgi tokens create|list|revoke``, ``... demo load``,
``... contacts check-consent``."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from gateway.api.models import ApiToken
from gateway.api.tokens import DEFAULT_DAYS, all_tokens, find_tokens, revoke_token, token_state
from gateway.contacts.cli import contacts_cli
from gateway.extensions import db, utcnow
from gateway.settings import current_settings
from gateway.users.models import User

tokens = AppGroup("tokens", help="API bearer tokens.")
demo = AppGroup("demo", help="Demo content for trying the gateway.")


@tokens.command("create")
@click.argument("name")
@click.option("--user", "email", help="The token acts as this user (their role and counties).")
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    help=f"The token expires after this many days (default {DEFAULT_DAYS}).",
)
@click.option("--no-expiry", is_flag=True, help="The token never expires (a warning says so).")
def create_token(name: str, email: str | None, days: int | None, no_expiry: bool) -> None:
    """Create an API token called NAME and print it (only its hash is kept). Without --user the
    token acts as an admin. It expires after 90 days unless --days or --no-expiry says else."""
    if days is not None and no_expiry:
        raise click.UsageError("give --days or --no-expiry, not both")
    user_id = None
    if email:
        user_id = db.session.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            raise click.UsageError(f"no user {email}")
    expires = None if no_expiry else utcnow() + timedelta(days=days or DEFAULT_DAYS)
    row, token = ApiToken.issue(name, user_id=user_id, expires_at=expires)
    db.session.add(row)
    db.session.commit()
    if no_expiry:
        # On stderr: scripts read the token alone from stdout.
        click.echo(
            f"warning: token {row.id} ({name}) never expires; "
            f"revoke it with 'tokens revoke {row.id}' when it is no longer needed",
            err=True,
        )
    click.echo(token)


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(current_settings().timezone).strftime("%Y-%m-%d %H:%M")


@tokens.command("list")
def list_tokens() -> None:
    """List the API tokens (id, name, who it acts as, dates in GATEWAY_TIMEZONE, state);
    never the tokens themselves."""
    click.echo("id\tname\tacts as\tcreated\texpires\tlast used\tstate")
    for row, email in all_tokens():
        expires = _when(row.expires_at) if row.expires_at else "never"
        cells = (row.id, row.name, email or "admin", _when(row.created_at), expires)
        state = token_state(row)
        if state == "revoked":
            state += f" {_when(row.revoked_at)}"
        click.echo("\t".join(map(str, (*cells, _when(row.last_used_at), state))))


@tokens.command("revoke")
@click.argument("token")
def revoke(token: str) -> None:
    """Revoke the API token TOKEN (its id, or its name if no other live token has it); it is
    refused from then on. Audited."""
    rows = find_tokens(token)
    if not rows:
        raise click.UsageError(f"no token {token} (see 'tokens list')")
    if len(rows) > 1:
        ids = ", ".join(str(row.id) for row in rows)
        raise click.UsageError(f"several tokens are called {token} ({ids}): give the id")
    row = rows[0]
    done = revoke_token(row)
    db.session.commit()
    click.echo(f"token {row.id} ({row.name}) " + ("revoked" if done else "was revoked already"))


@demo.command("load")
def load_demo() -> None:
    """Load demo contacts and messages (idempotent)."""
    from gateway.demo import load

    click.echo(load())


def init_app(app: Flask) -> None:
    app.cli.add_command(tokens)
    app.cli.add_command(demo)
    app.cli.add_command(contacts_cli)

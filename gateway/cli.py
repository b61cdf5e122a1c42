"""Command-line tools: ``flask --app wsgi tokens create NAME``, ``... demo load``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from gateway.api.models import ApiToken
from gateway.extensions import db

tokens = AppGroup("tokens", help="API bearer tokens.")
demo = AppGroup("demo", help="Demo content for trying the gateway.")


@tokens.command("create")
@click.argument("name")
def create_token(name: str) -> None:
    """Create an API token called NAME and print it (only its hash is kept)."""
    row, token = ApiToken.issue(name)
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

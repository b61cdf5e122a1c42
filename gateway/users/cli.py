"""``flask --app wsgi users create EMAIL``, ``users reset-link EMAIL``, ``users list``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from gateway.extensions import db
from gateway.settings import current_settings
from gateway.users.models import ROLES, User
from gateway.users.passwords import hash_password, password_problem, reset_url

users = AppGroup("users", help="People who use the admin UI.")


@users.command("create")
@click.argument("email")
@click.option("--name", help="Their name as shown in the admin UI (default: the email).")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True)
@click.option("--county", "counties", multiple=True, help="A coordinator's county (repeat).")
@click.option("--language", default="en", show_default=True, help="The admin UI's language.")
@click.password_option(help="Asked for when not given.")
def create_user(
    email: str,
    name: str | None,
    role: str,
    counties: tuple[str, ...],
    language: str,
    password: str,
) -> None:
    """Create a user who logs in with EMAIL and the password."""
    email = email.strip().lower()
    problem = password_problem(password)
    if problem:
        raise click.UsageError(f"the password must have at least 10 characters ({problem})")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise click.UsageError(f"a user {email} exists already")
    if role == "coordinator" and not counties:
        raise click.UsageError("a coordinator needs at least one --county")
    db.session.add(
        User(
            email=email,
            name=name or email,
            role=role,
            counties=list(counties),
            language=language,
            password_hash=hash_password(password),
        )
    )
    db.session.commit()
    click.echo(f"created {role} {email}")


@users.command("reset-link")
@click.argument("email")
def reset_link(email: str) -> None:
    """Print a link, good for a day and for one use, that sets EMAIL's password."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.UsageError(f"no user {email}")
    base = current_settings().public_url
    with current_app.test_request_context(base_url=base):
        click.echo(reset_url(user))


@users.command("list")
def list_users() -> None:
    """Every user: email, role, counties, active."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.email}\t{user.role}\t{','.join(user.counties or [])}\t{state}")

"""Users of the admin UI and the API: accounts, roles (:mod:`.access`), the audit log."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from gateway.users.cli import users

    app.cli.add_command(users)

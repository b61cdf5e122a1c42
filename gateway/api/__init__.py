"""The JSON API under ``/api/v1/``: bearer tokens, schemas that validate and document.

Each area adds its endpoints as an :class:`ApiBlueprint`, handed to :func:`init_app` by
:mod:`gateway.wiring` (this package imports no area); the OpenAPI document at
``/api/v1/openapi.json`` is generated from the same schemas the endpoints validate with.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_smorest import Api
from flask_smorest import Blueprint as _Blueprint
from flask_smorest.error_handler import ErrorSchema
from sqlalchemy.exc import DataError
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    # A request the API cannot use is the caller's mistake: 400, naming each field.
    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(_Blueprint):
    """A flask-smorest blueprint whose endpoints need a bearer token, and a role: ``read`` the
    roles that may GET, ``write`` those that may change anything (never a viewer); a view class
    may set its own with :func:`gateway.api.scope.roles`."""

    ARGUMENTS_PARSER = _Parser()

    def __init__(
        self,
        *args: Any,
        read: tuple[str, ...] = ("admin",),
        write: tuple[str, ...] = ("admin",),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        from gateway.api.auth import require_token
        from gateway.api.scope import check_roles

        self.before_request(require_token)
        self.before_request(lambda: check_roles(read, write))
        self._roles = (tuple(read), tuple(write))

    def add_url_rule(
        self, rule: str, endpoint: str | None = None, view_func: Any = None, **options: Any
    ) -> None:
        """Register a view, documenting its 401 (no valid token) and 403 (a role it refuses)."""
        for method in getattr(view_func, "methods", None) or ():
            function = getattr(view_func, method.lower(), None)
            if function is None:
                continue
            writing = method not in ("GET", "HEAD", "OPTIONS")
            default = self._roles[1] if writing else self._roles[0]
            allowed = getattr(
                view_func, "api_write_roles" if writing else "api_read_roles", default
            )
            function = self.alt_response(
                401,
                "UNAUTHORIZED",
                description="No bearer token, or one that is unknown, revoked or expired.",
            )(function)
            function = self.alt_response(
                403,
                schema=ErrorSchema,
                description=f"Forbidden: only for {', '.join(allowed)} tokens.",
            )(function)
            setattr(view_func, method.lower(), function)
        super().add_url_rule(rule, endpoint, view_func, **options)


def value_out_of_range(error: DataError) -> ResponseReturnValue:
    """A value the database cannot hold (an id past its integer range, a text too long for its
    column) is the caller's mistake: 400 with the reason, not a server error. SQLite takes such
    values and finds nothing; PostgreSQL refuses them."""
    from gateway.extensions import db

    db.session.rollback()
    reason = "a value is out of range or too long for the database"
    if request.path.startswith("/api/"):
        body = {"code": 400, "status": "Bad Request", "message": reason.capitalize() + "."}
        return jsonify(body), 400
    return Response(f"bad request: {reason}\n", 400, mimetype="text/plain")


def init_app(app: Flask, blueprints: Iterable[ApiBlueprint]) -> None:
    """Serve ``blueprints`` under ``/api/v1`` (each area's, listed in :mod:`gateway.wiring`), in
    the order the OpenAPI document shows them."""
    app.register_error_handler(DataError, value_out_of_range)

    api = Api(
        app,
        spec_kwargs={
            "info": {
                "description": "Contacts, consent and messages of the HMK Civic Gateway. Every "
                "endpoint needs `Authorization: Bearer <token>` (`flask --app wsgi tokens "
                "create NAME`). Errors are JSON: `code`, `status`, `message` and, for invalid "
                "input, `errors` naming each field."
            },
        },
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    for blueprint in blueprints:
        api.register_blueprint(blueprint, url_prefix="/api/v1" + (blueprint.url_prefix or ""))
    app.extensions["api"] = api

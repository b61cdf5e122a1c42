"""Who may call which API endpoint, in one place.

Each :class:`gateway.api.ApiBlueprint` names the roles that may read it (GET) and those that may
change anything through it (POST, PATCH, PUT, DELETE); a view class may narrow or widen that
with :func:`roles`. The check runs before every request of the blueprint, after the token
check, and answers 403. A viewer never writes. Rows outside a principal's counties or shows are
hidden by the ``*_or_404`` helpers of each area, and lists are
filtered, so they answer 404 as if the row did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import current_app, request
from flask_smorest import abort

from gateway.users.access import principal
from gateway.users.models import ADMIN, COORDINATOR, RADIO_HOST, ROLES, VIEWER

T = TypeVar("T")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EVERYONE = ROLES
STAFF = (ADMIN, COORDINATOR, VIEWER)  # contacts, meetings, reports: by county
ADMIN_ONLY = (ADMIN,)
__all__ = ["ADMIN", "ADMIN_ONLY", "COORDINATOR", "EVERYONE", "RADIO_HOST", "STAFF", "VIEWER"]


def roles(
    read: tuple[str, ...] | None = None, write: tuple[str, ...] | None = None
) -> Callable[[T], T]:
    """Set the roles of one view class (a ``MethodView``), overriding its blueprint's."""

    def decorate(view_class: T) -> T:
        if read is not None:
            view_class.api_read_roles = tuple(read)  # type: ignore[attr-defined]
        if write is not None:
            view_class.api_write_roles = tuple(write)  # type: ignore[attr-defined]
        return view_class

    return decorate


def forbid(message: str) -> NoReturn:
    """Refuse with 403; ``message`` follows the name of the token's role ("may not ...")."""
    abort(403, message=f"A {principal().role} token {message}")
    raise AssertionError("abort() returned")  # pragma: no cover


def check_roles(read: tuple[str, ...], write: tuple[str, ...]) -> None:
    """Refuse (403) the request's principal if its role may not use this endpoint this way."""
    who = principal()
    view = current_app.view_functions.get(request.endpoint or "")
    view_class: Any = getattr(view, "view_class", None)
    reading = request.method in READ_METHODS
    allowed = (
        getattr(view_class, "api_read_roles", read)
        if reading
        else getattr(view_class, "api_write_roles", write)
    )
    if who.role not in allowed or (not reading and not who.can_write):
        forbid(
            f"may not {'read' if reading else 'change'} this ({request.method} "
            f"{request.path[:80]})."
        )

"""Who is asking, and what their role lets them see: one answer for the admin UI and the API.

- admin: everything, sensitive reports included.
- coordinator: contacts, meetings and reports of their own counties (never sensitive reports).
- radio_host: their own shows (``RadioShow.host`` is their email) and those shows' polls.
- viewer: reads what a coordinator of every county could read; changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g

from gateway.users.models import ADMIN, COORDINATOR, RADIO_HOST, VIEWER, User

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """The person (or API token) behind a request."""

    role: str
    name: str  # an email, or an API token's name
    user_id: int | None = None
    token_id: int | None = None
    counties: tuple[str, ...] = ()
    language: str = "en"

    @classmethod
    def of_user(cls, user: User, token_id: int | None = None) -> Principal:
        return cls(
            role=user.role,
            name=user.email,
            user_id=user.id,
            token_id=token_id,
            counties=tuple(user.counties or ()),
            language=user.language or "en",
        )

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def can_write(self) -> bool:
        return self.role != VIEWER

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def visible_counties(self) -> tuple[str, ...] | None:
        """The counties whose contacts, meetings and reports this principal sees; None: all."""
        return self.counties if self.role == COORDINATOR else None

    def sees_county(self, county: str | None) -> bool:
        counties = self.visible_counties()
        return counties is None or (county is not None and county in counties)

    def sees_report(self, county: str | None, sensitive: bool) -> bool:
        if sensitive:
            return self.is_admin
        return self.role in (ADMIN, COORDINATOR, VIEWER) and self.sees_county(county)

    def owns_show(self, host: str | None) -> bool:
        """Whether this principal may see a radio show whose host is ``host`` (an email)."""
        if self.role in (ADMIN, VIEWER):
            return True
        return self.role == RADIO_HOST and host is not None and host.lower() == self.name.lower()


def current_principal() -> Principal | None:
    """The principal the request authenticated as (set by the API token check or the admin
    login), or None."""
    found: Principal | None = g.get("principal")
    return found


def principal() -> Principal:
    """The request's principal; 401 if none (a view behind a login or token check)."""
    found = current_principal()
    if found is None:
        abort(401)
    return found


def require_role(*roles: str, write: bool = False) -> Callable[[F], F]:
    """Refuse (403) a principal whose role is not in ``roles`` (none named: any role), or, with
    ``write``, one that may not change anything (a viewer)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = principal()
            if (roles and who.role not in roles) or (write and not who.can_write):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate

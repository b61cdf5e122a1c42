"""``/api/v1/users`` and ``/api/v1/audit`` (admin tokens only): users of the admin UI and the
API, their one-time password reset links, and the audit log of every change."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from gateway.api import ApiBlueprint
from gateway.api.schemas import _known_county, _known_language
from gateway.api.scope import ADMIN_ONLY
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.users.access import principal
from gateway.users.manage import UserProblem, audit_events, create_user, update_user
from gateway.users.models import ROLES, AuditEvent, User
from gateway.users.passwords import reset_url
from gateway.users.voice_pin import clear_voice_pin, set_phone, set_voice_pin

blp = ApiBlueprint(
    "users",
    __name__,
    url_prefix="/users",
    read=ADMIN_ONLY,
    write=ADMIN_ONLY,
    description="People who use the admin UI and the API: roles, counties, reset links.",
)
audit_blp = ApiBlueprint(
    "audit",
    __name__,
    url_prefix="/audit",
    read=ADMIN_ONLY,
    write=ADMIN_ONLY,
    description="The audit log: who changed what, when (admin tokens only).",
)

_ROLE = ma.validate.OneOf(ROLES)
_COUNTIES_DOC = {"description": "A coordinator's counties (other roles: none)."}
_PHONE_DOC = {"description": "E.164; with a voice PIN, a call from it records prompts by phone."}


class UserOut(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String(metadata={"description": f"One of {', '.join(ROLES)}."})
    counties = ma.fields.List(ma.fields.String(), metadata=_COUNTIES_DOC)
    language = ma.fields.String()
    active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()
    last_login_at = ma.fields.AwareDateTime(allow_none=True)
    phone = ma.fields.String(allow_none=True, metadata=_PHONE_DOC)
    voice_pin_set = ma.fields.Boolean(metadata={"description": "Whether a voice PIN is set."})


class UserCreated(UserOut):
    reset_link = ma.fields.String(
        metadata={"description": "Shown once: the link (a day, one use) that sets a password."}
    )


class UserIn(ma.Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    name = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))
    role = ma.fields.String(required=True, validate=_ROLE)
    counties = ma.fields.List(
        ma.fields.String(validate=_known_county), load_default=list, metadata=_COUNTIES_DOC
    )
    language = ma.fields.String(load_default="en", validate=_known_language)


class UserUpdate(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(1, 120))
    role = ma.fields.String(validate=_ROLE)
    counties = ma.fields.List(ma.fields.String(validate=_known_county), metadata=_COUNTIES_DOC)
    language = ma.fields.String(validate=_known_language)
    active = ma.fields.Boolean(metadata={"description": "`false` deactivates (no login, no API)."})
    phone = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=32),
        metadata={"description": "`null` removes it."},
    )
    voice_pin = ma.fields.String(
        load_only=True,
        allow_none=True,
        validate=ma.validate.Length(max=8),
        metadata={"description": "4 to 8 digits, stored hashed; `null` removes it."},
    )


class ResetLink(ma.Schema):
    reset_link = ma.fields.String(metadata={"description": "Good for a day and for one use."})


class AuditQuery(ma.Schema):
    actor = ma.fields.String(
        load_default=None, metadata={"description": "Part of the email or token name."}
    )
    action = ma.fields.String(
        load_default=None,
        metadata={"description": "An action (`user.create`) or a prefix with a dot (`user.`)."},
    )
    since = ma.fields.AwareDateTime(load_default=None)
    until = ma.fields.AwareDateTime(load_default=None)
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, 1000))


class AuditOut(ma.Schema):
    id = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()
    actor = ma.fields.String(metadata={"description": "The email or API token name."})
    user_id = ma.fields.Integer(allow_none=True)
    token_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String()
    target_type = ma.fields.String(allow_none=True)
    target_id = ma.fields.String(allow_none=True)
    details = ma.fields.Dict(metadata={"description": "Phone numbers in it are masked."})
    ip = ma.fields.String(allow_none=True)


def _problem(problem: UserProblem) -> None:
    text = catalogs().text(problem.key, "en")
    abort(
        400 if problem.key != "admin.users.problem.exists" else 409,
        message=text,
        errors={"json": {problem.field: [text]}},
    )


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, message=f"No user with the id {user_id}.")
    assert user is not None
    return user


@blp.route("")
class Users(MethodView):
    @blp.response(200, UserOut(many=True))
    def get(self) -> list[User]:
        """Every user, by email."""
        return list(db.session.scalars(db.select(User).order_by(User.email)))

    @blp.arguments(UserIn)
    @blp.response(201, UserCreated)
    @blp.alt_response(409, description="A user with this email exists already.")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a user; the answer carries, once, the link with which they set a password."""
        try:
            user = create_user(**data)
        except UserProblem as problem:
            db.session.rollback()
            _problem(problem)
            raise
        db.session.commit()
        return {
            **{name: getattr(user, name) for name in UserOut().fields},
            "reset_link": reset_url(user),
        }


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @blp.response(200, UserOut)
    @blp.alt_response(404, description="No user with this id.")
    def get(self, user_id: int) -> User:
        """One user."""
        return _user_or_404(user_id)

    @blp.arguments(UserUpdate)
    @blp.response(200, UserOut)
    @blp.alt_response(404, description="No user with this id.")
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """Change a user's name, role, counties, language, phone number or voice PIN, or
        deactivate them (`active`)."""
        user = _user_or_404(user_id)
        try:
            _voice_line(user, data)
            update_user(user, principal(), data)
        except UserProblem as problem:
            db.session.rollback()
            _problem(problem)
            raise
        db.session.commit()
        return user


def _voice_line(user: User, data: dict[str, Any]) -> None:
    """Apply (and take out of ``data``) the phone number and voice PIN."""
    if "phone" in data:
        set_phone(user, data.pop("phone") or "")
    if "voice_pin" in data:
        pin = data.pop("voice_pin")
        if pin is None:
            clear_voice_pin(user)
        else:
            set_voice_pin(user, pin)


@blp.route("/<int:user_id>/reset-link")
class UserResetLink(MethodView):
    @blp.response(201, ResetLink)
    @blp.alt_response(404, description="No user with this id.")
    @blp.alt_response(409, description="The user is deactivated.")
    def post(self, user_id: int) -> dict[str, str]:
        """A new link (a day, one use) that sets the user's password; shown once."""
        from gateway.users import audit

        user = _user_or_404(user_id)
        if not user.active:
            abort(409, message=f"User {user_id} is deactivated; activate them first.")
        audit.record("user.reset_link", "user", user.id, email=user.email)
        db.session.commit()
        return {"reset_link": reset_url(user)}


@audit_blp.route("")
class Audit(MethodView):
    @audit_blp.arguments(AuditQuery, location="query")
    @audit_blp.response(200, AuditOut(many=True))
    def get(self, query: dict[str, Any]) -> list[AuditEvent]:
        """The newest audit events first, filtered by actor, action and time."""
        limit = query.pop("limit")
        return list(db.session.scalars(audit_events(**query).limit(limit)))

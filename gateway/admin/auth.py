"""Logging in and out, password resets, and the checks every admin page passes first.

Wrong passwords are throttled in Redis: after ``GATEWAY_LOGIN_ATTEMPTS`` failures in 15
minutes for one email from one address, that email is refused from that address until the
window passes, whatever password it then gives (from anywhere else it still logs in); after
``GATEWAY_LOGIN_ADDRESS_ATTEMPTS`` failures from one address, for any emails, that address is
refused. The shared counters work across every web process and machine. An unknown email
costs the same Argon2 check as a wrong password, so the time of an answer names no email.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from gateway.admin import bp
from gateway.admin.security import csrf
from gateway.admin.templating import t
from gateway.extensions import db, redis_client, utcnow
from gateway.numbers import whole_number
from gateway.settings import current_settings
from gateway.users import audit
from gateway.users.access import Principal
from gateway.users.models import User
from gateway.users.passwords import (
    MIN_LENGTH,
    check_no_ones_password,
    check_password,
    hash_password,
    user_for_reset,
)

F = TypeVar("F", bound=Callable[..., Any])
THROTTLE_WINDOW_S = 15 * 60
OPEN_ENDPOINTS = frozenset({"admin.login", "admin.reset_password", "admin.static"})

login_manager = LoginManager()


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(validators=[DataRequired(), Length(max=254)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class ResetForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(validators=[DataRequired(), Length(min=MIN_LENGTH, max=200)])


@login_manager.user_loader  # type: ignore[untyped-decorator]
def _load_user(session_id: str) -> User | None:
    """The session's user (``User.get_id``: id and session version), if still active and the
    version still theirs: a logout, a new password, a deactivation or an admin's "sign out
    everywhere" raised it, ending every copy of the session."""
    user_id, _, version = session_id.partition(":")
    number, session_version = whole_number(user_id), whole_number(version)
    if number is None or session_version is None:
        return None  # a session from before versions: log in again
    user = db.session.get(User, number)
    if user is None or not user.active or user.session_version != session_version:
        return None
    return user


def takes_upload(max_bytes: int) -> Callable[[F], F]:
    """Mark a view whose form carries a file: its requests may be ``max_bytes`` long (the
    others, ``MAX_CONTENT_LENGTH``)."""

    def mark(view: F) -> F:
        view.max_request_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


@bp.before_request
def _require_login() -> BaseResponse | None:
    """Every admin page but the login and reset pages needs a logged-in, active user; every
    change needs the form's CSRF token.

    The login is checked first, from the session cookie alone: a request from someone not
    logged in is sent to the login page without its body being read (reading the form of
    every anonymous POST let anyone make the web process parse megabytes)."""
    if request.endpoint not in OPEN_ENDPOINTS and not current_user.is_authenticated:
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    view = current_app.view_functions.get(request.endpoint or "")
    max_bytes = getattr(view, "max_request_bytes", None)
    if max_bytes is not None:
        request.max_content_length = max_bytes
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    g.principal = Principal.of_user(current_user)
    return None


def _throttle_limits(email: str) -> dict[str, int]:
    """The failure counters a login attempt counts against, and the limit of each: this email
    from this address (an attacker elsewhere cannot lock the real user out), and this address
    for every email, higher (many people share an office NAT)."""
    settings = current_settings()
    address = request.remote_addr or "-"
    pair = hashlib.sha256(f"{email}\n{address}".encode()).hexdigest()
    return {
        f"login:fail:pair:{pair}": settings.login_attempts,
        f"login:fail:ip:{address}": settings.login_address_attempts,
    }


def _throttled(email: str) -> bool:
    limits = _throttle_limits(email)
    counts = redis_client().mget(list(limits))
    return any(int(c or 0) >= limit for c, limit in zip(counts, limits.values(), strict=True))


def _count_failure(email: str) -> None:
    pipe = redis_client().pipeline()
    for key in _throttle_limits(email):
        pipe.incr(key)
        pipe.expire(key, THROTTLE_WINDOW_S, nx=True)
    pipe.execute()


def safe_next(target: str | None) -> str:
    """Only a path inside the admin UI, never another site (an open redirect)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> tuple[str, int] | BaseResponse:
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if _throttled(email):
            error, status = "admin.login.throttled", 429
        else:
            user = db.session.scalar(select(User).where(User.email == email))
            # The same Argon2 check whoever asks: the time of the answer names no email.
            matches = (
                check_password(user, form.password.data)
                if user is not None
                else check_no_ones_password(form.password.data)
            )
            if user is not None and user.active and matches:
                session.clear()  # no session fixation: a fresh session for the new login
                session.permanent = True
                login_user(user)
                user.last_login_at = utcnow()
                g.principal = Principal.of_user(user)
                audit.record("user.login", "user", user.id)
                db.session.commit()
                return redirect(safe_next(request.args.get("next")))
            _count_failure(email)
            error, status = "admin.login.failed", 401
    elif request.method == "POST":
        error, status = "admin.login.failed", 400
    return render_template("admin/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    """Log out: every session of the user ends (a copied cookie too), not only this one."""
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("admin.login"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | BaseResponse | tuple[str, int]:
    """Set a new password with a link an admin made (``users reset-link`` or the Users page)."""
    user = user_for_reset(token)
    if user is None:
        return render_template("admin/reset.html", form=None, expired=True), 410
    form = ResetForm()
    if form.validate_on_submit():
        user.password_hash = hash_password(form.password.data)
        user.password_changed_at = utcnow()
        user.end_sessions()  # whoever held a session with the old password is out
        g.principal = Principal.of_user(user)
        audit.record("user.password_reset", "user", user.id)
        db.session.commit()
        return redirect(url_for("admin.login"))
    return render_template("admin/reset.html", form=form, expired=False)


def _unauthorized() -> Response:
    abort(401, t("admin.login.needed"))


ERROR_PAGES = {
    403: ("admin.error.forbidden.title", "admin.error.forbidden.body"),
    404: ("admin.error.not_found.title", "admin.error.not_found.body"),
}


@bp.app_errorhandler(CSRFError)
def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return _page("admin.error.csrf.title", "admin.error.csrf.body"), 400


def _page(title_key: str, body_key: str) -> str:
    return render_template("admin/error.html", title_key=title_key, body_key=body_key)


def admin_error_page(error: HTTPException) -> BaseResponse | HTTPException | tuple[str, int]:
    """The admin UI's own 403 and 404 pages, in the user's language; elsewhere (the API, the
    callbacks) the usual answer."""
    if request.path.startswith("/admin") and error.code in ERROR_PAGES:
        return _page(*ERROR_PAGES[error.code]), error.code
    api = current_app.extensions.get("api")
    if api is not None and request.path.startswith("/api/"):
        # This handler, registered per code, would shadow the API's JSON errors.
        answer: tuple[str, int] = api.handle_http_exception(error)
        return answer
    return error


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    login_manager.session_protection = "strong"
    login_manager.unauthorized_handler(_unauthorized)
    for code in ERROR_PAGES:
        app.register_error_handler(code, admin_error_page)

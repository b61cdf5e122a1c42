"""Headers and cookie settings that keep the admin UI safe in a browser.

- Content-Security-Policy: scripts, styles and images only from the gateway itself; no inline
  script or style, no framing, forms only to the gateway. A view that sets its own policy (the
  radio board) keeps it.
- ``X-Frame-Options: DENY`` (older browsers), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin``; HSTS when cookies are HTTPS-only.
- The session cookie: HttpOnly, SameSite=Lax, Secure (``GATEWAY_SECURE_COOKIES``), and a login
  lasts ``GATEWAY_SESSION_HOURS``.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from gateway.settings import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

csrf = CSRFProtect()


def _headers(response: Response) -> Response:
    if request.blueprint == "webhooks":
        return response  # plain-text answers to Africa's Talking, never shown in a browser
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _headers_and_hsts(response: Response) -> Response:
    """HSTS on every answer (the callbacks' too), then the browser headers: one hook, as a
    request pays for each hook it passes."""
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return _headers(response)


def init_app(app: Flask) -> None:
    settings: Settings = app.config["GATEWAY"]
    # Flask's own defaults hold every one of these keys, so they are set, not defaulted.
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        # CSRF is checked by the admin blueprint itself (auth.py), not on Africa's Talking's
        # callbacks or the token-authenticated API, which no browser session can reach.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=settings.session_hours * 3600,
    )
    csrf.init_app(app)
    app.after_request(_headers_and_hsts if settings.secure_cookies else _headers)

"""Africa's Talking callbacks: validate, persist, answer, and leave the rest to workers.

Every callback is ``POST`` form-encoded and, when ``AT_WEBHOOK_SECRET`` is set, must carry
``?secret=<AT_WEBHOOK_SECRET>`` (403 otherwise), and when ``AT_ALLOWED_IPS`` is set it must come
from one of those addresses (403 otherwise; behind a proxy, ``GATEWAY_PROXY_HOPS`` says how many
``X-Forwarded-For`` hops to trust). A malformed payload gets a 400 naming what is
wrong; the USSD callback instead always answers a ``CON``/``END`` screen, because anything else
leaves the caller with a bare network error.
"""

from __future__ import annotations

import hmac
import logging
from ipaddress import ip_address

from flask import Blueprint, Flask, Response, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.extensions import db, gevent_patched
from gateway.settings import Settings, current_settings
from gateway.webhooks.forms import BadCallback

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/at")

# Africa's Talking's callbacks are a few hundred bytes (a USSD text at most 182 characters); a
# bigger body is no callback, and is refused before it is read.
MAX_CALLBACK_BYTES = 16 * 1024


def plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@bp.before_request
def check_caller() -> Response | None:
    request.max_content_length = MAX_CALLBACK_BYTES
    settings = current_settings()
    if settings.at_allowed_networks and not _allowed(settings, request.remote_addr):
        return plain("forbidden: this address may not post Africa's Talking callbacks", 403)
    expected = settings.at_webhook_secret
    if expected is None:
        return None
    given = request.args.get("secret", "")
    if hmac.compare_digest(given.encode(), expected.encode()):
        return None
    return plain("forbidden: missing or wrong ?secret=", 403)


def _allowed(settings: Settings, address: str | None) -> bool:
    try:
        ip = ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in settings.at_allowed_networks)


@bp.errorhandler(BadCallback)
def bad_callback(error: BadCallback) -> Response:
    return plain(f"bad request: {error}", 400)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response:
    return plain(f"too large: a callback is at most {MAX_CALLBACK_BYTES} bytes", 413)


@bp.errorhandler(DataError)
def value_out_of_range(error: DataError) -> Response:
    """A value the database cannot hold: a bad callback (400), not an outage to retry."""
    db.session.rollback()
    return plain("bad request: a value is out of range or too long", 400)


@bp.errorhandler(SQLAlchemyError)
@bp.errorhandler(RedisError)
def store_unavailable(error: Exception) -> Response:
    """The database (or Redis) did not answer: nothing was kept, so say 503 and Africa's
    Talking retries the callback (every minute, for hours); the retry is then handled once."""
    db.session.rollback()
    log.warning("callback %s not kept, store unavailable: %s", request.path, type(error).__name__)
    response = plain("unavailable: not kept, please retry", 503)
    response.headers["Retry-After"] = "60"
    return response


def init_app(app: Flask) -> None:
    from gateway.webhooks import delivery, sms, ussd, voice  # noqa: F401  (routes register on bp)

    settings: Settings = app.config["GATEWAY"]
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    if gevent_patched():  # the Procfile's web process
        from gateway.webhooks.admission import CallbacksInTurn

        app.wsgi_app = CallbacksInTurn(  # type: ignore[method-assign]
            app.wsgi_app, f"{bp.url_prefix}/", MAX_CALLBACK_BYTES
        )
    app.register_blueprint(bp)

"""Africa's Talking callbacks: validate, persist, answer, and leave the rest to workers.

Every callback is ``POST`` form-encoded and, when ``AT_WEBHOOK_SECRET`` is set, must carry
``?secret=<AT_WEBHOOK_SECRET>`` (403 otherwise). A malformed payload gets a 400 naming what is
wrong; the USSD callback instead always answers a ``CON``/``END`` screen, because anything else
leaves the caller with a bare network error.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, current_app, request

from gateway.settings import Settings
from gateway.webhooks.forms import BadCallback

bp = Blueprint("webhooks", __name__, url_prefix="/at")


def plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@bp.before_request
def check_secret() -> Response | None:
    settings: Settings = current_app.config["GATEWAY"]
    expected = settings.at_webhook_secret
    if expected is None:
        return None
    given = request.args.get("secret", "")
    if hmac.compare_digest(given.encode(), expected.encode()):
        return None
    return plain("forbidden: missing or wrong ?secret=", 403)


@bp.errorhandler(BadCallback)
def bad_callback(error: BadCallback) -> Response:
    return plain(f"bad request: {error}", 400)


def init_app(app: Flask) -> None:
    from gateway.webhooks import delivery, sms, ussd  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)

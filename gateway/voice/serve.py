"""``GET /voice/audio/<sha256>.<mp3|wav>``: the stored sound files, for Africa's Talking's
``<Play>`` and the admin's players.

No login (Africa's Talking fetches them) and no session cookie. A URL names its content's
hash, so the answer never changes: cached for a year, with an ETag for a conditional request.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from gateway.extensions import db
from gateway.voice.audio import MIME
from gateway.voice.models import AudioClip

bp = Blueprint("voice_audio", __name__)
HEX = frozenset("0123456789abcdef")


@bp.get("/voice/audio/<name>")
def audio(name: str) -> Response:
    digest, _, ext = name.partition(".")
    if len(digest) != 64 or not set(digest) <= HEX or ext not in MIME:
        abort(404)
    clip = db.session.scalar(select(AudioClip).where(AudioClip.sha256 == digest))
    if clip is None or clip.mime != MIME[ext]:
        abort(404)
    response = Response(clip.data, mimetype=clip.mime)
    response.set_etag(clip.sha256)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response.make_conditional(request)

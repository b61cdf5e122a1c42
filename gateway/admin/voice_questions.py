"""The admin UI's Questions by phone page: every question callers recorded for the secretariat
(voice menu key 5), newest first, with a player, whether or not a radio show was on air.
Coordinators see their counties' questions only (as they see contacts); a show's questions also
appear on its live board (:mod:`gateway.radio.board_questions`).
"""

from __future__ import annotations

from flask import render_template, request

from gateway.admin import bp
from gateway.extensions import db
from gateway.numbers import whole_number
from gateway.phones import mask_phone
from gateway.radio.models import RadioShow
from gateway.radio.questions import VoiceQuestion, question_rows
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, RADIO_HOST, VIEWER
from gateway.voice.audio import url_path

PAGE = 50


@bp.route("/voice/questions")
@require_role(ADMIN, COORDINATOR, RADIO_HOST, VIEWER)
def voice_questions() -> str:
    who = principal()
    query = (
        question_rows()
        .add_columns(RadioShow.name)
        .outerjoin(RadioShow, RadioShow.id == VoiceQuestion.show_id)
        .order_by(VoiceQuestion.id.desc())
        .limit(PAGE + 1)
    )
    counties = who.visible_counties()
    if counties is not None:
        query = query.where(VoiceQuestion.county.in_(counties))
    before = whole_number(request.args.get("before", ""))
    if before:
        query = query.where(VoiceQuestion.id < before)
    rows = db.session.execute(query).all()
    questions = [
        {
            "question": question,
            "phone": mask_phone(phone) if phone else "",
            "audio": status or "missing",
            "audio_url": url_path(clip) if clip is not None else None,
            "show": show,
        }
        for question, phone, status, clip, show in rows[:PAGE]
    ]
    older = rows[PAGE - 1][0].id if len(rows) > PAGE else None
    return render_template("admin/voice/questions.html", questions=questions, older=older)

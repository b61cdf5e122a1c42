"""A consultation's comments: filtered (clause, position, county, ward, language, channel) and
paged, erased ones never shown, numbers masked, recordings with a player; where a coder ticks
the codebook's themes for a comment, and where a comment is picked as a quote (only when its
author said yes to being quoted; shown masked, as it would be published).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, and_, func, select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.consultations import EDITORS, READERS, consultation_or_404
from gateway.admin.forms import in_ui
from gateway.admin.templating import t
from gateway.areas import areas
from gateway.consultations.coding import UnknownTheme, code_comment, themes_of
from gateway.consultations.models import (
    STANCES,
    Clause,
    Coding,
    Comment,
    Consultation,
    Position,
    Theme,
)
from gateway.consultations.quotes import mask_quote
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.numbers import whole_number
from gateway.phones import mask_phone
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.voice.audio import url_path
from gateway.voice.models import AudioClip, VoiceRecording

PAGE = 20
FILTERS = ("clause", "position", "county", "ward", "language", "channel")


def places() -> list[str]:
    """The county and ward names a quote may keep (:func:`mask_quote`)."""
    return [name for county in areas().values() for name in (county.name, *county.wards)]


CommentRows = Select[Comment, str, str, int, str, AudioClip]


def _filtered(consultation: Consultation, chosen: dict[str, str]) -> CommentRows:
    """The consultation's comments shown (erased ones never), with their author's number,
    their position on the clause, the clause's number and the recording, oldest first."""
    query = (
        select(
            Comment, Contact.phone, Position.stance, Clause.number, VoiceRecording.status, AudioClip
        )
        .join(Clause, Clause.id == Comment.clause_id)
        .outerjoin(Contact, Contact.id == Comment.contact_id)
        .outerjoin(
            Position,
            and_(
                Position.clause_id == Comment.clause_id, Position.contact_id == Comment.contact_id
            ),
        )
        .outerjoin(VoiceRecording, VoiceRecording.id == Comment.recording_id)
        .outerjoin(AudioClip, AudioClip.id == VoiceRecording.audio_id)
        .where(Comment.consultation_id == consultation.id, Comment.erased_at.is_(None))
    )
    if chosen.get("clause"):
        query = query.where(Comment.clause_id == whole_number(chosen["clause"]))
    if chosen.get("position"):
        query = query.where(Position.stance == chosen["position"])
    for name, column in (
        ("county", Comment.county),
        ("ward", Comment.ward),
        ("language", Comment.language),
        ("channel", Comment.channel),
    ):
        if chosen.get(name):
            query = query.where(column == chosen[name])
    return query


def _choices(consultation: Consultation, column: Any) -> list[str]:
    """The values a filter offers: those the consultation's comments have."""
    return [
        value
        for value in db.session.scalars(
            select(column)
            .where(Comment.consultation_id == consultation.id, column.is_not(None))
            .group_by(column)
            .order_by(column)
        )
        if value
    ]


def _coders_per_comment(ids: Iterable[int]) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Coding.comment_id, func.count())
            .where(Coding.comment_id.in_(list(ids)))
            .group_by(Coding.comment_id)
        ).all()
    )


@bp.route("/consultations/<int:consultation_id>/comments")
@require_role(*READERS)
def consultation_comments(consultation_id: int) -> str:
    consultation = consultation_or_404(consultation_id)
    who = principal()
    chosen = {name: request.args.get(name, "").strip() for name in FILTERS}
    query = _filtered(consultation, chosen)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = max(whole_number(request.args.get("page", "")) or 1, 1)
    rows = db.session.execute(
        query.order_by(Comment.id).limit(PAGE).offset((page - 1) * PAGE)
    ).all()
    ids = [row[0].id for row in rows]
    known = places()
    comments = [
        {
            "comment": comment,
            "phone": mask_phone(phone) if phone else "",
            "stance": stance,
            "clause": number,
            "audio": audio or ("missing" if comment.recording_id else None),
            "audio_url": url_path(clip) if clip is not None else None,
            "quote": mask_quote(comment.text, known) if comment.quoted and comment.text else None,
        }
        for comment, phone, stance, number, audio, clip in rows
    ]
    themes = list(
        db.session.scalars(
            select(Theme).where(Theme.consultation_id == consultation.id).order_by(Theme.name)
        )
    )
    can_code = who.is_admin
    return render_template(
        "admin/consultations/comments.html",
        consultation=consultation,
        comments=comments,
        chosen=chosen,
        total=total or 0,
        page=page,
        pages=max(((total or 0) + PAGE - 1) // PAGE, 1),
        themes=themes,
        mine=themes_of(ids, who.user_id) if who.user_id and can_code else {},
        coders=_coders_per_comment(ids),
        can_code=can_code,
        stances=STANCES,
        choices={
            "county": _choices(consultation, Comment.county),
            "ward": _choices(consultation, Comment.ward),
            "language": _choices(consultation, Comment.language),
            "channel": _choices(consultation, Comment.channel),
        },
        in_ui=in_ui,
        here=request.full_path.rstrip("?"),
    )


def _comment_or_404(consultation: Consultation, comment_id: int) -> Comment:
    comment: Comment | None = db.session.get(Comment, comment_id)
    if comment is None or comment.consultation_id != consultation.id or comment.erased_at:
        abort(404)  # an erased comment is gone for the secretariat too
    return comment


def _back(consultation: Consultation, comment: Comment) -> Response:
    """Back to the comments page the form came from (its filters and page), at the comment."""
    base = url_for("admin.consultation_comments", consultation_id=consultation.id)
    wanted = request.form.get("next", "")
    target = wanted if wanted.startswith(base) else base
    return redirect(f"{target}#comment-{comment.id}")


def _refused(consultation: Consultation, key: str) -> tuple[str, int]:
    return (
        render_template(
            "admin/consultations/refused.html", consultation=consultation, reason=t(key)
        ),
        400,
    )


@bp.post("/consultations/<int:consultation_id>/comments/<int:comment_id>/coding")
@require_role(*EDITORS, write=True)
def consultation_code(consultation_id: int, comment_id: int) -> Response | tuple[str, int]:
    consultation = consultation_or_404(consultation_id)
    comment = _comment_or_404(consultation, comment_id)
    who = principal()
    wanted = [whole_number(value) for value in request.form.getlist("theme")]
    if None in wanted or who.user_id is None:
        return _refused(consultation, "admin.consultations.theme_unknown")
    try:
        themes = code_comment(comment, who.user_id, (n for n in wanted if n is not None))
    except UnknownTheme:
        db.session.rollback()
        return _refused(consultation, "admin.consultations.theme_unknown")
    audit.record("consultation.code", "consultation_comment", comment.id, themes=themes)
    db.session.commit()
    flash(t("admin.consultations.coded", id=comment.id))
    return _back(consultation, comment)


@bp.post("/consultations/<int:consultation_id>/comments/<int:comment_id>/quote")
@require_role(*EDITORS, write=True)
def consultation_quote(consultation_id: int, comment_id: int) -> Response | tuple[str, int]:
    consultation = consultation_or_404(consultation_id)
    comment = _comment_or_404(consultation, comment_id)
    quoted = request.form.get("quoted") == "1"
    if quoted and not comment.quote_ok:
        return _refused(consultation, "admin.consultations.quote_refused")
    if quoted and not comment.text:
        return _refused(consultation, "admin.consultations.quote_no_text")
    comment.quoted = quoted
    audit.record("consultation.quote", "consultation_comment", comment.id, quoted=quoted)
    db.session.commit()
    flash(t("admin.consultations.quoted" if quoted else "admin.consultations.unquoted"))
    return _back(consultation, comment)

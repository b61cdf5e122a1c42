"""Consultations (what was asked, how many took part, the memorandum, "you said, we did") and
the commitments scorecard (per duty bearer, with the community's verdicts)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Response, abort, g, render_template
from sqlalchemy import func, select

from gateway.commitments.models import VERDICTS, Commitment, DutyBearer
from gateway.consultations.memorandum import memorandum_docx
from gateway.consultations.models import STANCES, Consultation, Position
from gateway.extensions import db
from gateway.public import route
from gateway.public.cache import cached
from gateway.public.pages import chart_data, labels_of, local, min_group, share_svg
from gateway.public.sources import commitment_tally, public_commitments
from gateway.public.tally import public_tally


def public_consultations() -> list[Consultation]:
    return list(
        db.session.scalars(
            select(Consultation)
            .where(Consultation.public.is_(True))
            .order_by(Consultation.opens_at.desc())
        )
    )


def _participants(consultation: Consultation) -> int | None:
    """People who took a position on any clause, when there are enough of them to say."""
    people = (
        db.session.scalar(
            select(func.count(func.distinct(Position.contact_id))).where(
                Position.consultation_id == consultation.id
            )
        )
        or 0
    )
    return people if people >= min_group() else None


def _clauses(consultation: Consultation) -> list[dict[str, Any]]:
    """Each clause's positions, charted once enough people took one."""
    rows: dict[int, list[tuple[object, str | None, str | None, int]]] = defaultdict(list)
    for clause_id, stance, county, ward, count in db.session.execute(
        select(Position.clause_id, Position.stance, Position.county, Position.ward, func.count())
        .where(Position.consultation_id == consultation.id)
        .group_by(Position.clause_id, Position.stance, Position.county, Position.ward)
    ):
        rows[clause_id].append((stance, county, ward, count))
    found = []
    for clause in consultation.clauses:
        tally = public_tally(STANCES, rows[clause.id], [], min_group())
        summary = local(clause.summary)
        found.append(
            {
                "clause": clause,
                "summary": summary,
                "chart": chart_data(tally, labels_of(STANCES, "stance"), summary)
                if tally.total
                else None,
            }
        )
    return found


@route("/consultations/")
@cached()
def consultations() -> str:
    return render_template(
        "public/consultations.html",
        consultations=[
            {
                "consultation": c,
                "title": local(c.title),
                "description": local(c.description),
                "participants": _participants(c),
                "clauses": _clauses(c),
            }
            for c in public_consultations()
        ],
        min_group=min_group(),
        local=local,
    )


@route("/consultations/<int:consultation_id>/memorandum.docx")
def memorandum(consultation_id: int) -> Response:
    """The memorandum in the page's language, with the small-group rule (quotes only of authors
    who agreed)."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or not consultation.public:
        abort(404)
    # Groups under the threshold folded as on every public page; the secretariat's own
    # (admin) memorandum, the one submitted, stays complete.
    document = memorandum_docx(consultation, g.lang, min_group=min_group())
    return Response(
        document,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={
            "Content-Disposition": f'attachment; filename="memorandum-{consultation.id}.docx"',
            "Cache-Control": "public, max-age=60",
        },
    )


@route("/scorecard/<int:commitment_id>.svg")
@cached("image/svg+xml")
def commitment_image(commitment_id: int) -> str:
    """The picture shared with a commitment: the community's verdicts as bars."""
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or not commitment.public:
        abort(404)
    tally = commitment_tally(commitment, min_group())
    return share_svg(local(commitment.what), labels_of(VERDICTS, "verdict"), tally)


@route("/scorecard/")
@cached()
def scorecard() -> str:
    bearers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for commitment in public_commitments():
        tally = commitment_tally(commitment, min_group())
        what = local(commitment.what)
        bearers[commitment.duty_bearer_id].append(
            {
                "commitment": commitment,
                "what": what,
                "chart": chart_data(tally, labels_of(VERDICTS, "verdict"), what)
                if tally.total
                else None,
            }
        )
    names = {
        bearer.id: bearer
        for bearer in db.session.scalars(select(DutyBearer).where(DutyBearer.id.in_(list(bearers))))
    }
    return render_template(
        "public/scorecard.html",
        bearers=sorted(((names[i], rows) for i, rows in bearers.items()), key=lambda b: b[0].name),
        min_group=min_group(),
    )

"""The scorecard per duty bearer (:mod:`gateway.commitments.scorecard`): commitments made, due,
kept, partly kept, not kept, overdue and the community's latest verdict, for every county or
one; and its CSV. Counts name nobody, so every reader may see every county's."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.commitments import READERS
from gateway.areas import areas
from gateway.commitments.scorecard import CSV_HEADER, scorecard
from gateway.exports import csv_response
from gateway.users.access import require_role


def _county() -> str | None:
    """The county asked for, if it is one (None: all)."""
    county = request.args.get("county") or None
    return county if county in areas() else None


@bp.route("/commitments/scorecard")
@require_role(*READERS)
def commitments_scorecard() -> str:
    county = _county()
    return render_template(
        "admin/commitments/scorecard.html",
        rows=scorecard(county),
        county=county,
        counties=list(areas()),
    )


@bp.route("/commitments/scorecard.csv")
@require_role(*READERS)
def commitments_scorecard_csv() -> Response:
    county = _county()
    name = f"scorecard-{county.lower().replace(' ', '-')}.csv" if county else "scorecard.csv"
    return csv_response(name, CSV_HEADER, [row.csv() for row in scorecard(county)])

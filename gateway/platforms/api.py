"""``/api/v1/platforms``: the community platforms, to read (the ids a broadcast's, meeting's,
poll's or survey's audience names). The secretariat keeps them in the admin UI."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import func, select

from gateway.api import ApiBlueprint
from gateway.api.scope import STAFF
from gateway.extensions import db
from gateway.platforms.models import LEADER, Membership, Platform
from gateway.platforms.service import platform_problem
from gateway.users.access import principal

blp = ApiBlueprint(
    "platforms",
    __name__,
    url_prefix="/platforms",
    read=STAFF,
    description="Community platforms: where each works, its mining sites, how many members.",
)


class PlatformOfCounty(ma.Schema):
    """An input (a meeting, poll or survey) whose ``platform_id`` must be a platform of its
    ``county``: its audience is the platform's members."""

    @ma.validates_schema
    def _platform_in_county(self, data: dict[str, Any], **kwargs: Any) -> None:
        problem = platform_problem(data.get("platform_id"), data.get("county"))
        if problem:
            raise ma.ValidationError(problem, "platform_id")


class SiteOut(ma.Schema):
    name = ma.fields.String()
    mineral = ma.fields.String()
    licence_holder = ma.fields.String(allow_none=True)
    licence_number = ma.fields.String(allow_none=True)
    ward = ma.fields.String(allow_none=True)


class PlatformOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    code = ma.fields.String(metadata={"description": "What members text after JOIN/JIUNGE."})
    county = ma.fields.String()
    wards = ma.fields.List(ma.fields.String())
    sites = ma.fields.List(ma.fields.Nested(SiteOut))
    members = ma.fields.Integer(metadata={"description": "Members, leaders included."})
    leaders = ma.fields.Integer()


@blp.route("")
class Platforms(MethodView):
    @blp.response(200, PlatformOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every platform (a coordinator's: their counties'), by county and name; no member's
        number (see a contact's export)."""
        counts: dict[tuple[int, bool], int] = {}
        for platform_id, role, n in db.session.execute(
            select(Membership.platform_id, Membership.role, func.count()).group_by(
                Membership.platform_id, Membership.role
            )
        ):
            counts[(platform_id, role == LEADER)] = int(n)
        query = select(Platform).order_by(Platform.county, Platform.name)
        visible = principal().visible_counties()
        if visible is not None:  # a coordinator: their counties' platforms
            query = query.where(Platform.county.in_(visible))
        rows = db.session.scalars(query)
        return [
            {
                "id": p.id,
                "name": p.name,
                "code": p.code,
                "county": p.county,
                "wards": p.wards,
                "sites": p.sites,
                "members": counts.get((p.id, False), 0) + counts.get((p.id, True), 0),
                "leaders": counts.get((p.id, True), 0),
            }
            for p in rows
        ]

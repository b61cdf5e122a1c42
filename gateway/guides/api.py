"""``/api/v1/contacts/<phone>/subscriptions``: put a contact on a guide's weekly series."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.api import ApiBlueprint
from gateway.api.contacts import _contact_or_404
from gateway.api.scope import ADMIN, COORDINATOR, STAFF
from gateway.extensions import db, utcnow
from gateway.guides.content import guides
from gateway.guides.models import GuideSubscription

blp = ApiBlueprint(
    "subscriptions",
    __name__,
    url_prefix="/contacts",
    read=STAFF,
    write=(ADMIN, COORDINATOR),
    description="Contacts' weekly guide series (one excerpt a week, in their language).",
)


def _known_guide(guide_id: str) -> None:
    if guide_id not in guides():
        raise ma.ValidationError(f"Unknown guide; use one of: {', '.join(guides())}.")


class SubscriptionIn(ma.Schema):
    guide = ma.fields.String(required=True, validate=_known_guide, metadata={"example": "coal"})


class SubscriptionOut(ma.Schema):
    id = ma.fields.Integer()
    guide = ma.fields.String()
    next_chapter = ma.fields.Integer(
        metadata={"description": "Index of the next excerpt to send (0: the first)."}
    )
    chapters = ma.fields.Integer(metadata={"description": "How many excerpts the guide has."})
    active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


def _described(subscription: GuideSubscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "guide": subscription.guide,
        "next_chapter": subscription.next_chapter,
        "chapters": len(guides()[subscription.guide].chapters),
        "active": subscription.active,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


def _subscription(contact_id: int, guide_id: str) -> GuideSubscription | None:
    found: GuideSubscription | None = db.session.scalar(
        select(GuideSubscription).where(
            GuideSubscription.contact_id == contact_id, GuideSubscription.guide == guide_id
        )
    )
    return found


def _new_subscription(contact_id: int, guide_id: str) -> GuideSubscription | None:
    """A new subscription, or None if one was made at the same moment by another request."""
    try:
        with db.session.begin_nested():
            subscription = GuideSubscription(
                contact_id=contact_id, guide=guide_id, active=True, updated_at=utcnow()
            )
            db.session.add(subscription)
        return subscription
    except IntegrityError:
        return None


@blp.route("/<string:phone>/subscriptions")
class Subscriptions(MethodView):
    @blp.arguments(SubscriptionIn)
    @blp.response(201, SubscriptionOut)
    @blp.alt_response(200, schema=SubscriptionOut, description="Subscribed already; kept.")
    @blp.alt_response(404, description="No contact with this number.")
    @blp.alt_response(409, description="The contact has had every excerpt of this guide.")
    def post(self, data: dict[str, Any], phone: str) -> tuple[dict[str, Any], int]:
        """Subscribe a contact to a guide's weekly series: the first excerpt goes on the next
        series day (only while they have consent). Subscribing again changes nothing; a
        stopped series resumes where it was."""
        contact = _contact_or_404(phone)
        guide = guides()[data["guide"]]
        subscription = _subscription(contact.id, guide.id)
        if subscription is None:
            created = _new_subscription(contact.id, guide.id)
            if created is not None:
                db.session.commit()
                return _described(created), 201
            subscription = _subscription(contact.id, guide.id)
            assert subscription is not None
        if subscription.next_chapter >= len(guide.chapters):
            abort(409, message=f"This contact has had every excerpt of the {guide.id} guide.")
        if not subscription.active:
            subscription.active, subscription.updated_at = True, utcnow()
        db.session.commit()
        return _described(subscription), 200

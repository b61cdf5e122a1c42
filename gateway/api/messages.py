"""``/api/v1/messages``: the SMS to and from one number."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from gateway.api import ApiBlueprint
from gateway.api.schemas import MessageOut, MessageQuery
from gateway.api.scope import STAFF
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import Message
from gateway.users.access import principal

blp = ApiBlueprint(
    "messages",
    __name__,
    url_prefix="/messages",
    read=STAFF,
    description="SMS sent and received, with their status.",
)


@blp.route("")
class Messages(MethodView):
    @blp.arguments(MessageQuery, location="query")
    @blp.response(200, MessageOut(many=True))
    def get(self, query: dict[str, Any]) -> list[Message]:
        """The newest messages to and from one phone number, newest first."""
        found = select(Message).where(Message.phone == query["phone"])
        counties = principal().visible_counties()
        if counties is not None:  # a coordinator: their counties' contacts' messages only
            found = found.where(
                Message.contact_id.in_(select(Contact.id).where(Contact.county.in_(counties)))
            )
        return list(
            db.session.scalars(
                found.order_by(Message.created_at.desc(), Message.id.desc()).limit(query["limit"])
            )
        )

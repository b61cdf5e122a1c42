"""A contact's guide subscriptions, in their export."""

from __future__ import annotations

from gateway.contacts.export import rows_part
from gateway.guides.models import GuideSubscription

subscriptions = rows_part(
    GuideSubscription,
    GuideSubscription.guide,
    GuideSubscription.next_chapter,
    GuideSubscription.active,
    GuideSubscription.created_at.label("since"),
)

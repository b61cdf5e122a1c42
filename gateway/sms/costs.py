"""What SMS have cost: the price Africa's Talking gave for each message it took."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from gateway.extensions import db
from gateway.sms.models import Message


def sms_spent_since(since: datetime) -> Decimal:
    total = db.session.scalar(
        select(func.coalesce(func.sum(Message.cost), 0)).where(
            Message.direction == "out", Message.sent_at >= since
        )
    )
    return Decimal(str(total or 0))

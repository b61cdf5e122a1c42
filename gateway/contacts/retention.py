"""Retention: raw inbound text older than ``GATEWAY_RETENTION_DAYS`` is removed, once a day.

What people wrote is kept only as long as it is useful; the rows stay, so every count (messages
by kind, votes, survey answers, a radio show's feed) is unchanged. Removed after the period:
the text of inbound SMS (a radio call-in's text is its inbound SMS), Africa's Talking's raw
delivery reports, the input of USSD session ends and free-text survey answers. 0 keeps them.

The same daily job finishes deletions by SMS (:func:`gateway.privacy.sweep_deleted`). It only
ever blanks what is not blank yet, so it may run twice, or on every worker machine at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from gateway.extensions import db, utcnow
from gateway.jobs import job
from gateway.settings import current_settings

log = logging.getLogger(__name__)


def _count(statement: Any) -> int:
    """Run a bulk UPDATE (rows not loaded in the session) and count the rows it changed."""
    table = statement.table
    changed = db.session.execute(
        statement.returning(table.c.id).execution_options(synchronize_session=False)
    )
    return len(changed.all())


def _inbound_texts(before: datetime) -> int:
    from gateway.sms.models import Handling, Message

    return _count(
        update(Message)
        .where(
            Message.direction == "in",
            Message.created_at < before,
            or_(  # not waiting for a worker
                Message.handling_state.is_(None),
                Message.handling_state.not_in((Handling.PENDING, Handling.HANDLING)),
            ),
            Message.text != "",
        )
        .values(text="")
    )


def _delivery_reports(before: datetime) -> int:
    from gateway.sms.models import DeliveryReport

    return _count(
        update(DeliveryReport)
        .where(DeliveryReport.received_at < before, DeliveryReport.raw.is_not(None))
        .values(raw=None)
    )


def _ussd_inputs(before: datetime) -> int:
    from gateway.ussd.models import UssdSessionEnd

    return _count(
        update(UssdSessionEnd)
        .where(UssdSessionEnd.received_at < before, UssdSessionEnd.input.is_not(None))
        .values(input=None)
    )


def _survey_texts(before: datetime) -> int:
    from gateway.surveys.models import SurveyAnswer, SurveyQuestion

    texts = select(SurveyQuestion.id).where(SurveyQuestion.kind == "text")
    return _count(
        update(SurveyAnswer)
        .where(
            SurveyAnswer.answered_at < before,
            SurveyAnswer.question_id.in_(texts),
            SurveyAnswer.value != "",
        )
        .values(value="")
    )


def remove_expired_text(now: datetime | None = None) -> dict[str, int]:
    """Blank the raw text older than the retention period; how many rows of each kind."""
    from gateway.privacy import sweep_deleted

    settings = current_settings()
    counts = sweep_deleted()
    if settings.retention_days > 0:
        before = (now or utcnow()) - timedelta(days=settings.retention_days)
        counts |= {
            "inbound_sms": _inbound_texts(before),
            "delivery_reports": _delivery_reports(before),
            "ussd_inputs": _ussd_inputs(before),
            "survey_texts": _survey_texts(before),
        }
    db.session.commit()
    if any(counts.values()):
        log.info("retention: %s", counts)
    return counts


@job
def remove_expired_text_job() -> dict[str, int]:
    """The daily job (registered in ``worker.py``): see :func:`remove_expired_text`."""
    return remove_expired_text()

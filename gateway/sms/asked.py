"""What did we last ask this person: the questions the gateway sent that are answered by SMS.

Each such SMS has a kind naming what it asks (:data:`POLL_QUESTION`, ...) and a dedupe key
whose second part is the id of what it is about (``poll:3:question:contact:5``,
``meeting:4:v2:alert:contact:5``). A question counts once it reached the phone, or may have,
and by when it went (sent, else claimed, else stored).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import REACHED, Message

POLL_QUESTION = "poll_question"
SURVEY_QUESTION = "survey_question"
COMMITMENT_QUESTION = "commitment_question"  # "Has <what> been done? 1 Yes 2 Partly 3 No"
# The meeting notices a YES or NO by SMS answers.
MEETING_NOTICES = ("meeting_alert", "meeting_reminder", "meeting_rescheduled")
# A consultation's list of clauses and one clause: words sent after them are about the clause
# (the list's last), its key ``consultation_clause:<clause id>:...``.
CONSULTATION_LIST = "consultation_list"
CONSULTATION_CLAUSE = "consultation_clause"
# Every kind of SMS that asks its reader something they answer by SMS.
QUESTIONS = (
    SURVEY_QUESTION,
    POLL_QUESTION,
    COMMITMENT_QUESTION,
    *MEETING_NOTICES,
    CONSULTATION_LIST,
    CONSULTATION_CLAUSE,
)


@dataclass(frozen=True)
class Asked:
    kind: str  # the message's kind
    about: int  # the id of what it asked about (a poll, a survey, a meeting)


def last_questions(contact: Contact, kinds: tuple[str, ...], limit: int = 1) -> list[Asked]:
    """The latest questions of ``kinds`` that went to ``contact``, newest first."""
    went = func.coalesce(Message.sent_at, Message.claimed_at, Message.created_at)
    rows = db.session.execute(
        select(Message.kind, Message.dedupe_key)
        .where(
            Message.contact_id == contact.id,
            Message.direction == "out",
            Message.kind.in_(kinds),
            Message.status.in_(REACHED),
        )
        .order_by(went.desc(), Message.id.desc())
        .limit(limit)
    )
    return [Asked(str(kind), int(key.split(":")[1])) for kind, key in rows if key]


def last_question(contact: Contact, kinds: tuple[str, ...]) -> Asked | None:
    """The question of ``kinds`` that went to ``contact`` last, if any."""
    found = last_questions(contact, kinds)
    return found[0] if found else None

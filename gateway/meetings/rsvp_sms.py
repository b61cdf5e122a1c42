"""A YES or NO by SMS: the answer to the meeting the sender was told of.

With one meeting still to come that they were told of, the answer is theirs. With two or
more, a bare YES could mean any of them (a Taita contact's "yes I will come" was counted for
the national dialogue): the gateway asks which, numbering them in their language, and the
answer "YES 2" is kept for the second. The numbering is the one that SMS carried (its dedupe
key holds the meetings' ids in order), so a meeting ending meanwhile does not shift it.
"""

from __future__ import annotations

from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.localized import pick, when
from gateway.meetings.models import Meeting
from gateway.meetings.notices import ANSWERABLE, meeting_values
from gateway.meetings.ussd import record_rsvp
from gateway.sms import asked
from gateway.sms.keywords import KeywordMatch
from gateway.sms.models import Message
from gateway.sms.router import Route, keyword_in, mark_keyword
from gateway.sms.texts import language_of, reply

WHICH = "rsvp_which"  # the SMS asking which meeting a YES or NO answers
TITLE_CHARS = 28  # a title in the question is cut to this: two meetings fit in two SMS


def meetings_to_answer(contact: Contact) -> list[Meeting]:
    """The meetings still to come that ``contact`` was told of, soonest first."""
    found: dict[int, Meeting] = {}
    for notice in asked.last_questions(contact, ANSWERABLE, limit=20):
        meeting = found.get(notice.about) or db.session.get(Meeting, notice.about)
        if meeting is not None and _to_come(meeting):
            found[meeting.id] = meeting
    return sorted(found.values(), key=lambda m: (m.starts_at, m.id))


def _which_ids(contact: Contact) -> list[int]:
    """The meetings, in their numbers' order, of the last SMS asking ``contact`` which one."""
    key = db.session.scalar(
        select(Message.dedupe_key)
        .where(
            Message.contact_id == contact.id,
            Message.direction == "out",
            Message.kind == WHICH,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    return [int(i) for i in (key or "").rsplit(":", 1)[-1].split("-") if i.isdecimal()]


def _to_come(meeting: Meeting | None) -> bool:
    return meeting is not None and meeting.status == "scheduled" and meeting.starts_at > utcnow()


def _ask_which(contact: Contact, meetings: list[Meeting], inbound_id: int) -> None:
    language = language_of(contact)
    key = "sms.rsvp.which"
    choices = "; ".join(
        f"{n} {_short(pick(m.title, catalogs().chain(language)))} "
        f"{when(m.starts_at, key, language)}"
        for n, m in enumerate(meetings, start=1)
    )
    question = reply(contact, key, kind=WHICH, choices=choices)
    question.dedupe_key = f"rsvp:which:{inbound_id}:" + "-".join(str(m.id) for m in meetings)


def _short(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"


def answer_rsvp_sms(contact: Contact, attending: bool, rest: str, inbound_id: int) -> str | None:
    """Record a YES or NO by SMS for the meeting it answers and thank the sender, or ask which
    meeting it answers; None if there is no meeting to answer (the text is then an ordinary
    message for the inbox)."""
    meetings = meetings_to_answer(contact)
    if not meetings:
        return None
    answer = "yes" if attending else "no"
    first = rest.split(maxsplit=1)[0].strip(".,;:") if rest.strip() else ""
    number = int(first) if first.isdecimal() and len(first) < 4 else 0
    numbered = _which_ids(contact) if number else []
    if 1 <= number <= len(numbered):  # "YES 2" after the question which one
        chosen = db.session.get(Meeting, numbered[number - 1])
        if chosen is None or not _to_come(chosen):
            return None  # that meeting is over: the inbox has the answer
        meetings = [chosen]
    elif len(meetings) > 1:
        _ask_which(contact, meetings, inbound_id)
        return f"rsvp {answer}: asked which of {len(meetings)} meetings"
    meeting = meetings[0]
    record_rsvp(meeting.id, contact.id, attending, channel="sms")
    key = f"sms.rsvp.{answer}"
    reply(contact, key, kind="rsvp_thanks", **meeting_values(meeting, contact, key))
    return f"rsvp {answer} to meeting {meeting.id}"


def _rsvp(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    assert match is not None
    outcome = answer_rsvp_sms(contact, match.name == "yes", match.rest, message.id)
    if outcome is not None:
        mark_keyword(message, contact, match)
    return outcome


# The inbound route (see gateway.wiring.inbound_routes): with no meeting to answer, a YES or NO
# is left to the inbox.
RSVP = Route(
    "YES, NO: the meeting announced (two or more: which one?)", _rsvp, keyword_in("yes", "no")
)

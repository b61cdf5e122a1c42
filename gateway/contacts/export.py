"""Everything the gateway holds about one number, for the person's right of access (Kenya Data
Protection Act 2019, s. 26): the contact, consent events, messages in and out, votes, survey
answers, RSVPs, reports that name them (never anonymous ones), radio messages, guide
subscriptions, tags and USSD session ends.

:func:`collect` is the one place that knows where a person's rows are; the admin page's download
and ``GET /api/v1/contacts/<phone>/export`` serve what it returns, and the SMS deletion asks it
whether anything is held at all (:func:`holds_anything`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from gateway.contacts.models import ConsentEvent, Contact, ContactTag
from gateway.extensions import db

Row = dict[str, Any]


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _contact(contact: Contact) -> Row:
    return {
        "id": contact.id,
        "phone": contact.phone,
        "language": contact.language,
        "county": contact.county,
        "ward": contact.ward,
        "created_at": _when(contact.created_at),
        "consent_at": _when(contact.consent_at),
        "consent_channel": contact.consent_channel,
        "consent_wording": contact.consent_wording,
        "opted_out_at": _when(contact.opted_out_at),
        "opt_out_channel": contact.opt_out_channel,
    }


def _consent_events(contact: Contact) -> list[Row]:
    events = db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.contact_id == contact.id).order_by(ConsentEvent.id)
    )
    return [
        {
            "action": e.action,
            "channel": e.channel,
            "wording_version": e.wording_version,
            "wording_text": e.wording_text,
            "language": e.language,
            "at": _when(e.created_at),
        }
        for e in events
    ]


def _messages(contact: Contact) -> list[Row]:
    from gateway.sms.models import Message

    rows = db.session.scalars(
        select(Message)
        .where(or_(Message.contact_id == contact.id, Message.phone == contact.phone))
        .order_by(Message.id)
    )
    return [
        {
            "id": m.id,
            "direction": m.direction,
            "kind": m.listed_kind,
            "text": m.text,
            "status": m.status,
            "language": m.language,
            "error": m.error,
            "created_at": _when(m.created_at),
            "received_at": _when(m.received_at),
            "sent_at": _when(m.sent_at),
            "delivered_at": _when(m.delivered_at),
            "failed_at": _when(m.failed_at),
        }
        for m in rows
    ]


def _votes(contact: Contact) -> list[Row]:
    from gateway.polls.models import Poll, PollOption, Vote

    rows = db.session.execute(
        select(Vote, Poll.keyword, PollOption.position, PollOption.label)
        .join(Poll, Poll.id == Vote.poll_id)
        .join(PollOption, PollOption.id == Vote.option_id)
        .where(Vote.contact_id == contact.id)
        .order_by(Vote.id)
    )
    return [
        {
            "poll": keyword,
            "option": position,
            "label": label,
            "channel": vote.channel,
            "at": _when(vote.voted_at),
        }
        for vote, keyword, position, label in rows
    ]


def _survey_answers(contact: Contact) -> list[Row]:
    from gateway.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse

    rows = db.session.execute(
        select(Survey.keyword, SurveyQuestion.position, SurveyQuestion.kind, SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyResponse.contact_id == contact.id)
        .order_by(SurveyAnswer.id)
    )
    return [
        {
            "survey": keyword,
            "question": position,
            "kind": kind,
            "value": answer.value,
            "at": _when(answer.answered_at),
        }
        for keyword, position, kind, answer in rows
    ]


def _rsvps(contact: Contact) -> list[Row]:
    from gateway.meetings.models import Meeting, Rsvp

    rows = db.session.execute(
        select(Rsvp, Meeting.title, Meeting.starts_at)
        .join(Meeting, Meeting.id == Rsvp.meeting_id)
        .where(Rsvp.contact_id == contact.id)
        .order_by(Rsvp.id)
    )
    return [
        {
            "meeting": title,
            "meeting_starts_at": _when(starts_at),
            "attending": rsvp.attending,
            "channel": rsvp.channel,
            "at": _when(rsvp.answered_at),
        }
        for rsvp, title, starts_at in rows
    ]


def _reports(contact: Contact) -> list[Row]:
    from gateway.reports.models import Report

    rows = db.session.scalars(
        select(Report)
        .where(Report.contact_id == contact.id, Report.anonymous.is_(False))
        .order_by(Report.id)
    )
    return [
        {
            "reference": r.reference,
            "category": r.category,
            "county": r.county,
            "ward": r.ward,
            "description": r.description,
            "status": r.status,
            "channel": r.channel,
            "at": _when(r.created_at),
        }
        for r in rows
    ]


def _radio_messages(contact: Contact) -> list[Row]:
    from gateway.radio.models import RadioMessage, RadioShow
    from gateway.sms.models import Message

    rows = db.session.execute(
        select(RadioMessage, RadioShow.name, Message.text)
        .join(RadioShow, RadioShow.id == RadioMessage.show_id)
        .join(Message, Message.id == RadioMessage.message_id)
        .where(RadioMessage.contact_id == contact.id)
        .order_by(RadioMessage.id)
    )
    return [
        {
            "show": show,
            "episode": radio.episode,
            "text": text,
            "read_on_air_at": _when(radio.read_on_air_at),
            "at": _when(radio.received_at),
        }
        for radio, show, text in rows
    ]


def _subscriptions(contact: Contact) -> list[Row]:
    from gateway.guides.models import GuideSubscription

    rows = db.session.scalars(
        select(GuideSubscription)
        .where(GuideSubscription.contact_id == contact.id)
        .order_by(GuideSubscription.id)
    )
    return [
        {
            "guide": s.guide,
            "next_chapter": s.next_chapter,
            "active": s.active,
            "since": _when(s.created_at),
        }
        for s in rows
    ]


def _tags(contact: Contact) -> list[str]:
    return list(
        db.session.scalars(
            select(ContactTag.tag)
            .where(ContactTag.contact_id == contact.id)
            .order_by(ContactTag.tag)
        )
    )


def _ussd_sessions(contact: Contact) -> list[Row]:
    from gateway.ussd.models import UssdSessionEnd

    rows = db.session.scalars(
        select(UssdSessionEnd)
        .where(UssdSessionEnd.phone == contact.phone)
        .order_by(UssdSessionEnd.id)
    )
    return [{"status": s.status, "input": s.input} for s in rows]


SECTIONS: dict[str, Callable[[Contact], list[Any]]] = {
    "consent_events": _consent_events,
    "messages": _messages,
    "votes": _votes,
    "survey_answers": _survey_answers,
    "rsvps": _rsvps,
    "reports": _reports,
    "radio_messages": _radio_messages,
    "guide_subscriptions": _subscriptions,
    "tags": _tags,
    "ussd_sessions": _ussd_sessions,
}


def collect(contact: Contact) -> dict[str, Any]:
    """Everything held about ``contact``, as JSON-ready data (times in UTC, ISO 8601)."""
    return {
        "contact": _contact(contact),
        **{name: section(contact) for name, section in SECTIONS.items()},
    }


def holds_anything(contact: Contact, *, besides_message: int | None = None) -> bool:
    """Whether anything is held about ``contact`` beyond their bare row and the one message
    ``besides_message`` (the SMS being answered)."""
    if contact.consent_at or contact.opted_out_at or contact.county or contact.ward:
        return True
    for name, section in SECTIONS.items():
        rows = section(contact)
        if name == "messages":
            rows = [m for m in rows if m["id"] != besides_message]
        if rows:
            return True
    return False

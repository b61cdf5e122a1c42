"""The inbox's items: free-text SMS no route took (``Message.kind == "inbox"``) and questions
recorded by phone, newest first, with their contact's language, county and ward, filtered.

A coordinator sees their counties only; an SMS with a sensitive word
(``GATEWAY_INBOX_SENSITIVE_WORDS``) is for admins only, as a sensitive report is. An item is
unhandled while its contact's conversation was not marked handled after it arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.inbox.models import Conversation
from gateway.radio.questions import VoiceQuestion
from gateway.settings import current_settings
from gateway.sms.models import Message
from gateway.users.access import Principal
from gateway.voice.audio import url_path
from gateway.voice.models import AudioClip, VoiceRecording

PAGE = 50
AnySelect = Select[*tuple[Any, ...]]  # a select of any columns
STATES = ("unhandled", "handled", "mine")


@dataclass(frozen=True)
class Filters:
    county: str = ""
    language: str = ""
    q: str = ""
    state: str = ""  # one of STATES, or "" for all

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        found = {n: (args.get(n) or "").strip()[:64] for n in ("county", "language", "q", "state")}
        if found["state"] not in STATES:
            found["state"] = ""
        return cls(**found)

    def args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Item:
    """One row of the inbox: an SMS (``text``) or a recorded question (``audio_url``)."""

    key: str  # "sms-<id>" or "question-<id>"
    contact: Contact
    created_at: datetime
    text: str | None
    audio_url: str | None
    sensitive: bool
    handled: bool
    assigned_to_id: int | None


def sensitive_text(column: Any) -> ColumnElement[bool]:
    """Whether a text column holds one of the sensitive words (any case)."""
    words = current_settings().inbox_sensitive_words
    if not words:
        return false()
    lowered = func.lower(column)
    return or_(*(lowered.contains(word, autoescape=True) for word in words))


def is_sensitive(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in current_settings().inbox_sensitive_words)


def _unhandled(created: Any) -> ColumnElement[bool]:
    return or_(Conversation.handled_at.is_(None), Conversation.handled_at < created)


def _narrow(
    query: AnySelect, contact_id: Any, created: Any, who: Principal, filters: Filters
) -> AnySelect:
    """``query`` joined to the contact and its conversation, narrowed to what ``who`` sees and
    ``filters`` asks."""
    query = query.join(Contact, Contact.id == contact_id)
    query = query.outerjoin(Conversation, Conversation.contact_id == Contact.id)
    query = query.where(Contact.anonymised_at.is_(None))
    counties = who.visible_counties()
    if counties is not None:
        query = query.where(Contact.county.in_(counties))
    if filters.county:
        query = query.where(Contact.county == filters.county)
    if filters.language:
        query = query.where(Contact.language == filters.language)
    if filters.state == "unhandled":
        query = query.where(_unhandled(created))
    elif filters.state == "handled":
        query = query.where(~_unhandled(created))
    elif filters.state == "mine":
        query = query.where(Conversation.assigned_to_id == who.user_id)
    return query


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def inbox_items(who: Principal, filters: Filters, before: datetime | None = None) -> list[Item]:
    """The newest :data:`PAGE` items ``who`` may see that match ``filters`` (older than
    ``before``)."""
    sms: AnySelect = select(Message, Contact, Conversation).where(
        Message.direction == "in", Message.kind == "inbox"
    )
    sms = _narrow(sms, Message.contact_id, Message.created_at, who, filters)
    if not who.is_admin:
        sms = sms.where(~sensitive_text(Message.text))
    questions: AnySelect = (
        select(VoiceQuestion, Contact, Conversation, AudioClip)
        .outerjoin(VoiceRecording, VoiceRecording.id == VoiceQuestion.recording_id)
        .outerjoin(AudioClip, AudioClip.id == VoiceRecording.audio_id)
    )
    questions = _narrow(questions, VoiceQuestion.contact_id, VoiceQuestion.created_at, who, filters)
    if filters.q:
        digits = _digits(filters.q)
        by_phone = Contact.phone.contains(digits, autoescape=True) if digits else false()
        words = func.lower(Message.text).contains(filters.q.lower(), autoescape=True)
        sms = sms.where(or_(words, by_phone))
        questions = questions.where(by_phone if digits else false())
    if before is not None:
        sms = sms.where(Message.created_at < before)
        questions = questions.where(VoiceQuestion.created_at < before)
    sms = sms.order_by(Message.created_at.desc(), Message.id.desc()).limit(PAGE)
    questions = questions.order_by(VoiceQuestion.id.desc()).limit(PAGE)
    items = [
        _item(f"sms-{m.id}", m.created_at, contact, conv, text=m.text)
        for m, contact, conv in db.session.execute(sms)
    ]
    items += [
        _item(
            f"question-{q.id}",
            q.created_at,
            contact,
            conv,
            audio_url=url_path(clip) if clip is not None else "",
        )
        for q, contact, conv, clip in db.session.execute(questions)
    ]
    items.sort(key=lambda item: item.created_at, reverse=True)
    return items[:PAGE]


def _item(
    key: str,
    created: datetime,
    contact: Contact,
    conv: Conversation | None,
    text: str | None = None,
    audio_url: str | None = None,
) -> Item:
    handled_at = conv.handled_at if conv is not None else None
    return Item(
        key=key,
        contact=contact,
        created_at=created,
        text=text,
        audio_url=audio_url,
        sensitive=text is not None and is_sensitive(text),
        handled=handled_at is not None and handled_at >= created,
        assigned_to_id=conv.assigned_to_id if conv is not None else None,
    )


def unhandled_times(who: Principal) -> list[datetime]:
    """When each unhandled SMS ``who`` may see arrived (for the dashboard's counts)."""
    query: AnySelect = select(Message.created_at).where(
        Message.direction == "in", Message.kind == "inbox"
    )
    query = _narrow(query, Message.contact_id, Message.created_at, who, Filters())
    query = query.where(_unhandled(Message.created_at))
    if not who.is_admin:
        query = query.where(~sensitive_text(Message.text))
    return [row[0] for row in db.session.execute(query)]

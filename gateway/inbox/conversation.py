"""A contact's conversation with the secretariat: the thread (every SMS in and out with its
status, recorded questions, internal notes, in order), replies and one-off texts through the
one-person send path, and marking it handled or assigned, each audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.contacts.service import messageable
from gateway.encoding import TextInfo, analyse, transliterate
from gateway.extensions import db, utcnow
from gateway.inbox.items import is_sensitive
from gateway.inbox.models import Conversation, InboxNote
from gateway.phones import mask_phone
from gateway.radio.questions import VoiceQuestion
from gateway.settings import current_settings
from gateway.sms.models import Message
from gateway.sms.texts import reply_text
from gateway.users import audit
from gateway.users.models import User
from gateway.voice.audio import url_path
from gateway.voice.models import AudioClip, VoiceRecording

THREAD = 200  # the newest entries of a thread shown
TEXT_MAX = 1000
KIND_REPLY = "inbox_reply"  # an officer's reply from a conversation
KIND_DIRECT = "direct"  # an officer's text to one person, not in answer to anything


class SendRefused(Exception):
    """A text cannot go to this person: ``reason`` is ``empty``, ``long``, ``opted_out``,
    ``no_consent`` or ``deleted``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    """One line of a thread: a message, a recorded question or a note."""

    at: datetime
    what: str  # "in", "out", "question", "note"
    message: Message | None = None
    audio_url: str | None = None
    note: InboxNote | None = None
    author: str = ""
    hidden: bool = False  # a sensitive SMS, shown to admins only


@dataclass(frozen=True)
class Estimate:
    """What a text costs as it would be sent."""

    text: str
    info: TextInfo
    cost_kes: Decimal


def as_sent(text: str) -> str:
    """An officer's text as it goes: line ends normalised, GSM-7 where a character allows."""
    return transliterate(text.replace("\r\n", "\n").strip())


def estimate(text: str) -> Estimate:
    sent = as_sent(text)
    info = analyse(sent)
    price = Decimal(str(current_settings().price_per_segment_kes))
    segments = info.segments if sent else 0
    return Estimate(sent, info, (price * segments).quantize(Decimal("0.01")))


def thread(contact: Contact, admin: bool) -> list[Entry]:
    """The conversation with ``contact``, oldest first (its newest :data:`THREAD` entries)."""
    entries = [
        Entry(
            m.created_at,
            m.direction,
            message=m,
            hidden=m.direction == "in" and not admin and is_sensitive(m.text),
        )
        for m in db.session.scalars(
            select(Message)
            .where(Message.contact_id == contact.id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(THREAD)
        )
    ]
    for question, clip in db.session.execute(
        select(VoiceQuestion, AudioClip)
        .outerjoin(VoiceRecording, VoiceRecording.id == VoiceQuestion.recording_id)
        .outerjoin(AudioClip, AudioClip.id == VoiceRecording.audio_id)
        .where(VoiceQuestion.contact_id == contact.id)
        .order_by(VoiceQuestion.id.desc())
        .limit(THREAD)
    ):
        audio = url_path(clip) if clip is not None else ""
        entries.append(Entry(question.created_at, "question", audio_url=audio))
    for note, author in db.session.execute(
        select(InboxNote, User.name)
        .outerjoin(User, User.id == InboxNote.user_id)
        .where(InboxNote.contact_id == contact.id)
        .order_by(InboxNote.id.desc())
        .limit(THREAD)
    ):
        entries.append(Entry(note.created_at, "note", note=note, author=author or ""))
    entries.sort(key=lambda e: e.at)
    return entries[-THREAD:]


def conversation_of(contact: Contact) -> Conversation:
    found = db.session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
    if found is None:
        found = Conversation(contact_id=contact.id)
        db.session.add(found)
    return found


def send_text(contact: Contact, text: str, *, kind: str) -> Message:
    """Queue an officer's ``text`` to ``contact`` (sent after the commit), audited. A reply
    (``KIND_REPLY``) goes to anyone who has not opted out, as answers do; a text unasked
    (``KIND_DIRECT``) only to those who consented, as broadcasts."""
    sent = as_sent(text)
    if not sent:
        raise SendRefused("empty")
    if len(sent) > TEXT_MAX:
        raise SendRefused("long")
    if contact.anonymised_at is not None:
        raise SendRefused("deleted")
    if contact.opted_out_at is not None:
        raise SendRefused("opted_out")
    if kind == KIND_DIRECT and not db.session.scalar(
        select(Contact.id).where(Contact.id == contact.id, messageable())
    ):
        raise SendRefused("no_consent")
    message = reply_text(contact, sent, kind=kind, by_staff=True)
    audit.record(
        f"inbox.{kind}",
        "contact",
        contact.id,
        message_id=message.id,
        to=mask_phone(message.phone),
        segments=message.segments,
        encoding=message.encoding,
    )
    return message


def mark_handled(contact: Contact, user_id: int | None, handled: bool = True) -> None:
    conv = conversation_of(contact)
    conv.handled_at, conv.handled_by_id = (utcnow(), user_id) if handled else (None, None)
    conv.updated_at = utcnow()
    audit.record("inbox.handled" if handled else "inbox.reopened", "contact", contact.id)


def assign(contact: Contact, user: User | None) -> bool:
    conv = conversation_of(contact)
    user_id = user.id if user else None
    if conv.assigned_to_id == user_id:
        return False
    audit.record(
        "inbox.assign",
        "contact",
        contact.id,
        before=conv.assigned_to_id,
        after=user_id,
        assignee=user.email if user else None,
    )
    conv.assigned_to_id, conv.updated_at = user_id, utcnow()
    return True


def add_note(contact: Contact, user_id: int | None, text: str) -> InboxNote | None:
    text = text.strip()[:TEXT_MAX]
    if not text:
        return None
    note = InboxNote(contact_id=contact.id, user_id=user_id, text=text)
    db.session.add(note)
    db.session.flush()
    audit.record("inbox.note", "contact", contact.id, note_id=note.id, characters=len(text))
    return note

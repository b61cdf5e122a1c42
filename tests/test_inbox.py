"""The Inbox and conversations (issue #16): free-text SMS posted to /at/sms as Africa's Talking
does land in the inbox after a real worker handles them; coordinators see their counties only and
never a sensitive SMS; a reply goes to the emulator through the worker with the segments the
estimate showed; handled, assigned, notes (erased on FUTA); saved replies; send to one person
with the broadcasts' consent checks; the dashboard's counts."""

from __future__ import annotations

import re

import time_machine
from factories import joined_contact
from flask import Flask
from sqlalchemy import select
from test_voice import AMINA, VoiceCaller, _wav
from test_voice_questions import OFF_AIR, RecordingStore, _ask_by_post

from gateway.contacts.models import Contact
from gateway.contacts.service import anonymise
from gateway.extensions import db
from gateway.inbox.models import Conversation, InboxNote, SavedReply
from gateway.radio.questions import VoiceQuestion
from gateway.sms.models import Message
from gateway.users.models import AuditEvent
from gateway.voice.models import AudioClip

KITUI, KWALE, SW = "+254711000031", "+254722000031", "+254711000032"


def _arrive(at, workers, phone: str, text: str) -> None:
    assert at.sms(phone, text).status_code == 200
    workers.drain()


def _contact_id(app: Flask, phone: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Contact.id).where(Contact.phone == phone))


def _rows(page: str) -> list[str]:
    return re.findall(r'<td class="text">(.*?)</td>', page, re.S)


def test_free_text_sms_fill_the_inbox_and_coordinators_see_their_counties_only(
    app, at, workers, emulator, admin_as
) -> None:
    joined_contact(app, KITUI, "en")
    joined_contact(app, KWALE, "en", county="Kwale", ward=None)
    _arrive(at, workers, KITUI, "When is the next meeting about the quarry?")
    _arrive(at, workers, KWALE, "Our water is dirty since the mine opened")
    _arrive(at, workers, KITUI, "JOIN")  # a keyword: answered, not in the inbox

    admin = admin_as("admin").get("/admin/inbox").get_data(as_text=True)
    texts = " ".join(_rows(admin))
    assert "next meeting about the quarry" in texts and "water is dirty" in texts
    assert "JOIN" not in texts
    assert texts.index("water is dirty") < texts.index("next meeting")  # newest first
    assert "Kitui / Mui" in admin and KITUI not in admin and "+2547••••••31" in admin

    coordinator = admin_as("coordinator", counties=("Kitui",))
    page = coordinator.get("/admin/inbox").get_data(as_text=True)
    assert "next meeting" in page and "water is dirty" not in page
    kwale_id = _contact_id(app, KWALE)
    assert coordinator.get(f"/admin/inbox/contacts/{kwale_id}").status_code == 403
    # Filters: county and keyword (what the live rows poll too).
    rows = admin_as("admin").get("/admin/inbox/rows?county=Kwale").get_data(as_text=True)
    assert "water is dirty" in rows and "quarry" not in rows
    rows = admin_as("admin").get("/admin/inbox/rows?q=QUARRY").get_data(as_text=True)
    assert "quarry" in rows and "water is dirty" not in rows
    # A viewer reads the inbox and the conversation, and sends nothing.
    viewer = admin_as("viewer")
    path = f"/admin/inbox/contacts/{kwale_id}"
    assert 'id="reply-text"' not in viewer.get(path).get_data(as_text=True)
    assert viewer.post(f"{path}/reply", {"text": "Hi"}, page=path).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Message.id).where(Message.kind == "inbox_reply")) is None


def test_a_sensitive_sms_is_for_admins_only(app, at, workers, emulator, admin_as) -> None:
    joined_contact(app, KITUI, "en")
    _arrive(at, workers, KITUI, "Men came at night with a gun and threatened us")
    admin = admin_as("admin").get("/admin/inbox").get_data(as_text=True)
    assert "threatened us" in admin and "badge sensitive" in admin
    coordinator = admin_as("coordinator", counties=("Kitui",))
    assert "threatened us" not in coordinator.get("/admin/inbox").get_data(as_text=True)
    thread = coordinator.get(f"/admin/inbox/contacts/{_contact_id(app, KITUI)}")
    body = thread.get_data(as_text=True)
    assert "threatened us" not in body and "Sensitive: admins only" in body


def test_a_reply_reaches_the_phone_once_with_the_estimated_segments_and_marks_handled(
    app, at, workers, emulator, admin_as
) -> None:
    joined_contact(app, SW, "sw")
    _arrive(at, workers, SW, "Mkutano ujao ni lini?")
    session = admin_as("coordinator", counties=("Kitui",), email="wanjiru@hmk.example")
    contact_id = _contact_id(app, SW)
    path = f"/admin/inbox/contacts/{contact_id}"
    reply = (
        "Mkutano ujao ni Jumamosi saa nne asubuhi katika ofisi ya wadi ya Mui, mlango wa pili. " * 2
    )
    estimate = session.post("/admin/inbox/estimate", {"text": reply}, page=path)
    shown = estimate.get_data(as_text=True)
    assert "GSM-7" in shown and "2 SMS (171 characters)" in shown and "KES 1.60" in shown
    before = len(emulator.messages())

    response = session.post(f"{path}/reply", {"text": reply, "handled": "1"}, page=path)
    assert response.status_code == 302
    assert "Queued to +2547••••••32 (2 SMS)" in session.get(path).get_data(as_text=True)
    workers.drain()
    sent = [m for m in emulator.messages()[before:] if m["to"] == SW]
    assert [m["text"] for m in sent] == [reply.strip()]
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.kind == "inbox_reply"))
        assert message.segments == 2 and message.status in ("sent", "submitted", "delivered")
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "inbox.inbox_reply")
        )
        assert event.actor == "wanjiru@hmk.example" and SW not in str(event.details)
    thread = session.get(f"{path}/thread").get_data(as_text=True)
    assert f'id="message-{message.id}"' in thread and f'data-status="{message.status}"' in thread
    assert "quarry" not in session.get("/admin/inbox/rows?state=unhandled").get_data(as_text=True)
    assert "Mkutano ujao ni lini?" not in session.get("/admin/inbox/rows?state=unhandled").get_data(
        as_text=True
    )
    # A new SMS reopens the conversation.
    _arrive(at, workers, SW, "Asante, nitakuja na jirani")
    unhandled = session.get("/admin/inbox/rows?state=unhandled").get_data(as_text=True)
    assert "nitakuja na jirani" in unhandled and "Mkutano ujao ni lini?" not in unhandled


def test_no_reply_to_someone_who_opted_out(app, at, workers, emulator, admin_as) -> None:
    joined_contact(app, KITUI, "en")
    _arrive(at, workers, KITUI, "Hello, who is this?")
    _arrive(at, workers, KITUI, "STOP")
    before = len(emulator.messages())
    session = admin_as("admin")
    path = f"/admin/inbox/contacts/{_contact_id(app, KITUI)}"
    assert 'id="no-reply"' in session.get(path).get_data(as_text=True)
    session.post(f"{path}/reply", {"text": "We are HMK"}, page=path)
    workers.drain()
    assert emulator.messages()[before:] == []
    assert "opted out" in session.get(path).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Message.id).where(Message.kind == "inbox_reply")) is None


def test_saved_replies_are_kept_by_admins_and_picked_in_the_contacts_language(
    app, at, workers, emulator, admin_as
) -> None:
    joined_contact(app, SW, "sw")
    _arrive(at, workers, SW, "Nataka kujua haki zangu")
    coordinator = admin_as("coordinator", counties=("Kitui",))
    denied = coordinator.post(
        "/admin/inbox/saved-replies", {"name": "x", "text_en": "x"}, page="/admin/inbox"
    )
    assert denied.status_code == 403
    admin = admin_as("admin")
    admin.post(
        "/admin/inbox/saved-replies",
        {
            "name": "Rights guide",
            "text_en": "Dial *384*123# for the guides.",
            "text_sw": "Piga *384*123# kupata miongozo.",
        },
    )
    with app.app_context():
        saved = db.session.scalar(select(SavedReply))
        assert saved.texts == {
            "en": "Dial *384*123# for the guides.",
            "sw": "Piga *384*123# kupata miongozo.",
        }
    path = f"/admin/inbox/contacts/{_contact_id(app, SW)}?saved={saved.id}"
    page = coordinator.get(path).get_data(as_text=True)
    assert re.search(r'<textarea id="reply-text"[^>]*>Piga \*384\*123# kupata miongozo\.<', page)


def test_assign_notes_mine_filter_and_futa_erases_them(
    app, at, workers, emulator, admin_as, make_user
) -> None:
    joined_contact(app, KITUI, "en")
    _arrive(at, workers, KITUI, "Please call me about the land")
    session = admin_as("coordinator", counties=("Kitui",), name="Mutua")
    contact_id = _contact_id(app, KITUI)
    path = f"/admin/inbox/contacts/{contact_id}"
    assert "inbox-empty" in session.get("/admin/inbox/rows?state=mine").get_data(as_text=True)
    session.post(f"{path}/assign", {"user_id": str(session.user_id)}, page=path)
    session.post(f"{path}/note", {"note": "Called back, wants the land officer"}, page=path)
    page = session.get(path).get_data(as_text=True)
    assert (
        '<dd id="conversation-assignee">Mutua</dd>' in page
        and "Called back, wants the land officer" in page
    )
    assert "land" in session.get("/admin/inbox/rows?state=mine").get_data(as_text=True)
    other = make_user("coordinator", counties=("Kwale",))
    assert session.post(f"{path}/assign", {"user_id": str(other)}, page=path).status_code == 400
    session.post(f"{path}/handled", {"handled": "1"}, page=path)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"inbox.assign", "inbox.note", "inbox.handled"} <= actions
        contact = db.session.get(Contact, contact_id)
        from gateway.contacts.export import collect

        held = collect(contact)
        assert any(r.get("text") == "Called back, wants the land officer" for r in held["inbox"])
        anonymise(contact)
        db.session.commit()
        assert db.session.scalar(select(InboxNote.id)) is None
        assert db.session.scalar(select(Conversation.id)) is None


def test_send_to_one_person_needs_their_consent(app, emulator, workers, admin_as) -> None:
    joined_contact(app, KITUI, "en")
    joined_contact(app, "+254711000099", "en", consent=False)
    session = admin_as("admin")
    refused = session.post(
        "/admin/inbox/send", {"number": "0711000099", "text": "Hello"}, page="/admin/inbox/send"
    )
    assert "has not consented" in refused.get_data(as_text=True)
    unknown = session.post(
        "/admin/inbox/send", {"number": "0700000001", "text": "Hello"}, page="/admin/inbox/send"
    )
    assert "No contact you may write to" in unknown.get_data(as_text=True)
    form = session.get(f"/admin/inbox/send?contact={_contact_id(app, KITUI)}").get_data(
        as_text=True
    )
    assert "To +2547••••••31" in form
    sent = session.post(
        "/admin/inbox/send",
        {"number": "0711 000 031", "text": "The meeting moved to Friday."},
        page="/admin/inbox/send",
    )
    assert sent.status_code == 302
    workers.drain()
    assert [m["text"] for m in emulator.messages() if m["to"] == KITUI] == [
        "The meeting moved to Friday."
    ]
    assert [m for m in emulator.messages() if m["to"] == "+254711000099"] == []


def test_dashboard_counts_unhandled_oldest_and_first_reply(
    app, at, workers, emulator, admin_as
) -> None:
    joined_contact(app, KITUI, "en")
    joined_contact(app, SW, "sw")
    _arrive(at, workers, KITUI, "First question")
    _arrive(at, workers, SW, "Swali la pili")
    session = admin_as("admin")
    page = session.get("/admin/").get_data(as_text=True)
    assert "Unhandled messages: 2" in page and "Median time to first reply (30 days): -" in page
    path = f"/admin/inbox/contacts/{_contact_id(app, SW)}"
    session.post(f"{path}/reply", {"text": "Jibu", "handled": "1"}, page=path)
    page = session.get("/admin/").get_data(as_text=True)
    assert "Unhandled messages: 1" in page
    assert "Median time to first reply (30 days): 0 h 0 min" in page
    assert re.search(r"Oldest unhandled waiting: 0 h \d+ min", page)


def test_a_question_recorded_by_phone_is_in_the_inbox_with_a_player(
    app, client, admin_as, workers
) -> None:
    """A question asked on the voice line (posted to /at/voice as Africa's Talking does, its
    recording fetched by a worker) is an inbox item with a player, and in the conversation."""
    joined_contact(app, AMINA, "sw")
    with RecordingStore() as store, time_machine.travel(OFF_AIR, tick=True):
        _ask_by_post(VoiceCaller(client, AMINA), store.put("/q/inbox.wav", _wav()))
        workers.drain()
    with app.app_context():
        question = db.session.scalar(select(VoiceQuestion))
        clip = db.session.scalar(select(AudioClip))
        player = f'<audio controls preload="none" src="/voice/audio/{clip.sha256}.wav">'
    page = admin_as("admin").get("/admin/inbox").get_data(as_text=True)
    row = re.search(rf'<tr id="question-{question.id}".*?</tr>', page, re.S)
    assert row is not None and player in row.group(0) and "Kitui / Mui" in row.group(0)
    thread = admin_as("coordinator", counties=("Kitui",)).get(
        f"/admin/inbox/contacts/{_contact_id(app, AMINA)}"
    )
    assert player in thread.get_data(as_text=True)
    kwale = admin_as("coordinator", counties=("Kwale",)).get("/admin/inbox")
    assert f"question-{question.id}" not in kwale.get_data(as_text=True)


def test_the_inbox_pages_back_to_older_messages(app, admin_as) -> None:
    from datetime import timedelta

    from gateway.extensions import utcnow

    contact_id = joined_contact(app, KITUI, "en")
    with app.app_context():
        start = utcnow() - timedelta(hours=2)
        for n in range(52):
            db.session.add(
                Message(
                    direction="in",
                    kind="inbox",
                    contact_id=contact_id,
                    phone=KITUI,
                    text=f"question number {n:02d}",
                    encoding="GSM-7",
                    segments=1,
                    status="received",
                    handling_state="done",
                    created_at=start + timedelta(minutes=n),
                )
            )
        db.session.commit()
    session = admin_as("admin")
    first = session.get("/admin/inbox").get_data(as_text=True)
    assert "question number 51" in first and "question number 01" not in first
    older = re.search(r'<a id="older" href="([^"]+)"', first)
    assert older is not None
    second = session.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    texts = " ".join(_rows(second))
    assert "question number 01" in texts and "question number 00" in texts
    assert "question number 02" not in texts and 'hx-trigger="every 2s"' not in second

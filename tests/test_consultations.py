"""Taking part in a consultation on a draft, clause by clause, by USSD, SMS (``MAONI``) and voice,
in English and Kiswahili, through Africa's Talking's wire format; one position per person and
clause, the latest counting across channels; every comment kept; FUTA erasing a person's words
while the counts stay; and the invitations, shown with their estimate and sent only once an
officer confirms, in each person's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from factories import EN, KAM, KWALE, SW, joined_contact
from helpers import confirmation, received
from helpers import text as sms_text
from sqlalchemy import func, select
from test_privacy import _export_api

from gateway.consultations.models import Clause, Comment, Consultation, Position
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import Message
from gateway.voice.models import AudioClip, VoiceRecording
from tests.test_voice import AMINA, VoiceCaller, _wav, spoken, text, waits_for_a_key
from tests.test_voice_questions import RecordingStore

LANGUAGES = ["en", "sw"]
BAKARI = "+254722000111"
# Monday 7 December 2026, 10:00 in Nairobi: daytime, outside the quiet hours.
MORNING = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
TITLE = {
    "en": "Mining (Community Development) Regulations 2026",
    "sw": "Kanuni za Madini (Maendeleo ya Jamii) 2026",
}
LONG_SUMMARY = {
    "en": (
        "The company must agree a community development plan with the people of the area "
        "before mining starts, review it every year in a public meeting, and publish how much "
        "it spent on each project, by ward, on the county notice board."
    ),
    "sw": (
        "Kampuni lazima ikubaliane na wakazi wa eneo kuhusu mpango wa maendeleo ya jamii kabla "
        "ya uchimbaji kuanza, iukague kila mwaka katika mkutano wa hadhara, na ichapishe "
        "ilichotumia kwa kila mradi, kwa kila wadi, kwenye ubao wa matangazo wa kaunti."
    ),
}
CLAUSES = [
    (
        "Regulation 4(1)",
        {
            "en": "Mines tell the county before blasting.",
            "sw": "Migodi iiarifu kaunti kabla ya kulipua.",
        },
    ),
    ("Regulation 7(2)", LONG_SUMMARY),
    (
        "Regulation 12",
        {
            "en": "Land is valued by an independent valuer.",
            "sw": "Ardhi ithaminiwe na mthamini huru.",
        },
    ),
]


def _consultation(
    app: Any,
    *,
    audience: dict[str, Any] | None = None,
    opens: timedelta = timedelta(days=-1),
    closes: timedelta = timedelta(days=14),
    keyword: str = "MAONI",
) -> int:
    """A consultation with three clauses, open from ``opens`` to ``closes`` around now."""
    now = datetime.now(UTC)
    with app.app_context():
        consultation = Consultation(
            keyword=keyword,
            title=TITLE,
            draft_name="The Mining (Community Development) Regulations, 2026",
            issuing_body="Ministry of Mining",
            audience=audience or {},
            opens_at=now + opens,
            closes_at=now + closes,
        )
        for number, (reference, summary) in enumerate(CLAUSES, start=1):
            consultation.clauses.append(Clause(number=number, reference=reference, summary=summary))
        db.session.add(consultation)
        db.session.commit()
        return int(consultation.id)


def _clause_id(app: Any, number: int) -> int:
    with app.app_context():
        return int(db.session.scalar(select(Clause.id).where(Clause.number == number)))


def _positions(app: Any) -> list[tuple[str, int, str, str]]:
    """Each position: the person's number, the clause's number, the stance and the channel."""
    with app.app_context():
        rows = db.session.execute(
            select(Contact.phone, Clause.number, Position.stance, Position.channel)
            .join(Contact, Contact.id == Position.contact_id)
            .join(Clause, Clause.id == Position.clause_id)
            .order_by(Clause.number, Contact.phone)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _comments(app: Any) -> list[Comment]:
    with app.app_context():
        found = db.session.scalars(select(Comment).order_by(Comment.id)).all()
        db.session.expunge_all()
    return list(found)


def _number_of(app: Any, clause_id: int | None) -> int:
    with app.app_context():
        return int(db.session.get(Clause, clause_id).number)


# -- USSD --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_member_has_their_say_on_ussd_position_comment_and_quote(app, phone, language):
    """Amina dials, picks "Have your say", the consultation, Regulation 7(2), reads its summary
    over two screens, agrees, adds a comment and lets it be quoted without her name."""
    _consultation(app)
    joined_contact(app, AMINA, language)
    say = phone.text
    phone.dial()
    phone.choose(say("ussd.main.consult", language))
    assert say("ussd.consult.title", language) in phone.screen
    phone.choose(TITLE[language][:30])
    assert say("ussd.consult.clauses", language, title=TITLE[language]) in phone.screen
    first_page = phone.choose("Regulation 7(2)")
    assert first_page.startswith("CON Regulation 7(2): ") and "\n98. " in first_page
    assert LONG_SUMMARY[language] not in first_page  # too long for one screen: paged
    second_page = phone.press("98")
    assert second_page.removeprefix("CON ").split("\n")[0] in LONG_SUMMARY[language]
    phone.choose(say("consult.stance.agree", language))
    assert say("ussd.consult.comment_offer", language, reference="Regulation 7(2)") in phone.screen
    phone.press("1")
    assert say("ussd.consult.comment", language, reference="Regulation 7(2)") in phone.screen
    phone.press("x")
    assert say("ussd.consult.comment_hint", language) in phone.screen  # too short: asked again
    phone.press("Publish the plan in Kiswahili too")
    assert say("ussd.consult.quote", language) in phone.screen
    phone.press("1")
    assert phone.ended and say("ussd.consult.thanks", language) in phone.screen
    assert _positions(app) == [(AMINA, 2, "agree", "ussd")]
    [comment] = _comments(app)
    assert (comment.text, comment.channel, comment.quote_ok) == (
        "Publish the plan in Kiswahili too",
        "ussd",
        True,
    )
    assert (comment.county, comment.ward, comment.language) == ("Kitui", "Mui", language)
    with app.app_context():
        position = db.session.scalars(select(Position)).one()
        assert (position.county, position.ward, position.language) == ("Kitui", "Mui", language)


def test_a_position_without_a_comment_and_no_quote_on_ussd(app, phone):
    """Disagreeing and declining to comment keeps the position alone; a comment whose author
    says no to quoting is kept, not quotable."""
    _consultation(app)
    joined_contact(app, AMINA, "en")
    phone.dial()
    phone.choose("Have your say")
    phone.choose(TITLE["en"][:30])
    phone.choose("Regulation 12")
    phone.choose("Disagree")
    phone.press("2")
    assert phone.ended and phone.text("ussd.consult.thanks", "en") in phone.screen
    assert _comments(app) == []
    phone.dial()
    phone.choose("Have your say")
    phone.choose(TITLE["en"][:30])
    phone.choose("Regulation 12")
    phone.choose("Not sure")
    phone.press("1", "The valuer must be chosen with us", "2")
    assert phone.ended
    assert _positions(app) == [(AMINA, 3, "not_sure", "ussd")]  # the latest counts
    [comment] = _comments(app)
    assert comment.quote_ok is False and comment.text == "The valuer must be chosen with us"


def test_the_menu_offers_have_your_say_only_with_a_consultation_open_to_the_caller(app, phone):
    """No entry with none open, nor for one for Kwale alone; with one for everyone, even a
    first-time Kiswahili caller's menu (the join line too) shows every line on one screen."""
    joined_contact(app, AMINA, "sw")
    phone.dial()
    assert phone.text("ussd.main.consult", "sw") not in phone.screen
    _consultation(app, audience={"counties": ["Kwale"]}, keyword="KWALE")
    phone.dial()
    assert phone.text("ussd.main.consult", "sw") not in phone.screen
    _consultation(app, keyword="MAONI")
    newcomer = "+254733000444"
    joined_contact(app, newcomer, "sw", county=None, ward=None, consent=False)
    phone.number = newcomer
    screen = phone.dial()
    for key in ("ussd.main.join", "ussd.main.consult", "ussd.main.help"):
        assert phone.text(key, "sw") in screen
    phone.choose(phone.text("ussd.main.consult", "sw"))
    assert TITLE["sw"][:30] in phone.screen and "KWALE" not in phone.screen


def test_a_consultation_closing_while_the_caller_reads_counts_nothing(app, phone):
    consultation_id = _consultation(app)
    joined_contact(app, AMINA, "en")
    phone.dial()
    phone.choose("Have your say")
    phone.choose(TITLE["en"][:30])
    phone.choose("Regulation 4(1)")
    with app.app_context():
        db.session.get(Consultation, consultation_id).closes_at = datetime.now(UTC)
        db.session.commit()
    phone.choose("Agree")
    assert phone.ended and phone.text("ussd.consult.closed_now", "en") in phone.screen
    assert _positions(app) == []


# -- SMS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_taking_part_by_sms_list_clause_comment_position_and_quote(
    app, at, workers, emulator, language
):
    """MAONI alone brings the clauses by number; MAONI 2 the clause; a bare comment then lands
    on clause 2; MAONI 3 NDIO (any case, any language's word) a position; the latest counts;
    MAONI NUKUU lets the latest comment be quoted."""
    _consultation(app)
    joined_contact(app, AMINA, language)
    clauses = "1 Regulation 4(1); 2 Regulation 7(2); 3 Regulation 12"
    with time_machine.travel(MORNING, tick=True):
        _consultation_dates(app)
        at.sms(AMINA, "maoni")
        workers.drain()
        assert received(emulator, AMINA)[-1] == sms_text(
            app,
            "sms.consult.list",
            language,
            title=TITLE[language],
            clauses=clauses,
            keyword="MAONI",
        )
        at.sms(AMINA, "MAONI 2")
        workers.drain()
        assert received(emulator, AMINA)[-1] == sms_text(
            app,
            "sms.consult.clause",
            language,
            keyword="MAONI",
            number=2,
            reference="Regulation 7(2)",
            summary=LONG_SUMMARY[language],
        )
        at.sms(AMINA, "The plan must be agreed in a baraza, not in an office")
        workers.drain()
        values = {"reference": "Regulation 7(2)", "keyword": "MAONI", "number": 2}
        assert received(emulator, AMINA)[-1] == sms_text(
            app, "sms.consult.comment_thanks", language, title=TITLE[language], **values
        )
        at.sms(AMINA, "Maoni 3 ndio")
        workers.drain()
        agree = sms_text(app, "consult.stance.agree", language)
        assert received(emulator, AMINA)[-1] == sms_text(
            app,
            "sms.consult.position_thanks",
            language,
            title=TITLE[language],
            reference="Regulation 12",
            keyword="MAONI",
            number=3,
            stance=agree,
        )
        at.sms(AMINA, "MAONI 3 disagree")
        at.sms(AMINA, "MAONI 1 Not sure")
        workers.drain()
        at.sms(AMINA, "MAONI NUKUU")
        workers.drain()
        assert received(emulator, AMINA)[-1] == sms_text(
            app,
            "sms.consult.quote_thanks",
            language,
            title=TITLE[language],
            reference="Regulation 7(2)",
            keyword="MAONI",
        )
    assert workers.failed() == []
    assert _positions(app) == [(AMINA, 1, "not_sure", "sms"), (AMINA, 3, "disagree", "sms")]
    [comment] = _comments(app)
    assert _number_of(app, comment.clause_id) == 2
    assert (comment.text, comment.channel, comment.quote_ok) == (
        "The plan must be agreed in a baraza, not in an office",
        "sms",
        True,
    )


def _consultation_dates(app: Any) -> None:
    """Keep every consultation open around the (travelled) clock: a day ago to two weeks on."""
    now = datetime.now(UTC)
    with app.app_context():
        for consultation in db.session.scalars(select(Consultation)):
            consultation.opens_at, consultation.closes_at = (
                now - timedelta(days=1),
                now + timedelta(days=14),
            )
        db.session.commit()


def test_a_bare_comment_after_the_list_lands_on_the_last_clause_sent(app, at, workers, emulator):
    """After MAONI alone, words with no keyword are a comment on the list's last clause; after
    MAONI 1, on clause 1; NUKUU alone lets the latest be quoted; a stance alone (SIJUI) is a
    position on the clause; every comment is kept."""
    _consultation(app)
    joined_contact(app, AMINA, "sw")
    with time_machine.travel(MORNING, tick=True):
        _consultation_dates(app)
        for sms in ("MAONI", "Thamini ardhi kwa bei ya soko", "Na tulipwe kabla ya kuhamishwa"):
            at.sms(AMINA, sms)
            workers.drain()
        for sms in (
            "MAONI 1",
            "Tuarifiwe siku tatu kabla",
            "nukuu",
            "sijui",
            "MAONI 3 Sina uhakika",
        ):
            at.sms(AMINA, sms)
            workers.drain()
        joined_contact(app, BAKARI, "sw")
        at.sms(BAKARI, "Habari, mkutano ni lini?")  # never sent a clause: the inbox's
        workers.drain()
    comments = _comments(app)
    assert [(c.text, _number_of(app, c.clause_id)) for c in comments] == [
        ("Thamini ardhi kwa bei ya soko", 3),
        ("Na tulipwe kabla ya kuhamishwa", 3),
        ("Tuarifiwe siku tatu kabla", 1),
    ]
    assert [c.quote_ok for c in comments] == [False, False, True]  # NUKUU: the latest only
    assert _positions(app) == [(AMINA, 1, "not_sure", "sms"), (AMINA, 3, "not_sure", "sms")]
    with app.app_context():  # nothing of Amina's went to the inbox; Bakari's did
        rows = db.session.execute(
            select(Message.phone, Message.kind).where(Message.direction == "in")
        ).all()
    assert {kind for phone, kind in rows if phone == AMINA} == {"consultation"}
    assert [kind for phone, kind in rows if phone == BAKARI] == ["inbox"]


def test_an_unknown_clause_a_closed_consultation_and_another_area_get_a_clear_answer(
    app, at, workers, emulator
):
    closed_id = _consultation(app, keyword="MAONI")
    _consultation(app, audience={"counties": ["Kwale"]}, keyword="PWANI")
    joined_contact(app, AMINA, "en")
    with time_machine.travel(MORNING, tick=True):
        _consultation_dates(app)
        at.sms(AMINA, "MAONI 9 yes")
        workers.drain()
        assert received(emulator, AMINA)[-1] == sms_text(
            app,
            "sms.consult.unknown_clause",
            "en",
            title=TITLE["en"],
            number="9",
            count=3,
            keyword="MAONI",
        )
        at.sms(AMINA, "PWANI")
        workers.drain()
        assert received(emulator, AMINA)[-1] == sms_text(
            app, "sms.consult.other_area", "en", title=TITLE["en"], keyword="PWANI"
        )
        with app.app_context():
            db.session.get(Consultation, closed_id).closes_at = datetime.now(UTC) - timedelta(
                hours=1
            )
            db.session.commit()
        at.sms(AMINA, "MAONI 2 AGREE")
        workers.drain()
        assert received(emulator, AMINA)[-1] == sms_text(
            app, "sms.consult.closed", "en", title=TITLE["en"], keyword="MAONI"
        )
    assert _positions(app) == [] and _comments(app) == []


def test_one_position_per_person_and_clause_the_latest_across_channels(app, at, phone, workers):
    """Agreeing on USSD, then HAPANA by SMS, leaves one position: disagree, by SMS; then a
    position on USSD again replaces it."""
    _consultation(app)
    joined_contact(app, AMINA, "en")
    phone.dial()
    phone.choose("Have your say")
    phone.choose(TITLE["en"][:30])
    phone.choose("Regulation 4(1)")
    phone.choose("Agree")
    phone.press("2")
    assert _positions(app) == [(AMINA, 1, "agree", "ussd")]
    at.sms(AMINA, "MAONI 1 HAPANA")
    workers.drain()
    assert _positions(app) == [(AMINA, 1, "disagree", "sms")]
    phone.dial()
    phone.choose("Have your say")
    phone.choose(TITLE["en"][:30])
    phone.choose("Regulation 4(1)")
    phone.choose("Not sure")
    phone.press("2")
    assert _positions(app) == [(AMINA, 1, "not_sure", "ussd")]


@pytest.fixture
def recordings() -> Any:
    """Africa's Talking's recordings store, serving what callers said."""
    with RecordingStore() as store:
        yield store


# -- voice -------------------------------------------------------------------------------------


@pytest.fixture
def caller(client: Any) -> VoiceCaller:
    return VoiceCaller(client, AMINA)


@pytest.mark.parametrize("language", LANGUAGES)
def test_having_a_say_by_voice_position_recorded_comment_and_quote(
    app,
    caller,
    recordings,
    workers,
    language,
):
    """Key 6: the consultation by its title, its clauses, Regulation 7(2) read out in the
    caller's language, agree by key 1, a spoken comment kept as a recording (no text), quoted
    with the caller's yes; the recording is fetched into our storage."""
    _consultation(app)
    joined_contact(app, AMINA, language)
    heard = spoken(caller.answer())
    assert text(app, "voice.main.consult", language, key="6") in heard
    listing = caller.press("6")
    assert waits_for_a_key(listing) and TITLE[language] in spoken(listing)
    clauses = spoken(caller.press("1"))
    assert TITLE[language] in clauses and "Regulation 7(2)" in clauses
    assert clauses.index("Regulation 4(1)") < clauses.index(
        text(app, "voice.list.press", language, key="1")
    )
    clause = spoken(caller.press("2"))
    assert " ".join(LONG_SUMMARY[language].split()) in clause
    assert text(app, "voice.consult.agree", language, key="1") in clause
    offer = spoken(caller.press("1"))
    assert text(app, "voice.consult.comment_offer", language) in offer
    record = caller.press("1")
    assert record.find("Record") is not None
    audio = _wav(1.0)
    quote = spoken(_xml_of(caller.post(recordingUrl=recordings.put("/c/1.wav", audio))))
    assert text(app, "voice.consult.quote", language) in quote
    thanks = spoken(caller.press("1"))
    assert text(app, "voice.consult.thanks", language) in thanks
    workers.drain()
    assert workers.failed() == []
    assert _positions(app) == [(AMINA, 2, "agree", "voice")]
    [comment] = _comments(app)
    assert (comment.text, comment.channel, comment.quote_ok) == (None, "voice", True)
    with app.app_context():
        recording = db.session.get(VoiceRecording, comment.recording_id)
        assert (recording.purpose, recording.status) == ("comment", "stored")
        assert db.session.get(AudioClip, recording.audio_id).data == audio


def _xml_of(response: Any) -> Any:
    from xml.etree import ElementTree

    assert response.status_code == 200, response.get_data(as_text=True)
    return ElementTree.fromstring(response.get_data())


def test_the_voice_menu_offers_key_6_only_with_a_consultation_open(app, caller):
    joined_contact(app, AMINA, "en")
    assert text(app, "voice.main.consult", "en", key="6") not in spoken(caller.answer())


# -- personal data -----------------------------------------------------------------------------


def test_futa_erases_the_persons_comments_and_recording_and_the_counts_stay(
    app,
    at,
    caller,
    recordings,
    workers,
    emulator,
    client,
    make_user,
):
    """After comments by SMS and by voice and positions, FUTA twice: the comments' words and
    the recording are gone, the comments are never to be quoted, the positions still count;
    the export before it held them."""
    _consultation(app)
    joined_contact(app, AMINA, "en")
    with time_machine.travel(MORNING, tick=True):
        _consultation_dates(app)
        at.sms(AMINA, "MAONI 2 Mimi Amina Wanjiru nasema mpango uwe wazi")
        at.sms(AMINA, "MAONI 1 AGREE")
        workers.drain()
        at.sms(AMINA, "MAONI QUOTE")
        workers.drain()
        caller.answer()
        caller.press("6")
        caller.press("1")
        caller.press("3")
        caller.press("2")
        caller.press("1")
        caller.post(recordingUrl=recordings.put("/c/2.wav", _wav(1.0)))
        caller.press("1")
        workers.drain()
        held = _export_api(client, app, make_user, "admin", AMINA).json
        said = [(c["clause"], c["text"], c["recorded"]) for c in held["consultation_comments"]]
        assert said == [(2, "Mimi Amina Wanjiru nasema mpango uwe wazi", False), (3, None, True)]
        stances = [(p["clause"], p["stance"]) for p in held["consultation_positions"]]
        assert sorted(stances) == [(1, "agree"), (3, "disagree")]
        at.sms(AMINA, "FUTA")
        workers.drain()
        at.sms(AMINA, "FUTA")
        workers.drain()
    assert workers.failed() == []
    comments = _comments(app)
    assert len(comments) == 2
    assert all(
        c.text is None and c.recording_id is None and c.erased_at and not c.quote_ok
        for c in comments
    )
    assert sorted((p[1], p[2]) for p in _positions_of_anyone(app)) == [
        (1, "agree"),
        (3, "disagree"),
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VoiceRecording)) == 0
        assert db.session.scalar(select(func.count()).select_from(AudioClip)) == 0
        assert not db.session.scalars(select(Comment.id).where(Comment.text.like("%Amina%"))).all()


def _positions_of_anyone(app: Any) -> list[tuple[int, int, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(Position.contact_id, Clause.number, Position.stance).join(
                Clause, Clause.id == Position.clause_id
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


# -- invitations -------------------------------------------------------------------------------


def test_invitations_show_their_estimate_send_nothing_before_confirmation_then_each_language(
    app, people, admin_as, workers, emulator
):
    """The invite page shows who the invitation reaches by language and what it costs; nothing
    goes until the officer confirms; then Kitui's people get it in their language (Kikamba
    falls back to Kiswahili), not Kwale's, not who stopped, not who never consented; a second
    confirmation invites nobody twice."""
    stopped, never = "+254711000009", "+254711000010"
    joined_contact(app, stopped, "en", opted_out=True)
    joined_contact(app, never, "en", consent=False)
    with time_machine.travel(MORNING, tick=True):
        consultation_id = _consultation(app, audience={"counties": ["Kitui"]})
        session = admin_as("admin")
        path = f"/admin/consultations/{consultation_id}/invite"
        page = session.get(path)
        assert page.status_code == 200
        shown = page.get_data(as_text=True)
        en_text = sms_text(app, "sms.consult.invite", "en", title=TITLE["en"], keyword="MAONI")
        sw_text = sms_text(app, "sms.consult.invite", "sw", title=TITLE["sw"], keyword="MAONI")
        assert "Invitation to a consultation" in shown and 'id="confirm-send"' in shown
        assert en_text.split(".")[0] in shown and sw_text.split(".")[0] in shown
        workers.drain()
        assert emulator.messages() == []  # shown, not sent
        refused = session.post(path, {"estimate_token": "not-this-one"}, page=path)
        assert refused.status_code == 200 and 'id="estimate-changed"' in refused.get_data(
            as_text=True
        )
        workers.drain()
        assert emulator.messages() == []
        sent = session.post(path, confirmation(shown), page=path)
        assert sent.status_code == 302
        workers.drain()
        again = session.get(path).get_data(as_text=True)
        session.post(path, confirmation(again), page=path)
        workers.drain()
    texts = {m["to"]: m["text"] for m in emulator.messages()}
    assert set(texts) == {EN, SW, KAM}
    assert len(emulator.messages()) == 3  # nobody twice
    assert texts[EN].startswith(en_text) and texts[SW].startswith(sw_text)
    assert texts[KAM].startswith(sw_text)  # no Kikamba text yet: Kiswahili
    assert KWALE not in texts and stopped not in texts and never not in texts
    with app.app_context():
        assert db.session.get(Consultation, consultation_id).invited_at is not None


def test_a_viewer_cannot_open_the_invite_page_and_a_closed_consultation_sends_nothing(
    app, people, admin_as, workers, emulator
):
    consultation_id = _consultation(app, closes=timedelta(hours=-1))
    viewer = admin_as("viewer")
    assert viewer.get(f"/admin/consultations/{consultation_id}/invite").status_code == 403
    session = admin_as("admin")
    closed = session.get(f"/admin/consultations/{consultation_id}/invite", follow_redirects=True)
    assert "This consultation has closed" in closed.get_data(as_text=True)
    assert session.get("/admin/consultations/999/invite").status_code == 404
    workers.drain()
    assert emulator.messages() == []

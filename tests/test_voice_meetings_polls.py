"""Meetings and polls on the voice line, through ``/at/voice`` in Africa's Talking's wire format
(and one call through the emulator's phone): the meetings of the caller's county with their day
and time spoken from clips in the caller's language, an RSVP by key, the open polls and a vote
by key, in English and Kiswahili."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import factories
import pytest
from babel.dates import get_day_names, get_month_names
from factories import joined_contact
from sqlalchemy import select

from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting, Rsvp
from gateway.polls.models import Poll, Vote
from gateway.voice.engine import VoiceEngine
from gateway.voice.models import AudioClip, VoicePrompt
from tests.test_voice import AMINA, VOICE_NUMBER, VoiceCaller, spoken, text, waits_for_a_key

LANGUAGES = ["en", "sw"]
# A Thursday, 10:30 in Nairobi: a meeting with a known day and time, long after any test runs.
THURSDAY = datetime(2030, 3, 7, 7, 30, tzinfo=UTC)


@pytest.fixture
def caller(client: Any) -> VoiceCaller:
    return VoiceCaller(client, AMINA)


def _member(app: Any, language: str, county: str | None = "Kitui") -> int:
    return joined_contact(app, AMINA, language, county=county, ward="Mui" if county else None)


def _meeting(app: Any, starts_at: datetime = THURSDAY) -> int:
    with app.app_context():
        meeting = Meeting(
            title={"en": "Kanziku platform meeting", "sw": "Mkutano wa jukwaa la Kanziku"},
            county="Kitui",
            place="Kanziku Social Hall",
            starts_at=starts_at,
        )
        db.session.add(meeting)
        db.session.commit()
        return meeting.id


def _titles(app: Any) -> dict[int, dict[str, str]]:
    with app.app_context():
        return {m.id: m.title for m in db.session.scalars(select(Meeting))}


# -- the main menu ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_menu_offers_meetings_and_polls_even_with_none(app, caller, language):
    _member(app, language)
    heard = spoken(caller.answer())
    assert text(app, "voice.main.meetings", language, key="2") in heard
    assert text(app, "voice.main.polls", language, key="3") in heard


# -- meetings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_caller_hears_the_meetings_of_their_county_and_national_dialogues_only(
    app, caller, language
):
    """Kitui's meeting and the national dialogue, soonest first, each by its title in the
    caller's language, its day and its place; not Kwale's, a past or a cancelled one."""
    ids = factories.meetings(app)
    titles = _titles(app)
    _member(app, language)
    caller.answer()
    listing = caller.press("2")
    assert waits_for_a_key(listing)
    heard = spoken(listing)
    assert text(app, "voice.meetings.title", language) in heard
    mui, national = titles[ids["kitui"]][language], titles[ids["national"]][language]
    assert heard.index(mui) < heard.index(text(app, "voice.list.press", language, key="1"))
    assert heard.index(national) < heard.index(text(app, "voice.list.press", language, key="2"))
    assert "Mui Primary School" in heard and "Nairobi" in heard
    for other in ("kwale", "past", "cancelled"):
        assert titles[ids[other]]["en"] not in heard
    assert text(app, "voice.list.press", language, key="3") not in heard


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_meetings_day_and_time_are_said_in_the_callers_language(app, caller, language):
    """With nothing recorded, the whole sentence is read out, its weekday and month in the
    caller's language (Alhamisi 7 Machi, 10:30 in Kiswahili)."""
    _meeting(app)
    _member(app, language)
    caller.answer()
    heard = spoken(caller.press("2"))
    weekday = get_day_names("wide", locale=language)[THURSDAY.weekday()]
    month = get_month_names("wide", locale=language)[3]
    assert f"{weekday} 7 {month}" in heard
    assert ("10:30 AM" if language == "en" else "10:30") in heard
    if language == "sw":
        assert "Alhamisi 7 Machi" in heard


def _recorded(app: Any) -> dict[str, tuple[str, str]]:
    """Each stored recording's absolute Play URL: its prompt key and language."""
    with app.app_context():
        rows = db.session.execute(
            select(VoicePrompt.key, VoicePrompt.language, AudioClip.sha256, AudioClip.mime).join(
                AudioClip, AudioClip.id == VoicePrompt.audio_id
            )
        )
        public = app.config["GATEWAY"].public_url.rstrip("/")
        found = {}
        for key, language, sha, mime in rows:
            ext = "mp3" if mime == "audio/mpeg" else "wav"
            found[f"{public}/voice/audio/{sha}.{ext}"] = (key, language)
        return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_with_recordings_the_day_and_time_are_played_from_clips_in_the_callers_language(
    app, caller, language
):
    """The demo recordings loaded: the meeting's weekday, day, month, hour and minutes are
    clips recorded in the caller's language, between the title and place read out."""
    from gateway.voice.demo_prompts import load_demo_prompts

    with app.app_context():
        assert load_demo_prompts() > 0
        db.session.commit()
    _meeting(app)
    _member(app, language)
    caller.answer()
    listing = caller.press("2")
    by_url = _recorded(app)
    played = [by_url[play.attrib["url"]] for play in listing.iter("Play")]
    clips = [key for key, lang in played if key.startswith("voice.clip.")]
    assert clips == [
        "voice.clip.weekday.4",  # Thursday
        "voice.clip.number.7",
        "voice.clip.month.3",
        "voice.clip.hour.10",
        "voice.clip.number.30",
        "voice.clip.number.1",  # press 1
        "voice.clip.number.0",  # to go back, press 0
    ]
    assert {lang for key, lang in played if key.startswith("voice.clip.")} == {language}
    assert ("voice.meetings.title", language) in played
    says = [say.text for say in listing.iter("Say")]
    title = {"en": "Kanziku platform meeting", "sw": "Mkutano wa jukwaa la Kanziku"}[language]
    assert title in says
    assert "Kanziku Social Hall" in says


def test_a_kikamba_date_is_spoken_from_kikamba_clips_where_they_are_recorded(app, caller):
    """A Kikamba caller: the meeting sentence recorded in Kikamba, and of its clips only the
    weekday; the weekday plays in Kikamba, the other clips fall back to Kiswahili's."""
    from gateway.voice import audio
    from gateway.voice.demo_prompts import load_demo_prompts
    from tests.test_voice_prompts import tone

    with app.app_context():
        load_demo_prompts()
        for n, key in enumerate(("voice.meetings.item#1", "voice.clip.weekday.4")):
            clip = audio.store(tone(0.6 + n / 10))
            db.session.add(VoicePrompt(key=key, language="kam", audio_id=clip.id, source="upload"))
        db.session.commit()
    _meeting(app)
    _member(app, "kam")
    caller.answer()
    by_url = _recorded(app)
    played = [by_url[play.attrib["url"]] for play in caller.press("2").iter("Play")]
    clips = [(key, lang) for key, lang in played if key.startswith("voice.clip.")]
    assert clips[:5] == [
        ("voice.clip.weekday.4", "kam"),
        ("voice.clip.number.7", "sw"),
        ("voice.clip.month.3", "sw"),
        ("voice.clip.hour.10", "sw"),
        ("voice.clip.number.30", "sw"),
    ]
    assert ("voice.meetings.item#1", "kam") in played


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_rsvp_by_key_is_kept_and_a_second_answer_replaces_the_first(app, caller, language):
    ids = factories.meetings(app)
    titles = _titles(app)
    contact_id = _member(app, language)
    caller.answer()
    caller.press("2")
    detail = caller.press("1")  # Mui's meeting, heard again
    heard = spoken(detail)
    assert titles[ids["kitui"]][language] in heard
    assert text(app, "voice.meetings.rsvp", language) in heard
    assert text(app, "voice.meetings.yes", language, key="1") in heard
    assert text(app, "voice.meetings.no", language, key="2") in heard
    assert text(app, "voice.back", language, key="0") in heard

    coming = caller.press("1")
    assert text(app, "voice.meetings.see_you", language) in spoken(coming)
    assert text(app, "voice.meetings.title", language) in spoken(coming)  # the list again
    with app.app_context():
        (rsvp,) = db.session.scalars(select(Rsvp)).all()
        assert (rsvp.meeting_id, rsvp.contact_id) == (ids["kitui"], contact_id)
        assert rsvp.attending is True

    caller.press("1")
    not_coming = caller.press("2")
    assert text(app, "voice.meetings.noted", language) in spoken(not_coming)
    with app.app_context():
        (rsvp,) = db.session.scalars(select(Rsvp)).all()
        assert (rsvp.meeting_id, rsvp.attending, rsvp.channel) == (ids["kitui"], False, "voice")


@pytest.mark.parametrize("language", LANGUAGES)
def test_back_from_a_meeting_answers_nothing(app, caller, language):
    factories.meetings(app)
    _member(app, language)
    caller.answer()
    caller.press("2")
    caller.press("1")
    back = caller.press("0")
    assert text(app, "voice.meetings.title", language) in spoken(back)
    with app.app_context():
        assert db.session.scalars(select(Rsvp)).all() == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_caller_with_no_meetings_is_told_so_and_hears_the_main_menu(app, caller, language):
    _member(app, language)
    caller.answer()
    none = caller.press("2")
    heard = spoken(none)
    assert text(app, "voice.meetings.none", language) in heard
    assert heard.index(text(app, "voice.meetings.none", language)) < heard.index(
        text(app, "voice.main.title", language)
    )
    assert waits_for_a_key(none)
    assert text(app, "voice.hint.again", language) not in spoken(caller.press("9"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_caller_whose_county_is_not_known_hears_the_national_dialogues_as_on_ussd(
    app, caller, language
):
    ids = factories.meetings(app)
    titles = _titles(app)
    _member(app, language, county=None)
    caller.answer()
    heard = spoken(caller.press("2"))
    assert titles[ids["national"]][language] in heard
    assert titles[ids["kitui"]][language] not in heard
    assert text(app, "voice.list.press", language, key="2") not in heard


# -- polls ------------------------------------------------------------------------------------


def _votes(app: Any, poll_id: int) -> list[tuple[int, int, str]]:
    """(contact, option position, channel) of each vote in the poll."""
    from gateway.polls.models import PollOption

    with app.app_context():
        rows = db.session.execute(
            select(Vote.contact_id, PollOption.position, Vote.channel)
            .join(PollOption, PollOption.id == Vote.option_id)
            .where(Vote.poll_id == poll_id)
        )
        return [tuple(row) for row in rows]


def _question(app: Any, poll_id: int, language: str) -> str:
    with app.app_context():
        return db.session.get(Poll, poll_id).question[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_caller_votes_by_key_and_the_vote_counts_in_the_results(app, caller, api, language):
    """The open polls for the caller (not Kwale's, not a closed one), each by its question;
    then the question and its options; a key votes, with channel voice."""
    ids = factories.polls(app)
    contact_id = _member(app, language)
    caller.answer()
    listing = caller.press("3")
    heard = spoken(listing)
    question = _question(app, ids["open"], language)
    assert text(app, "voice.polls.title", language) in heard
    assert heard.count(question) == 1  # Kwale's poll asks the same, but is not for Kitui
    assert text(app, "voice.list.press", language, key="1") in heard
    assert text(app, "voice.list.press", language, key="2") not in heard

    options = spoken(caller.press("1"))
    assert question in options
    labels = {"en": ["Yes", "No", "Not sure"], "sw": ["Ndiyo", "Hapana", "Sina uhakika"]}
    for key, label in enumerate(labels[language], 1):
        assert text(app, "voice.polls.option", language, label=label, key=str(key)) in options
    assert text(app, "voice.back", language, key="0") in options

    thanks = caller.press("2")
    assert text(app, "voice.polls.thanks", language) in spoken(thanks)
    assert text(app, "voice.polls.title", language) in spoken(thanks)  # the polls again
    assert _votes(app, ids["open"]) == [(contact_id, 2, "voice")]
    results = api.get(f"/polls/{ids['open']}/results").json
    assert results["total"] == 1
    assert [o["votes"] for o in results["options"]] == [0, 1, 0]
    (voice,) = results["by"]["channel"]
    assert (voice["value"], voice["total"]) == ("voice", 1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_later_vote_by_voice_replaces_the_earlier_one(app, caller, api, language):
    ids = factories.polls(app)
    contact_id = _member(app, language)
    caller.answer()
    caller.press("3")
    caller.press("1")
    caller.press("1")  # Yes
    caller.press("1")
    changed = caller.press("3")  # Not sure, after all
    assert text(app, "voice.polls.thanks", language) in spoken(changed)
    assert _votes(app, ids["open"]) == [(contact_id, 3, "voice")]
    results = api.get(f"/polls/{ids['open']}/results").json
    assert [o["votes"] for o in results["options"]] == [0, 0, 1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_key_that_is_no_option_replays_the_question_with_a_hint(app, caller, language):
    ids = factories.polls(app)
    _member(app, language)
    caller.answer()
    caller.press("3")
    caller.press("1")
    again = caller.press("7")
    heard = spoken(again)
    assert text(app, "voice.hint.again", language) in heard
    assert _question(app, ids["open"], language) in heard
    yes = {"en": "Yes", "sw": "Ndiyo"}[language]
    assert text(app, "voice.polls.option", language, label=yes, key="1") in heard
    assert _votes(app, ids["open"]) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_poll_that_closed_while_the_caller_listened_says_so_and_counts_nothing(
    app, caller, language
):
    ids = factories.polls(app)
    _member(app, language)
    caller.answer()
    caller.press("3")
    caller.press("1")
    with app.app_context():
        db.session.get(Poll, ids["open"]).closes_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    closed = caller.press("1")
    heard = spoken(closed)
    assert text(app, "voice.polls.closed", language) in heard
    # no poll is open any more: the caller is told and taken to the main menu
    assert text(app, "voice.polls.none", language) in heard
    assert text(app, "voice.main.title", language) in heard
    assert _votes(app, ids["open"]) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_poll_deleted_while_the_caller_listened_says_so_and_goes_on(app, caller, language):
    ids = factories.polls(app)
    _member(app, language)
    caller.answer()
    caller.press("3")
    caller.press("1")
    with app.app_context():
        db.session.delete(db.session.get(Poll, ids["open"]))
        db.session.commit()
    gone = caller.press("1")
    heard = spoken(gone)
    assert text(app, "voice.polls.closed", language) in heard
    assert text(app, "voice.polls.none", language) in heard
    assert text(app, "voice.main.title", language) in heard
    assert waits_for_a_key(gone)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_caller_with_no_open_poll_is_told_so_and_hears_the_main_menu(app, caller, language):
    _member(app, language)
    caller.answer()
    none = caller.press("3")
    heard = spoken(none)
    assert text(app, "voice.polls.none", language) in heard
    assert text(app, "voice.main.title", language) in heard
    assert waits_for_a_key(none)


# -- the flow check, and a whole call through the emulator ----------------------------------


def test_the_flow_check_knows_the_meetings_and_polls_handlers(app):
    engine: VoiceEngine = app.extensions["voice_engine"]
    assert engine.check() == []
    flow = engine.flow
    nodes = dict(flow.nodes)
    nodes["poll_vote"] = replace(nodes["poll_vote"], about="poll_nobody_registered")
    broken = VoiceEngine(replace(flow, nodes=nodes), engine.handlers, engine.speaker)
    assert broken.check() == ["poll_vote: poll_nobody_registered"]


def _heard(result: dict[str, Any]) -> str:
    from tests.voice_phone import heard

    return " ".join(" ".join(t.split()) for t in heard(result))


def test_a_called_back_caller_votes_and_answers_a_meeting_on_the_emulators_phone(
    app, voice_line, workers
):
    """Through the emulator as a real HTTP server: a missed call, the call-back through the
    SDK, and on the phone (Kiswahili) a vote and an RSVP."""
    from tests.voice_phone import Phone

    polls = factories.polls(app)
    meetings = factories.meetings(app)
    contact_id = _member(app, "sw")
    phone = Phone(voice_line.url, AMINA)
    phone.dial(to=VOICE_NUMBER)
    workers.drain()
    phone.ringing()
    phone.wait_answered()
    listing = _heard(phone.press("3"))
    assert _question(app, polls["open"], "sw") in listing
    phone.press("1")
    assert text(app, "voice.polls.thanks", "sw") in _heard(phone.press("1"))
    phone.press("0")  # back to the main menu
    meeting = _heard(phone.press("2"))
    assert "Mkutano wa jukwaa la Mui" in meeting
    phone.press("1")
    assert text(app, "voice.meetings.noted", "sw") in _heard(phone.press("2"))
    phone.hangup(duration_s=60)
    assert _votes(app, polls["open"]) == [(contact_id, 1, "voice")]
    with app.app_context():
        (rsvp,) = db.session.scalars(select(Rsvp)).all()
        assert (rsvp.meeting_id, rsvp.channel) == (meetings["kitui"], "voice")
        assert rsvp.attending is False

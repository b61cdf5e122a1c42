"""Questions for the secretariat by voice (main menu key 5): recorded on the emulator's phone or
posted to ``/at/voice`` as Africa's Talking does, fetched into our storage by a real RQ worker,
shown on a show's live board during the show (its stream and its studio page), marked played on
air or hidden by the host, and erased on FUTA."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from conftest import Api, new_token
from factories import joined_contact
from sqlalchemy import func, select
from test_radio import parse_events
from test_voice import AMINA, VOICE_NUMBER, VoiceCaller, _wav, spoken, text

from gateway.extensions import db
from gateway.phones import mask_phone
from gateway.radio.models import RadioShow
from gateway.radio.questions import VoiceQuestion
from gateway.voice.models import AudioClip, VoiceRecording

EAT = ZoneInfo("Africa/Nairobi")
ON_AIR = datetime(2026, 12, 3, 12, 10, tzinfo=EAT)  # a Thursday; the show runs 12:00-13:00
EPISODE = "2026-12-03"
OFF_AIR = datetime(2026, 12, 4, 12, 10, tzinfo=EAT)  # the Friday after
HOST = "host@hmk.example"


@pytest.fixture
def api(client: Any, runner: Any) -> Api:
    return Api(client, new_token(runner, "studio"))


@pytest.fixture
def show_id(app: Any) -> int:
    with app.app_context():
        show = RadioShow(
            station="Kitui Community Radio",
            name="Madini Ni Yetu",
            host=HOST,
            keywords=["MADINI"],
            schedule=[{"weekday": 3, "start": "12:00", "end": "13:00"}],
        )
        db.session.add(show)
        db.session.commit()
        return int(show.id)


class RecordingStore:
    """Africa's Talking's recordings store: a real HTTP server serving the files it is given
    (``with RecordingStore() as store: url = store.put("/q/1.wav", audio)``)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        files: dict[str, tuple[str, bytes]] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                found = files.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", found[0])
                self.send_header("Content-Length", str(len(found[1])))
                self.end_headers()
                self.wfile.write(found[1])

            def log_message(self, *args: Any) -> None:
                pass

        self.files = files
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, path: str, body: bytes, mime: str = "audio/wav") -> str:
        self.files[path] = (mime, body)
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def __enter__(self) -> RecordingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recordings() -> Any:
    with RecordingStore() as store:
        yield store


class Board:
    """A show's live board as a browser keeps it: each stream answer with the Last-Event-ID
    of the one before."""

    def __init__(self, client: Any, url: str, headers: dict[str, str] | None = None) -> None:
        self.client, self.url, self.headers = client, url, headers or {}
        self.cursor = ""

    def poll(self) -> list[tuple[str, dict[str, Any]]]:
        headers = {**self.headers, "Last-Event-ID": self.cursor} if self.cursor else self.headers
        answer = self.client.get(self.url, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        events, moved, _ = parse_events(answer.get_data(as_text=True))
        self.cursor = moved or self.cursor
        return events

    def questions(self) -> list[dict[str, Any]]:
        return [data for name, data in self.poll() if name == "question"]


def _ask_by_phone(app: Any, voice_line: Any, workers: Any, audio: bytes, language: str) -> None:
    """Amina rings the voice number, is called back, presses 5 and records ``audio``."""
    from tests.voice_phone import Phone, heard

    phone = Phone(voice_line.url, AMINA)
    phone.dial(to=VOICE_NUMBER)
    workers.drain()  # the call-back is placed
    phone.ringing()
    phone.wait_answered()
    main = " ".join(heard(phone.call()["transcript"][-1]))
    assert text(app, "voice.main.question", language, key="5") in main
    asked = phone.press("5")
    assert [a["action"] for a in asked["actions"]][:1] == ["Record"]
    assert text(app, "voice.question.record", language) in " ".join(heard(asked))
    thanked = " ".join(heard(phone.record(audio)))
    assert text(app, "voice.question.thanks", language) in thanked
    assert text(app, "voice.main.title", language) in thanked  # back to the main menu
    phone.hangup(duration_s=40)


def _ask_by_post(caller: VoiceCaller, url: str) -> Any:
    """The same as Africa's Talking posts it: the main menu, key 5, the recording."""
    caller.answer()
    record = caller.press("5")
    assert record.find("Record") is not None
    return caller.post(recordingUrl=url)


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_question_asked_during_the_show_goes_to_its_board_with_a_player(
    app, client, api, voice_line, workers, show_id, language
):
    """Amina, in Kitui, calls during the show, presses 5 and asks; the question is kept with
    the episode, the board shows it at once ("audio being fetched"), and with a player of our
    own copy once the worker has fetched it from Africa's Talking's."""
    joined_contact(app, AMINA, language)
    audio = _wav(1.5)
    board = Board(client, f"/radio/shows/{show_id}/stream", api.headers)
    with time_machine.travel(ON_AIR, tick=True):
        board.poll()  # the board is open before the call
        _ask_by_phone(app, voice_line, workers, audio, language)
        with app.app_context():
            question = db.session.scalar(select(VoiceQuestion))
            assert (question.show_id, question.episode, question.language) == (
                show_id,
                EPISODE,
                language,
            )
            assert (question.county, question.ward, question.played_on_air_at) == (
                "Kitui",
                "Mui",
                None,
            )
            recording = db.session.get(VoiceRecording, question.recording_id)
            assert (recording.purpose, recording.status) == ("question", "pending")
            assert recording.provider_url.startswith(voice_line.url)
        (arrived,) = board.questions()
        assert (arrived["phone"], arrived["language"], arrived["county"]) == (
            mask_phone(AMINA),
            language,
            "Kitui",
        )
        assert (arrived["audio"], arrived["audio_url"]) == ("pending", None)
        workers.drain()  # the recording is fetched
        (fetched,) = board.questions()
        assert board.questions() == []  # nothing new since
    assert (fetched["id"], fetched["audio"]) == (arrived["id"], "stored")
    served = client.get(fetched["audio_url"])
    assert (served.status_code, served.mimetype, served.data) == (200, "audio/wav", audio)
    with app.app_context():
        recording = db.session.scalar(select(VoiceRecording))
        assert db.session.get(AudioClip, recording.audio_id).data == audio


def test_the_studio_page_plays_the_question_and_the_host_marks_it_played_on_air(
    app, client, api, workers, recordings, show_id, admin_as
):
    """The studio's page (its link, no login) shows the question with a player; the show's
    host marks it played on air (kept, audited, shown as played on every board); a viewer
    may not, nor may another show's host."""
    from gateway.radio.board import board_links
    from gateway.radio.studio import issue_link
    from gateway.users.models import AuditEvent

    joined_contact(app, AMINA, "sw")
    audio = _wav()
    with time_machine.travel(ON_AIR, tick=True):
        _ask_by_post(VoiceCaller(client, AMINA), recordings.put("/q/1.wav", audio))
        workers.drain()
        with app.test_request_context():
            key = issue_link(db.session.get(RadioShow, show_id), days=1)
            db.session.commit()
            links = board_links(show_id, key)
        studio = client.get(links["board_url"])
        page = studio.get_data(as_text=True)
        player = re.search(r'<audio controls preload="none" src="([^"]+)">', page)
        assert player is not None and client.get(player[1]).data == audio
        assert mask_phone(AMINA) in page and AMINA not in page
        assert "media-src 'self'" in studio.headers["Content-Security-Policy"]
        stream = html.unescape(re.search(r'data-stream="([^"]+)"', page)[1])
        screen = Board(client, stream)
        screen.cursor = stream.split("last_event_id=")[1]
        assert screen.questions() == []  # the page already drew it

        with app.app_context():
            question_id = db.session.scalar(select(VoiceQuestion.id))
        mark = f"/admin/radio/questions/{question_id}/mark"
        viewer = admin_as("viewer")
        refused = viewer.post(mark, {"mark": "on_air"}, page=f"/admin/radio/{show_id}")
        assert refused.status_code == 403
        other_host = admin_as("radio_host", email="other@hmk.example")
        refused = other_host.post(mark, {"mark": "on_air"}, page="/admin/radio")
        assert refused.status_code == 403
        host = admin_as("radio_host", email=HOST)
        marked = host.post(mark, {"mark": "on_air"}, page=f"/admin/radio/{show_id}")
        assert marked.status_code == 200 and marked.json["played_on_air_at"]
        (redrawn,) = screen.questions()
    assert (redrawn["id"], redrawn["audio"]) == (question_id, "stored")
    assert redrawn["played_on_air_at"] == marked.json["played_on_air_at"]
    with app.app_context():
        assert db.session.get(VoiceQuestion, question_id).played_on_air_at is not None
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "radio.question_marked")
        ).all()
        assert [(e.target_id, e.details["mark"]) for e in events] == [(str(question_id), "on_air")]
    with time_machine.travel(ON_AIR, tick=True):
        page = client.get(links["board_url"]).get_data(as_text=True)
    assert "Played on air" in page


def test_a_hidden_question_leaves_the_board_and_missing_audio_says_so(
    app, client, api, workers, recordings, show_id, admin_as
):
    """Hiding a question takes it off the studio's board (which is sent only its id); a
    recording Africa's Talking no longer has shows as "audio missing"."""
    joined_contact(app, AMINA, "en")
    with time_machine.travel(ON_AIR, tick=True):
        _ask_by_post(VoiceCaller(client, AMINA), recordings.put("/q/2.html", b"gone", "text/html"))
        workers.drain()
        board = Board(client, f"/radio/shows/{show_id}/stream", api.headers)
        (shown,) = board.questions()
        assert (shown["audio"], shown["audio_url"]) == ("missing", None)
        admin_page = admin_as("admin").get(f"/admin/radio/{show_id}").get_data(as_text=True)
        missing = "Audio missing: the recording could not be fetched."
        assert f'data-t-audio-missing="{missing}"' in admin_page  # the board script's words
        host = admin_as("radio_host", email=HOST)
        hidden = host.post(
            f"/admin/radio/questions/{shown['id']}/mark",
            {"mark": "hide"},
            page=f"/admin/radio/{show_id}",
        )
        assert hidden.status_code == 200 and hidden.json["hidden"] is True
        assert board.questions() == [{"id": shown["id"], "hidden": True}]
        assert Board(client, f"/radio/shows/{show_id}/stream", api.headers).questions() == []


def test_a_question_off_air_is_kept_without_an_episode_and_not_on_the_board(
    app, client, api, workers, recordings, show_id
):
    joined_contact(app, AMINA, "sw")
    with time_machine.travel(OFF_AIR, tick=True):
        thanks = _ask_by_post(VoiceCaller(client, AMINA), recordings.put("/q/3.wav", _wav()))
        assert text(app, "voice.question.thanks", "sw") in spoken(_root(thanks))
        workers.drain()
        assert Board(client, f"/radio/shows/{show_id}/stream", api.headers).questions() == []
    with app.app_context():
        question = db.session.scalar(select(VoiceQuestion))
        assert (question.show_id, question.episode, question.county) == (None, None, "Kitui")
        assert db.session.get(VoiceRecording, question.recording_id).status == "stored"


def test_a_recording_posted_twice_is_one_question(app, client, workers, recordings, show_id):
    """Africa's Talking posts the recording again while the first post is still being
    answered (both read the call waiting at the recording): one question, one recording."""
    from gateway.voice.models import VoiceCall

    joined_contact(app, AMINA, "en")
    url = recordings.put("/q/4.wav", _wav())
    caller = VoiceCaller(client, AMINA)
    with time_machine.travel(ON_AIR, tick=True):
        caller.answer()
        caller.press("5")
        with app.app_context():
            waiting = db.session.scalar(select(VoiceCall.state))
        first = caller.post(recordingUrl=url)
        with app.app_context():  # the second post read the call as the first did
            db.session.execute(VoiceCall.__table__.update().values(state=waiting))
            db.session.commit()
        second = caller.post(recordingUrl=url)
        caller.post(recordingUrl=url)  # and once more, after: the main menu's hint
        workers.drain()
    for answer in (first, second):
        assert text(app, "voice.question.thanks", "en") in spoken(_root(answer))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VoiceQuestion)) == 1
        assert db.session.scalar(select(func.count()).select_from(VoiceRecording)) == 1


def test_futa_erases_the_questions_and_their_audio_and_the_export_lists_them(
    app, at, client, workers, recordings, show_id
):
    from gateway.contacts.export import collect
    from gateway.contacts.models import Contact

    joined_contact(app, AMINA, "sw")
    with time_machine.travel(ON_AIR, tick=True):
        _ask_by_post(VoiceCaller(client, AMINA), recordings.put("/q/5.wav", _wav()))
        workers.drain()
        with app.app_context():
            exported = collect(db.session.scalar(select(Contact).where(Contact.phone == AMINA)))
        (listed,) = exported["voice_questions"]
        assert (listed["show"], listed["episode"], listed["county"], listed["audio"]) == (
            "Madini Ni Yetu",
            EPISODE,
            "Kitui",
            "stored",
        )
        at.sms(AMINA, "FUTA")
        workers.drain()
        at.sms(AMINA, "FUTA")
        workers.drain()
    with app.app_context():
        for table in (VoiceQuestion, VoiceRecording, AudioClip):
            assert db.session.scalar(select(func.count()).select_from(table)) == 0, table


def _root(response: Any) -> Any:
    from xml.etree import ElementTree

    assert response.status_code == 200, response.get_data(as_text=True)
    return ElementTree.fromstring(response.get_data())


def test_the_questions_page_lists_every_question_with_a_player_by_county(
    app, client, admin_as, workers, recordings, show_id
):
    """The secretariat hears a question asked when no show was on air too: the Questions by
    phone page lists it, newest first, with a player of the stored recording; a coordinator
    sees their own counties' questions only."""
    joined_contact(app, AMINA, "sw")
    with time_machine.travel(OFF_AIR, tick=True):
        _ask_by_post(VoiceCaller(client, AMINA), recordings.put("/q/9.wav", _wav()))
        workers.drain()
    with app.app_context():
        question = db.session.scalar(select(VoiceQuestion))
        clip = db.session.scalar(select(AudioClip))
        audio_url = f"/voice/audio/{clip.sha256}.wav"
    page = admin_as("admin").get("/admin/voice/questions").get_data(as_text=True)
    row = re.search(rf'<tr id="question-{question.id}">.*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert mask_phone(AMINA) in row and "Kitui" in row and "no show on air" in row
    assert f'<audio controls preload="none" src="{audio_url}">' in row
    assert AMINA not in page
    assert f"question-{question.id}" in admin_as("coordinator", counties=("Kitui",)).get(
        "/admin/voice/questions"
    ).get_data(as_text=True)
    elsewhere = admin_as("coordinator", counties=("Kwale",)).get("/admin/voice/questions")
    assert "No question has been recorded yet." in elsewhere.get_data(as_text=True)

"""The emulator's Africa's Talking Voice over real HTTP: the SDK's call request through
:class:`VoiceChannel`, and calls driven as a phone against a stand-in voice app that answers
fixed XML (:class:`voice_phone.VoiceApp`, a real HTTP server, as Africa's Talking posts to one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from voice_phone import REJECTED, Phone, VoiceApp, call_requests, configure_voice, heard

from gateway.channels.africastalking import RequestRejected, TransientSendError
from gateway.channels.emulator_server import EmulatorServer
from gateway.channels.emulator_voice import call_price, parse_actions
from gateway.channels.voice import VoiceChannel
from gateway.voice.xml import Redirect, Say, response

API_KEY = "test-api-key"
VOICE_NUMBER = "+254711082300"
PERSON = "+254712345678"
AUDIO = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(64))


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer(api_key=API_KEY).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def voice_app() -> Iterator[VoiceApp]:
    app = VoiceApp()
    yield app
    app.stop()


@pytest.fixture
def at(emulator: EmulatorServer, voice_app: VoiceApp) -> EmulatorServer:
    """The emulator with no calls left from other tests, posting calls to the stand-in app."""
    emulator.clear()
    voice_app.posts.clear()
    voice_app.recordings.clear()
    configure_voice(emulator.url, voice_url=voice_app.url, answer_delay_s=0)
    return emulator


@pytest.fixture
def channel(at: EmulatorServer) -> VoiceChannel:
    return VoiceChannel("hmk", API_KEY, api_url=at.url)


def test_the_sdk_call_request_is_queued_and_the_called_phone_answers(
    channel: VoiceChannel, at: EmulatorServer, voice_app: VoiceApp
) -> None:
    """Does a call through the SDK reach the emulator as Africa's Talking's form, come back
    Queued with a session id, and does the called phone answer: an Outbound first callback
    from the person to the voice number, and the call kept live at the menu?"""
    result = channel.call(VOICE_NUMBER, PERSON)
    assert result.queued and result.status == "Queued" and result.error is None
    assert result.phone == PERSON and result.session_id and result.session_id.startswith("ATVId_")
    [sent] = call_requests(at.url)
    assert sent["username"] == "hmk" and sent["from"] == VOICE_NUMBER and sent["to"] == [PERSON]
    assert sent["session_ids"] == [result.session_id] and sent["http_status"] == 200

    phone = Phone(at.url, PERSON)
    assert phone.ringing()["session_id"] == result.session_id
    call = phone.wait_answered()
    first = voice_app.posts[0][1]
    assert first == {
        "isActive": "1",
        "sessionId": result.session_id,
        "direction": "Outbound",
        "callerNumber": PERSON,
        "destinationNumber": VOICE_NUMBER,
    }
    assert call["state"] == "live" and call["waiting_for"] == "digits"
    assert heard({"actions": call["transcript"][0]["actions"]})[0] == "Welcome to HMK."
    ended = phone.hangup(duration_s=61)
    assert ended["final"]["amount"] == "10.00"  # outbound: 5 KES a started minute
    assert voice_app.finals()[0]["direction"] == "Outbound"


def test_refused_calls_are_classified_as_for_sms(channel: VoiceChannel, at: EmulatorServer) -> None:
    """Are a wrong key and an unknown caller ID refusals, an error page and an unreachable
    Africa's Talking transient, a number that is no phone a result that is not queued, and a
    number that is not E.164 refused by the SDK before any request?"""
    with pytest.raises(RequestRejected, match="authentication"):
        VoiceChannel("hmk", "wrong", api_url=at.url).call(VOICE_NUMBER, PERSON)
    configure_voice(at.url, voice_numbers=[VOICE_NUMBER])
    with pytest.raises(RequestRejected, match="callerId"):
        channel.call("+254722000000", PERSON)
    not_a_phone = channel.call(VOICE_NUMBER, "+2547000")
    assert not not_a_phone.queued and not_a_phone.status == "InvalidPhoneNumber"
    assert not_a_phone.session_id is None and not_a_phone.error == "InvalidPhoneNumber"
    with pytest.raises(ValueError):
        channel.call(VOICE_NUMBER, "0712345678")
    at.fail_next(503)
    with pytest.raises(TransientSendError):
        channel.call(VOICE_NUMBER, PERSON)
    with socket_closed() as url:
        with pytest.raises(TransientSendError) as raised:
            VoiceChannel("hmk", API_KEY, api_url=url).call(VOICE_NUMBER, PERSON)
        assert raised.value.may_have_been_sent is False
    statuses = [r["http_status"] for r in call_requests(at.url)]
    assert statuses == [401, 200, 200, 503]


class socket_closed:
    """A URL where nothing listens."""

    def __enter__(self) -> str:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        return None


def test_a_dialled_call_follows_keys_and_redirects_to_its_end(
    at: EmulatorServer, voice_app: VoiceApp
) -> None:
    """Does a dialled call post an Inbound first callback, show the prompts in order (Say
    text, Play url, GetDigits attributes), post keys to the GetDigits callbackUrl, follow a
    Redirect, and end with one final request when an answer asks for no more input?"""
    phone = Phone(at.url, PERSON)
    first = phone.dial()
    assert first["state"] == "live" and first["waiting_for"] == "digits"
    welcome, menu, fallback = first["actions"]
    assert welcome == {
        "action": "Say",
        "text": "Welcome to HMK.",
        "voice": "woman",
        "playBeep": "false",
    }
    assert menu["action"] == "GetDigits" and menu["numDigits"] == "1"
    assert menu["finishOnKey"] == "#" and menu["callbackUrl"].endswith(
        "/at/voice/menu?secret=s3cret"
    )
    assert heard(first)[1:] == [
        voice_app.url.replace("/at/voice", "/audio/menu.mp3"),
        "Press 1 for news, 2 to speak.",
        "No key pressed. Goodbye.",
    ]
    assert fallback["text"] == "No key pressed. Goodbye."
    news = phone.press("1")
    assert heard(news) == ["Today's news.", "Press 9 to hear it again."]
    assert [s["url"].rsplit("/", 1)[-1] for s in news["steps"]] == ["menu", "more"]
    assert news["steps"][0]["posted"]["dtmfDigits"] == "1" and news["waiting_for"] == "digits"
    bye = phone.press("3")
    assert heard(bye) == ["Goodbye."] and bye["state"] == "ended"
    assert [p for p, _ in voice_app.posts] == [
        "/at/voice",
        "/at/voice/menu",
        "/at/voice/more",
        "/at/voice/menu",
        "/at/voice",
    ]
    [final] = voice_app.finals()
    assert final["direction"] == "Inbound" and final["hangupCause"] == "NORMAL_CLEARING"
    assert final["currencyCode"] == "KES" and final["callSessionState"] == "Completed"
    [listed] = at_calls(at)
    assert listed["state"] == "ended" and len(listed["transcript"]) == 5
    assert listed["transcript"][-1]["final"] is True
    assert "secret" not in listed["transcript"][1]["url"]


def test_silence_runs_the_next_action_and_ends_the_call(
    at: EmulatorServer, voice_app: VoiceApp
) -> None:
    phone = Phone(at.url, PERSON)
    phone.dial()
    quiet = phone.silence()
    assert quiet["actions"] == [] and quiet["state"] == "ended"  # the fallback Say was heard
    assert [p for p, _ in voice_app.posts] == ["/at/voice", "/at/voice"]
    assert voice_app.finals()[0]["hangupCause"] == "NORMAL_CLEARING"


def test_a_recording_is_served_by_the_emulator_and_posted_as_its_url(
    at: EmulatorServer, voice_app: VoiceApp
) -> None:
    """Does speaking into a Record post a recordingUrl that serves the very audio uploaded,
    to the Record's callbackUrl; and does silence in a Record post an empty one?"""
    phone = Phone(at.url, PERSON)
    phone.dial()
    asked = phone.press("2")
    assert asked["waiting_for"] == "recording"
    [speak] = asked["actions"]
    assert speak["action"] == "Record" and speak["maxLength"] == "120"
    assert speak["callbackUrl"].endswith("/at/voice/heard")
    thanked = phone.record(AUDIO)
    assert heard(thanked) == ["Thank you."] and thanked["state"] == "ended"
    assert voice_app.recordings == [AUDIO]
    url = thanked["steps"][0]["posted"]["recordingUrl"]
    assert url.startswith(at.url + "/_emulator/voice/recordings/")
    assert requests.get(url, timeout=5).headers["Content-Type"] == "audio/wav"

    again = Phone(at.url, "+254722000001")
    again.dial()
    again.press("2")
    nothing = again.silence()
    assert heard(nothing) == ["Nothing was recorded."]
    assert nothing["steps"][0]["posted"]["recordingUrl"] == ""


def test_hanging_up_posts_the_final_request_with_its_cost_twice_on_request(
    at: EmulatorServer, voice_app: VoiceApp
) -> None:
    """Is the final request posted twice, identical, with AT's fields and the inbound price
    per started minute?"""
    phone = Phone(at.url, PERSON)
    phone.dial()
    ended = phone.hangup(twice=True, duration_s=61)
    assert ended["state"] == "ended" and len(ended["steps"]) == 2
    first, second = voice_app.finals()
    assert first == second
    assert first["isActive"] == "0" and first["sessionId"] == phone.session_id
    assert first["durationInSeconds"] == "61" and first["amount"] == "2.00"
    assert first["currencyCode"] == "KES" and first["hangupCause"] == "NORMAL_CLEARING"
    assert call_price("Inbound", 60) == 1 and call_price("Outbound", 121) == 15


def test_a_rejected_call_ends_at_once_with_a_free_final_request(
    at: EmulatorServer, voice_app: VoiceApp
) -> None:
    """Does <Reject/> end the call at once with CALL_REJECTED and amount 0, and does hanging
    up an ended call post the same final request again, as a repeat from AT would?"""
    phone = Phone(at.url, REJECTED)
    missed = phone.dial()
    assert missed["actions"] == [{"action": "Reject"}] and missed["state"] == "ended"
    assert missed["final"]["hangupCause"] == "CALL_REJECTED"
    assert missed["final"]["amount"] == "0.00" and missed["final"]["durationInSeconds"] == "0"
    [final] = voice_app.finals()
    assert final == missed["final"]
    repeat = phone.hangup(duration_s=300)
    assert repeat["final"] == missed["final"] and voice_app.finals() == [final, final]


def test_with_auto_answer_off_the_phone_rings_until_answered_or_not(
    channel: VoiceChannel, at: EmulatorServer, voice_app: VoiceApp
) -> None:
    configure_voice(at.url, auto_answer=False)
    channel.call(VOICE_NUMBER, PERSON)
    phone = Phone(at.url, PERSON)
    assert phone.ringing()["state"] == "ringing" and voice_app.posts == []
    answered = phone.pick_up()
    assert answered["state"] == "live" and heard(answered)[0] == "Welcome to HMK."

    channel.call(VOICE_NUMBER, "+254722000002")
    other = Phone(at.url, "+254722000002")
    other.ringing()
    unanswered = other.hangup()
    assert unanswered["final"]["hangupCause"] == "NO_ANSWER"
    assert unanswered["final"]["amount"] == "0.00"


def test_the_control_endpoints_refuse_what_a_phone_cannot_do(at: EmulatorServer) -> None:
    base = at.url + "/_emulator/voice"
    assert (
        requests.post(f"{base}/press", json={"session_id": "x", "digits": "1"}).status_code == 404
    )
    assert requests.post(f"{base}/dial", json={"from": "0712"}).status_code == 400
    phone = Phone(at.url, PERSON)
    phone.dial()
    body = {"session_id": phone.session_id}
    assert requests.post(f"{base}/record", data=body, files={"audio": AUDIO}).status_code == 409
    assert requests.post(f"{base}/press", json=body).status_code == 400
    phone.hangup()
    assert requests.post(f"{base}/press", json={**body, "digits": "1"}).status_code == 409
    configure_voice(at.url, voice_url=None)
    assert requests.post(f"{base}/dial", json={"from": PERSON}).status_code == 400
    unreachable = Phone(at.url).dial(url="http://127.0.0.1:9/at/voice?secret=s3cret")
    assert unreachable["state"] == "ended" and unreachable["steps"][0]["error"]
    [listed] = [c for c in at_calls(at) if c["session_id"] == unreachable["session_id"]]
    assert "s3cret" not in str(listed)  # the voice URL's secret is never listed
    assert requests.put(f"{base}/config", json={"nonsense": 1}).status_code == 400


def test_the_xml_reader_reads_what_the_gateway_writes() -> None:
    written = response([Say("a & b"), Redirect("http://x/y?a=1&b=2")])
    assert parse_actions(written) == [
        {"action": "Say", "text": "a & b", "voice": "woman", "playBeep": "false"},
        {"action": "Redirect", "url": "http://x/y?a=1&b=2"},
    ]
    with pytest.raises(ValueError):
        parse_actions("<html>oops</html>")
    with pytest.raises(ValueError):
        parse_actions("not xml")


def at_calls(at: EmulatorServer) -> list[dict[str, Any]]:
    answer = requests.get(at.url + "/_emulator/voice/calls", timeout=5)
    answer.raise_for_status()
    return list(answer.json()["calls"])

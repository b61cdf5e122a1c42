"""Broadcasts through the API, real RQ workers and the Africa's Talking emulator."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from factories import joined_contact
from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import Message

EAT = ZoneInfo("Africa/Nairobi")
TEXTS = {
    "en": "Meeting on the Mui coal blocks at Mui Primary School, Saturday 10:00.",
    "sw": "Mkutano kuhusu vitalu vya makaa ya Mui katika Shule ya Msingi Mui, Jumamosi saa 4.",
}
# Each SMS ends with how to stop, in the recipient's language, when it fits.
HINT = {"en": "\nSTOP to 22384", "sw": "\nACHA kwa 22384", "kam": "\nTuma ACHA kwa 22384"}


def add(
    app,
    phone: str,
    language: str | None,
    county: str,
    consent: bool = True,
    opted_out: bool = False,
    tags: tuple[str, ...] = (),
) -> None:
    joined_contact(
        app, phone, language, county, None, consent=consent, opted_out=opted_out, tags=tags
    )


@pytest.fixture(autouse=True)
def daytime():
    """Broadcasts wait out the quiet hours: unless a test says otherwise, it is mid-morning in
    Nairobi (the clock ticks on from there)."""
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=EAT), tick=True):
        yield


@pytest.fixture
def people(app) -> dict[str, list[str]]:
    """Kitui: three English, two Kiswahili and two Kikamba speakers with consent; one without
    consent; one opted out. Kwale: two English speakers."""
    groups = {
        "kitui_en": [f"+25471100000{n}" for n in range(3)],
        "kitui_sw": [f"+25472200000{n}" for n in range(2)],
        "kitui_kam": [f"+25473300000{n}" for n in range(2)],
        "kwale": [f"+25474400000{n}" for n in range(2)],
    }
    for key, phones in groups.items():
        language = {"kitui_en": "en", "kitui_sw": "sw", "kitui_kam": "kam", "kwale": "en"}[key]
        for phone in phones:
            add(
                app,
                phone,
                language,
                "Kwale" if key == "kwale" else "Kitui",
                tags=("youth",) if phone.endswith("0") else (),
            )
    add(app, "+254755000001", "en", "Kitui", consent=False)
    add(app, "+254755000002", "sw", "Kitui", opted_out=True)
    return groups


def sent_to(emulator) -> Counter[str]:
    """How many times each number was handed a message (refused recipients do not count)."""
    return Counter(m["to"] for m in emulator.messages() if m["status"] == "Success")


def test_the_estimate_shows_encoding_segments_cost_and_who_is_left_out(api, people):
    """Does the estimate give, per language, the encoding (naming the characters that force
    UCS-2, with a GSM-7 version), segments, recipients and cost, and count those left out."""
    texts = {**TEXTS, "sw": TEXTS["sw"].replace("Mui,", "Mui, \u201cleteni maswali\u201d,")}
    response = api.post(
        "/broadcasts/estimate", {"texts": texts, "audience": {"counties": ["Kitui"]}}
    )
    assert response.status_code == 200, response.json
    found = response.json
    by_language = {entry["language"]: entry for entry in found["languages"]}
    assert by_language["en"]["encoding"] == "GSM-7" and by_language["en"]["recipients"] == 3
    sw = by_language["sw"]
    assert sw["encoding"] == "UCS-2" and sw["ucs2_chars"] == ["\u201c", "\u201d"]
    assert '"leteni maswali"' in sw["transliterated"] and sw["transliterated_segments"] == 1
    assert sw["segments"] == 2 and sw["recipients"] == 2
    kam = by_language["kam"]
    assert kam["text_language"] == "sw" and kam["recipients"] == 2  # falls back to Kiswahili
    assert found["recipients"] == 7
    assert (found["skipped_no_consent"], found["skipped_opted_out"]) == (1, 1)
    # 3 x 1 segment + 2 x 2 + 2 x 2, at KES 0.80 a segment
    assert found["cost_kes"] == "8.8000" and found["over_budget"] is False


def test_a_broadcast_reaches_its_audience_once_in_their_language(
    api, people, workers, emulator, app
):
    """Is a Kitui broadcast sent once to every Kitui contact with consent, in their language
    (Kikamba speakers get the Kiswahili text), to nobody else, in shared requests (one per
    text as sent: the opt-out hint is in the recipient's language)."""
    created = api.post(
        "/broadcasts", {"name": "Mui meeting", "texts": TEXTS, "audience": {"counties": ["Kitui"]}}
    )
    assert created.status_code == 201, created.json
    assert created.json["estimate"]["recipients"] == 7
    workers.drain()
    reached = sent_to(emulator)
    expected = people["kitui_en"] + people["kitui_sw"] + people["kitui_kam"]
    assert reached == Counter(expected)
    texts = {m["to"]: m["text"] for m in emulator.messages()}
    assert {texts[p] for p in people["kitui_en"]} == {TEXTS["en"] + HINT["en"]}
    assert {texts[p] for p in people["kitui_sw"]} == {TEXTS["sw"] + HINT["sw"]}
    assert {texts[p] for p in people["kitui_kam"]} == {TEXTS["sw"] + HINT["kam"]}
    assert len(emulator.requests()) == 3  # one request per text: recipients share it
    followed = api.get(f"/broadcasts/{created.json['id']}").json
    assert followed["status"] == "sent"
    assert followed["progress"]["sent"] == 7
    # What was spent: segments that went x the price, per recipients' language.
    assert followed["spent_kes"] == "5.6000" and followed["estimated_cost_kes"] == "5.6000"
    assert {row["language"]: row["messages"] for row in followed["spent"]} == {
        "en": 3,
        "sw": 2,
        "kam": 2,
    }
    assert followed["progress"]["skipped_no_consent"] == 1
    assert followed["progress"]["skipped_opted_out"] == 1


def test_audience_by_tag_and_language_with_any(api, people, workers, emulator):
    """Can the audience combine criteria with 'any' (tagged youth, or Kiswahili speakers)."""
    api.post(
        "/broadcasts",
        {
            "name": "Youth",
            "texts": TEXTS,
            "audience": {"tags": ["youth"], "languages": ["sw"], "match": "any"},
        },
    )
    workers.drain()
    youth = [p for group in people.values() for p in group if p.endswith("0")]
    assert set(sent_to(emulator)) == set(youth) | set(people["kitui_sw"])


def test_batches_share_requests_and_opting_out_midway_is_honoured(
    api, people, workers, emulator, app, at
):
    """With a batch size of 2, are recipients of one text sent two to a request, and does a
    contact who says STOP after the broadcast was created get nothing."""
    app.config["GATEWAY"] = replace(app.config["GATEWAY"], send_batch_size=2)
    api.post(
        "/broadcasts",
        {
            "name": "Batches",
            "texts": TEXTS,
            "audience": {"counties": ["Kitui"], "languages": ["en"]},
        },
    )
    at.sms(people["kitui_en"][2], "STOP")
    workers.drain()
    sent = TEXTS["en"] + HINT["en"]
    broadcast_requests = [r for r in emulator.requests() if r["text"] == sent]
    assert [len(r["to"]) for r in broadcast_requests] == [2]
    assert people["kitui_en"][2] not in [m["to"] for m in emulator.messages() if m["text"] == sent]


def test_server_errors_are_retried_with_backoff_and_blacklist_is_not(
    api, people, workers, emulator, app
):
    """A 500 from Africa's Talking is retried later and then sent once; a UserInBlacklist
    answer is final (tried once) and opts the contact out."""
    emulator.fail_next(http_status=500, count=1)
    emulator.set_recipient_status(people["kitui_sw"][0], "UserInBlacklist")
    created = api.post(
        "/broadcasts", {"name": "Retry", "texts": TEXTS, "audience": {"counties": ["Kitui"]}}
    )
    workers.drain()
    first = api.get(f"/broadcasts/{created.json['id']}").json["progress"]
    assert first["queued"] > 0  # the request that got a 500 waits for its retry
    with time_machine.travel(datetime.now(EAT) + timedelta(seconds=10), tick=True):
        workers.drain()
    reached = sent_to(emulator)
    expected = set(people["kitui_en"] + people["kitui_sw"] + people["kitui_kam"])
    assert set(reached) == expected - {people["kitui_sw"][0]}
    assert all(count == 1 for count in reached.values())
    tried = [r for r in emulator.requests() if people["kitui_sw"][0] in r["to"]]
    assert len(tried) == 1
    final = api.get(f"/broadcasts/{created.json['id']}").json
    assert final["status"] == "sent" and final["progress"]["failed"] == 1
    with app.app_context():
        blocked = db.session.scalar(select(Contact).where(Contact.phone == people["kitui_sw"][0]))
        assert blocked.opted_out_at is not None


def test_quiet_hours_hold_a_broadcast_until_seven(api, people, workers, emulator):
    """Is a non-urgent broadcast created at 20:00 EAT held until 07:00, while an urgent one
    (with its reason) goes at once; is an urgent one without a reason refused."""
    evening = datetime(2026, 12, 1, 20, 0, tzinfo=EAT)
    with time_machine.travel(evening, tick=False):
        held = api.post(
            "/broadcasts", {"name": "Evening", "texts": TEXTS, "audience": {"counties": ["Kwale"]}}
        )
        # It says it waits, and until when (07:00 EAT is 04:00 UTC).
        assert held.json["waits_until"] == "2026-12-02T04:00:00+00:00"
        no_reason = api.post(
            "/broadcasts",
            {"name": "Urgent", "texts": TEXTS, "urgent": True, "audience": {"counties": ["Kwale"]}},
        )
        assert no_reason.status_code == 400 and "urgent_reason" in no_reason.json["errors"]["json"]
        workers.drain()
        assert emulator.messages() == []
        api.post(
            "/broadcasts",
            {
                "name": "Flood",
                "texts": TEXTS,
                "urgent": True,
                "urgent_reason": "The tailings dam is overflowing",
                "audience": {"counties": ["Kitui"], "languages": ["en"]},
            },
        )
        workers.drain()
        assert set(sent_to(emulator)) == set(people["kitui_en"])
    with time_machine.travel(datetime(2026, 12, 2, 6, 59, tzinfo=EAT), tick=False):
        workers.drain()
        assert not set(sent_to(emulator)) & set(people["kwale"])
    with time_machine.travel(datetime(2026, 12, 2, 7, 0, 1, tzinfo=EAT), tick=False):
        workers.drain()
        assert set(people["kwale"]) <= set(sent_to(emulator))


def test_a_cancelled_broadcast_sends_nothing_more(api, people, workers, emulator):
    """Is nothing sent for a scheduled broadcast cancelled before its time."""
    tomorrow = (datetime.now(EAT) + timedelta(days=1)).replace(hour=10, minute=0)
    created = api.post(
        "/broadcasts",
        {
            "name": "Later",
            "texts": TEXTS,
            "send_at": tomorrow.isoformat(),
            "audience": {"counties": ["Kitui"]},
        },
    )
    cancelled = api.post(f"/broadcasts/{created.json['id']}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    with time_machine.travel(tomorrow + timedelta(minutes=1), tick=False):
        workers.drain()
    assert emulator.messages() == []


def test_over_budget_is_refused(api, people, app):
    """Is a broadcast that would take the month's spending over the budget refused with 409
    and the figures."""
    app.config["GATEWAY"] = replace(app.config["GATEWAY"], monthly_budget_kes=5.0)
    refused = api.post(
        "/broadcasts", {"name": "Too dear", "texts": TEXTS, "audience": {"counties": ["Kitui"]}}
    )
    assert refused.status_code == 409
    assert refused.json["errors"]["estimate"]["over_budget"] is True
    assert refused.json["errors"]["estimate"]["budget_kes"] == "5.0"
    with app.app_context():
        assert db.session.scalar(select(Message.id)) is None


def test_unknown_language_and_empty_texts_are_400(api):
    """Does a broadcast in a language the gateway does not know, or with no text, get a 400
    naming the field."""
    for texts in ({"fr": "Bonjour"}, {"en": " "}):
        response = api.post("/broadcasts", {"name": "x", "texts": texts})
        assert response.status_code == 400 and "texts" in response.json["errors"]["json"]


KAM_ONLY = {"kam": "Mbunge wa kaunti ukwenda kwisunga kisomo kya makaa mwai ya Mui, Wakyumwamosi."}


def test_a_text_only_in_kikamba_is_not_sent_to_english_and_kiswahili_speakers(
    api, people, workers, emulator
):
    """Does the estimate say who would get nothing when their language has no text in its
    chain, is a broadcast leaving them without a choice refused, and with `uncovered: "skip"`
    do only the Kikamba speakers get the Kikamba text."""
    audience = {"counties": ["Kitui"]}
    found = api.post("/broadcasts/estimate", {"texts": KAM_ONLY, "audience": audience}).json
    by_language = {entry["language"]: entry for entry in found["languages"]}
    assert by_language["en"]["text_language"] is None and by_language["en"]["recipients"] == 3
    assert by_language["sw"]["text_language"] is None and by_language["sw"]["cost_kes"] == "0.0000"
    assert by_language["kam"]["text_language"] == "kam"
    assert found["uncovered"] == {"en": 3, "sw": 2} and found["needs_choice"] is True
    assert found["recipients"] == 2 and found["cost_kes"] == "1.6000"

    refused = api.post("/broadcasts", {"name": "Kam", "texts": KAM_ONLY, "audience": audience})
    assert refused.status_code == 409, refused.json
    assert "no text" in refused.json["message"] and "English" in refused.json["message"]
    assert refused.json["errors"]["uncovered"] == {"en": 3, "sw": 2}
    workers.drain()
    assert emulator.messages() == []

    created = api.post(
        "/broadcasts",
        {"name": "Kam", "texts": KAM_ONLY, "audience": audience, "uncovered": "skip"},
    )
    assert created.status_code == 201, created.json
    assert created.json["uncovered"] == "skip"
    workers.drain()
    assert set(sent_to(emulator)) == set(people["kitui_kam"])
    assert {m["text"] for m in emulator.messages()} == {KAM_ONLY["kam"] + HINT["kam"]}
    followed = api.get(f"/broadcasts/{created.json['id']}").json
    assert followed["status"] == "sent" and followed["progress"]["skipped_no_text"] == 5


def test_the_sender_may_choose_to_send_a_named_language_to_those_without_a_text(
    api, people, workers, emulator
):
    """With only a Kiswahili text, do Kikamba speakers get it by fallback, English speakers
    nothing unless the sender names Kiswahili for them (`uncovered: "sw"`), which is kept."""
    texts = {"sw": TEXTS["sw"]}
    audience = {"counties": ["Kitui"]}
    found = api.post("/broadcasts/estimate", {"texts": texts, "audience": audience}).json
    assert found["uncovered"] == {"en": 3}
    refused = api.post("/broadcasts", {"name": "Sw", "texts": texts, "audience": audience})
    assert refused.status_code == 409
    unknown = api.post(
        "/broadcasts", {"name": "Sw", "texts": texts, "audience": audience, "uncovered": "kam"}
    )
    assert unknown.status_code == 400 and "uncovered" in unknown.json["errors"]["json"]
    chosen = {"texts": texts, "audience": audience, "uncovered": "sw"}
    assert api.post("/broadcasts/estimate", chosen).json["needs_choice"] is False
    created = api.post("/broadcasts", {"name": "Sw", **chosen})
    assert created.status_code == 201, created.json
    assert created.json["uncovered"] == "sw" and created.json["estimate"]["recipients"] == 7
    workers.drain()
    expected = people["kitui_en"] + people["kitui_sw"] + people["kitui_kam"]
    assert sent_to(emulator) == Counter(expected)
    texts = {m["to"]: m["text"] for m in emulator.messages()}
    assert {texts[p] for p in people["kitui_en"]} == {TEXTS["sw"] + HINT["en"]}
    assert {texts[p] for p in people["kitui_sw"]} == {TEXTS["sw"] + HINT["sw"]}


def test_a_broadcast_ends_with_the_way_out_when_it_fits(api, people, workers, emulator, app):
    """Does each recipient's SMS end with how to stop, in their language ("STOP to 22384",
    "ACHA kwa 22384"), when it fits in as many segments, does the estimate show the text as
    sent, and is a text the hint would make longer sent as it is, unless the secretariat set
    GATEWAY_OPTOUT_HINT=always (then the estimate counts the extra segment)."""
    audience = {"counties": ["Kitui"], "languages": ["en", "sw"]}
    found = api.post("/broadcasts/estimate", {"texts": TEXTS, "audience": audience}).json
    by_language = {entry["language"]: entry for entry in found["languages"]}
    assert by_language["en"]["text"] == TEXTS["en"] + "\nSTOP to 22384"
    assert by_language["sw"]["text"] == TEXTS["sw"] + "\nACHA kwa 22384"
    assert by_language["en"]["segments"] == 1 and by_language["en"]["characters"] == 83
    api.post("/broadcasts", {"name": "Hint", "texts": TEXTS, "audience": audience})
    workers.drain()
    texts = {m["to"]: m["text"] for m in emulator.messages()}
    assert {texts[p] for p in people["kitui_en"]} == {TEXTS["en"] + "\nSTOP to 22384"}
    assert {texts[p] for p in people["kitui_sw"]} == {TEXTS["sw"] + "\nACHA kwa 22384"}

    full = {"en": "Mui coal meeting. " * 8 + "Come."}  # 149 characters: no room for the hint
    draft = {"texts": full, "audience": {"counties": ["Kwale"]}}
    fitted = api.post("/broadcasts/estimate", draft).json["languages"][0]
    assert fitted["text"] == full["en"] and fitted["segments"] == 1
    app.config["GATEWAY"] = replace(app.config["GATEWAY"], optout_hint="always")
    always = api.post("/broadcasts/estimate", draft).json
    assert always["languages"][0]["text"] == full["en"] + "\nSTOP to 22384"
    assert always["languages"][0]["segments"] == 2 and always["cost_kes"] == "3.2000"
    app.config["GATEWAY"] = replace(app.config["GATEWAY"], optout_hint="off")
    off = api.post("/broadcasts/estimate", {"texts": TEXTS, "audience": audience}).json
    assert {entry["text"] for entry in off["languages"]} == {TEXTS["en"], TEXTS["sw"]}


def test_the_opt_out_hint_setting_is_read_and_checked():
    """Is GATEWAY_OPTOUT_HINT read (fit by default, always, off) and another value refused."""
    from gateway.settings import load_settings

    assert load_settings({}).optout_hint == "fit"
    assert load_settings({"GATEWAY_OPTOUT_HINT": "Always"}).optout_hint == "always"
    assert load_settings({"GATEWAY_OPTOUT_HINT": "off"}).optout_hint == "off"
    with pytest.raises(ValueError, match="GATEWAY_OPTOUT_HINT"):
        load_settings({"GATEWAY_OPTOUT_HINT": "sometimes"})

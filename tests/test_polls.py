"""Community polls: votes by SMS (keyword and number, letter or words, a bare number after the
poll's question, typos) and USSD, in each language; live results by county, ward, language and
channel, as JSON and CSV; the question sent to the audience; results SMS on close. Through the
API, Africa's Talking callbacks in its wire format, real RQ workers and the emulator."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factories
import pytest
import time_machine
from conftest import Phone
from factories import EN, KAM, KWALE, SW, joined_contact
from helpers import received, text
from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.contacts.service import opt_out
from gateway.encoding import analyse
from gateway.extensions import db
from gateway.polls.models import Vote
from gateway.polls.notices import send_due_results
from gateway.queues import DEFAULT
from gateway.recovery import recover_stranded
from gateway.sms.models import Message
from gateway.sms.wake import LEASE_KEY, NOTE_KEY

EAT = ZoneInfo("Africa/Nairobi")
UNPACED = {"max_per_contact_per_day": 0, "min_spacing": timedelta(0)}
MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=EAT)  # a Monday, outside the quiet hours
QUESTION = {
    "en": "Should the county publish the mine's EIA report?",
    "sw": "Je, kaunti ichapishe ripoti ya EIA ya mgodi?",
}
LABELS = {"en": ["Yes", "No", "Not sure"], "sw": ["Ndiyo", "Hapana", "Sina uhakika"]}
STRANGER = "+254799000009"  # never joined: no consent, no language, no county


def thanks(app, language: str, choice: str, keyword: str = "MADINI") -> str:
    return text(app, "sms.poll.thanks", language, choice=choice, keyword=keyword)


def votes(app, poll_id: int) -> dict[str, tuple[int, str]]:
    """Each voter's option position and channel."""
    with app.app_context():
        rows = db.session.execute(
            select(Contact.phone, Vote.option_id, Vote.channel)
            .join(Contact, Contact.id == Vote.contact_id)
            .where(Vote.poll_id == poll_id)
        ).all()
        from gateway.polls.models import PollOption

        return {
            phone: (db.session.get(PollOption, option_id).position, channel)
            for phone, option_id, channel in rows
        }


def inbound_kinds(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Message.kind).where(Message.direction == "in").order_by(Message.id)
            )
        )


def question_sms(app, language: str, keyword: str = "MADINI") -> str:
    """The question as texted to the poll's audience: with how to stop, when that fits."""
    written = "sw" if language == "kam" else language  # the poll has no Kikamba: Kiswahili's
    options = "\n".join(f"{n} {label}" for n, label in enumerate(LABELS[written], 1))
    question = text(
        app,
        "sms.poll.question",
        language,
        question=QUESTION[written],
        options=options,
        keyword=keyword,
    )
    hinted = f"{question}\n{text(app, 'sms.optout_hint', language)}"
    return hinted if analyse(hinted).segments == analyse(question).segments else question


POLL = {
    "keyword": "Mgodi",
    "question": {
        "en": "Was the EIA meeting held in your ward?",
        "sw": "Je, mkutano wa EIA ulifanyika?",
    },
    "options": [{"en": "Yes", "sw": "Ndiyo"}, {"en": "No", "sw": "Hapana"}],
    "county": "Kitui",
}


def create_poll(api, **changes: object) -> dict:
    body = {**POLL, "closes_at": (MORNING + timedelta(hours=2)).isoformat(), **changes}
    response = api.post("/polls", json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_votes_by_keyword_with_a_number_a_letter_or_words(app, at, people, workers, emulator):
    """Can people vote with MADINI 2, madini b, or an option's words in English or Kiswahili
    (in any case, with accents), is each vote counted once with its channel, and is each voter
    thanked in their own language, naming their choice."""
    ids = factories.polls(app)
    at.sms(EN, "MADINI 2")
    at.sms(SW, "madini b")
    at.sms(KAM, "Madini ndiyo kabisa")
    at.sms(KWALE, "MADINI Not sure.")
    at.sms(STRANGER, "Madíni Hapana")
    workers.drain()
    assert received(emulator, EN) == [thanks(app, "en", "No")]
    assert received(emulator, SW) == [thanks(app, "sw", "Hapana")]
    assert received(emulator, KAM) == [thanks(app, "kam", "Ndiyo")]  # Kikamba: Kiswahili's
    assert received(emulator, KWALE) == [thanks(app, "en", "Not sure")]
    # A stranger writing in Kiswahili is answered in Kiswahili from now on.
    assert received(emulator, STRANGER) == [thanks(app, "sw", "Hapana")]
    assert received(emulator, EN) == [
        "Thank you! Your vote is counted: No. To change it, SMS MADINI and another number "
        "before the poll closes."
    ]
    assert votes(app, ids["open"]) == {
        EN: (2, "sms"),
        SW: (2, "sms"),
        KAM: (1, "sms"),
        KWALE: (3, "sms"),
        STRANGER: (2, "sms"),
    }
    assert inbound_kinds(app) == ["poll_vote"] * 5


def test_a_later_vote_replaces_the_earlier_one(app, at, api, people, workers, emulator):
    """Does each phone have one vote per poll, the latest one, whatever the channel."""
    ids = factories.polls(app)
    at.sms(EN, "MADINI 1")
    workers.drain()
    at.sms(EN, "MADINI C")
    workers.drain()
    assert votes(app, ids["open"]) == {EN: (3, "sms")}
    assert received(emulator, EN) == [thanks(app, "en", "Yes"), thanks(app, "en", "Not sure")]
    results = api.get(f"/polls/{ids['open']}/results").json
    assert results["total"] == 1
    assert [o["votes"] for o in results["options"]] == [0, 0, 1]


def test_a_vote_handled_late_does_not_replace_a_later_one(app, at, people, workers, redis):
    """When an earlier vote's job was lost (Redis restarted) and the recovery sweep hands it
    to a worker after a later vote of the same person was counted, does the later vote still
    count."""
    ids = factories.polls(app)
    at.sms(EN, "MADINI 1")
    workers.queue("inbound").empty()  # its job lost, and the note and lease that wait for it
    redis.delete(NOTE_KEY, LEASE_KEY)
    at.sms(EN, "MADINI 2")
    workers.drain()
    assert votes(app, ids["open"]) == {EN: (2, "sms")}
    assert inbound_kinds(app) == [None, "poll_vote"]  # the first not interpreted yet
    with time_machine.travel(datetime.now(EAT) + timedelta(minutes=3)):
        workers.queue(DEFAULT).enqueue(recover_stranded)
        workers.drain()
    assert inbound_kinds(app) == ["poll_vote", "poll_vote"]
    assert votes(app, ids["open"]) == {EN: (2, "sms")}


def test_a_vote_by_ussd_in_kiswahili_counts_and_can_be_replaced_by_sms(
    app, at, phone, workers, emulator
):
    """Can a caller vote on USSD in Kiswahili, and does their later SMS vote replace it."""
    joined_contact(app, phone.number, "sw")
    ids = factories.polls(app)
    phone.dial()
    phone.choose("Kura za maoni")
    phone.choose("Je, kaunti ichapishe")
    assert phone.press(phone.option("Sina uhakika") or "").startswith("END Asante!")
    assert votes(app, ids["open"]) == {phone.number: (3, "ussd")}
    at.sms(phone.number, "MADINI 1")
    workers.drain()
    assert votes(app, ids["open"]) == {phone.number: (1, "sms")}
    assert received(emulator, phone.number) == [thanks(app, "sw", "Ndiyo")]


# Two scheduled messages to one person at once, on purpose: pacing (tests/test_pacing.py) off.
@pytest.mark.parametrize("settings_overrides", [UNPACED], ids=["unpaced"])
def test_a_bare_number_answers_the_poll_question_just_sent(app, at, api, people, workers, emulator):
    """Does sending a poll reach its audience (consent, county) once each, in their language,
    with numbered options, and is a bare number sent back a vote for that poll; does a bare
    number from someone who was never asked go to the inbox."""
    with time_machine.travel(MORNING):
        ids = factories.polls(app)
        sent = api.post(f"/polls/{ids['kwale']}/send")
        assert sent.status_code == 202, sent.json
        assert sent.json["audience"] == 1
        again = api.post(f"/polls/{ids['kwale']}/send")  # twice: still once per person
        assert again.status_code == 202
        workers.drain()
        assert received(emulator, KWALE) == [question_sms(app, "en", "KWALE")]
        assert {m["to"] for m in emulator.messages()} == {KWALE}

        assert api.post(f"/polls/{ids['open']}/send").json["audience"] == 4
        workers.drain()
        assert received(emulator, SW) == [question_sms(app, "sw")]
        assert received(emulator, KAM) == [question_sms(app, "kam")]
        assert received(emulator, EN) == [
            "Should the county publish the mine's EIA report?\n1 Yes\n2 No\n3 Not sure\n"
            "Reply with the number of your choice, or SMS MADINI and the number to 22384."
        ]  # no "STOP to 22384": it would take a second SMS
        emulator.clear()
        at.sms(EN, "2")
        at.sms(SW, " 3 ")
        at.sms(KWALE, "1")  # answers the latest question it got: MADINI, sent after KWALE's
        at.sms(STRANGER, "2")
        workers.drain()
    assert votes(app, ids["open"]) == {EN: (2, "sms"), SW: (3, "sms"), KWALE: (1, "sms")}
    assert votes(app, ids["kwale"]) == {}
    assert received(emulator, EN) == [thanks(app, "en", "No")]
    assert received(emulator, SW) == [thanks(app, "sw", "Sina uhakika")]
    assert received(emulator, STRANGER) == [text(app, "sms.auto_reply", "en")]
    assert inbound_kinds(app) == ["poll_vote", "poll_vote", "poll_vote", "inbox"]


def test_whoever_was_asked_or_voted_is_not_asked_again_by_the_send(
    app, at, api, people, workers, emulator
):
    """Does someone who texted the keyword alone at 06:37 and got the question not get it again
    from the 07:00 send, nor someone who already voted on USSD, while everyone else gets it
    once; and does texting the keyword again still bring the question."""
    with time_machine.travel(MORNING.replace(hour=6, minute=37)):
        ids = factories.polls(app)
        at.sms(EN, "MADINI")
        workers.drain()
        assert received(emulator, EN) == [question_sms(app, "en")]
        voter = Phone(at, app, SW)
        voter.dial()
        voter.choose("Kura za maoni")
        voter.choose("Je, kaunti ichapishe")
        assert voter.press(voter.option("Ndiyo") or "").startswith("END Asante!")
    with time_machine.travel(MORNING.replace(hour=7, minute=0)):
        sent = api.post(f"/polls/{ids['open']}/send")
        assert sent.status_code == 202, sent.json
        assert (sent.json["audience"], sent.json["to_ask"]) == (4, 2)
        workers.drain()
        assert received(emulator, EN) == [question_sms(app, "en")]
        assert received(emulator, SW) == []
        assert received(emulator, KAM) == [question_sms(app, "kam")]
        assert received(emulator, KWALE) == [question_sms(app, "en")]
        at.sms(EN, "madini")  # asked for again: it comes again
        workers.drain()
    assert received(emulator, EN) == [question_sms(app, "en")] * 2
    assert votes(app, ids["open"]) == {SW: (1, "ussd")}


def test_votes_out_of_the_window_are_answered_and_not_counted(
    app, at, api, people, workers, emulator
):
    """Is a vote before a poll opens or after it closes (by keyword, or a bare number after
    its question) answered politely in the voter's language, and not counted."""
    with time_machine.travel(MORNING):
        ids = factories.polls(app)
        later = create_poll(
            api,
            opens_at=(MORNING + timedelta(days=1)).isoformat(),
            closes_at=(MORNING + timedelta(days=2)).isoformat(),
        )
        soon = create_poll(
            api, keyword="HARAKA", closes_at=(MORNING + timedelta(hours=1)).isoformat()
        )
        assert api.post(f"/polls/{soon['id']}/send").status_code == 202
        workers.drain()
        emulator.clear()
        at.sms(EN, "ZAMANI 1")
        at.sms(SW, "MGODI 1")
        workers.drain()
    with time_machine.travel(MORNING + timedelta(hours=2)):
        at.sms(KAM, "1")  # the HARAKA question came, but HARAKA has closed
        at.sms(EN, "HARAKA 2")
        workers.drain()
    assert received(emulator, EN) == [
        text(app, "sms.poll.closed", "en", keyword="ZAMANI"),
        text(app, "sms.poll.closed", "en", keyword="HARAKA"),
    ]
    assert received(emulator, SW) == [
        text(app, "sms.poll.not_open", "sw", keyword="MGODI", when="Jumanne 8 Des, 10:00")
    ]
    assert received(emulator, KAM) == [text(app, "sms.poll.closed", "kam", keyword="HARAKA")]
    for poll_id in (ids["closed"], later["id"], soon["id"]):
        assert votes(app, poll_id) == {}


def test_near_miss_keywords_still_vote_and_far_misses_go_to_the_inbox(
    app, at, people, workers, emulator
):
    """Does a keyword with one typo (a letter missing, doubled, or two swapped) still vote, and
    does a word two typos away, or STOP, go where it always went."""
    ids = factories.polls(app)
    at.sms(EN, "MADNI 1")
    at.sms(SW, "madiini 2")
    at.sms(KAM, "MAIDNI 3")
    at.sms(KWALE, "MADINI2")
    at.sms(STRANGER, "MDNI 2 please")
    workers.drain()
    assert votes(app, ids["open"]) == {
        EN: (1, "sms"),
        SW: (2, "sms"),
        KAM: (3, "sms"),
        KWALE: (2, "sms"),
    }
    assert received(emulator, STRANGER) == [text(app, "sms.auto_reply", "en")]
    assert inbound_kinds(app) == ["poll_vote"] * 4 + ["inbox"]


def test_an_unreadable_vote_gets_the_options_and_a_wrong_county_is_refused(
    app, at, people, workers, emulator
):
    """Is a vote naming no option answered with how to vote, the keyword alone answered with the
    question, and a vote in another county's poll refused; none is counted."""
    ids = factories.polls(app)
    at.sms(EN, "MADINI 7")
    at.sms(SW, "MADINI")
    at.sms(KAM, "KWALE 1")
    workers.drain()
    assert received(emulator, EN) == [
        "Sorry, we could not read your vote. SMS MADINI and the number of your choice: "
        "1 Yes, 2 No, 3 Not sure."
    ]
    assert received(emulator, SW) == [question_sms(app, "sw")]
    assert received(emulator, KAM) == [
        text(app, "sms.poll.other_county", "kam", keyword="KWALE", county="Kwale")
    ]
    assert votes(app, ids["open"]) == {} and votes(app, ids["kwale"]) == {}
    at.sms(SW, "2")  # the question they asked for makes a bare number a vote
    workers.drain()
    assert votes(app, ids["open"]) == {SW: (2, "sms")}


def test_results_by_county_ward_language_and_channel(app, at, api, phone, people, workers):
    """Are the live results exact: totals and percentages overall and by county, ward (with
    its county), language and channel, from what each voter was when voting; and does the CSV
    start with the UTF-8 byte-order mark and parse, one row per group and option."""
    ids = factories.polls(app)
    joined_contact(app, phone.number, "sw", county="Kwale", ward="Ramisi")
    phone.dial()
    phone.choose("Kura za maoni")
    phone.choose("Je, kaunti ichapishe")
    phone.press("1")
    at.sms(EN, "MADINI 1")
    at.sms(SW, "MADINI 2")
    at.sms(KAM, "MADINI 1")
    at.sms(KWALE, "MADINI 2")
    at.sms(STRANGER, "MADINI 3")
    workers.drain()

    results = api.get(f"/polls/{ids['open']}/results")
    assert results.status_code == 200
    body = results.json
    assert body["total"] == 6 and body["status"] == "open" and body["keyword"] == "MADINI"
    assert [(o["option"], o["votes"], o["percent"]) for o in body["options"]] == [
        (1, 3, 50.0),
        (2, 2, 33.3),
        (3, 1, 16.7),
    ]
    assert body["options"][2]["label"] == {"en": "Not sure", "sw": "Sina uhakika"}

    def counts(dimension: str) -> list[tuple]:
        return [
            (g["value"], g.get("county"), g["total"], [o["votes"] for o in g["options"]])
            for g in body["by"][dimension]
        ]

    assert counts("county") == [
        ("Kitui", None, 3, [2, 1, 0]),
        ("Kwale", None, 2, [1, 1, 0]),
        (None, None, 1, [0, 0, 1]),
    ]
    assert counts("ward") == [
        ("Mui", "Kitui", 3, [2, 1, 0]),
        ("Ramisi", "Kwale", 1, [1, 0, 0]),
        (None, "Kwale", 1, [0, 1, 0]),
        (None, None, 1, [0, 0, 1]),
    ]
    assert counts("language") == [
        ("en", None, 2, [1, 1, 0]),
        ("kam", None, 1, [1, 0, 0]),
        ("sw", None, 2, [1, 1, 0]),
        (None, None, 1, [0, 0, 1]),
    ]
    assert counts("channel") == [("sms", None, 5, [2, 2, 1]), ("ussd", None, 1, [1, 0, 0])]
    assert body["by"]["channel"][0]["options"][0] == {"option": 1, "votes": 2, "percent": 40.0}

    download = api.get(f"/polls/{ids['open']}/results.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(download.data.decode("utf-8-sig"))))
    groups = 1 + 3 + 4 + 4 + 2  # all, counties, wards, languages, channels
    assert len(rows) == groups * 3
    assert rows[0] == {
        "dimension": "all",
        "value": "",
        "county": "",
        "option": "1",
        "label": "Yes",
        "votes": "3",
        "percent": "50.0",
    }
    ramisi = [r for r in rows if r["dimension"] == "ward" and r["value"] == "Ramisi"]
    assert [(r["county"], r["label"], r["votes"]) for r in ramisi] == [
        ("Kwale", "Yes", "1"),
        ("Kwale", "No", "0"),
        ("Kwale", "Not sure", "0"),
    ]


def test_results_sms_go_once_to_each_voter_on_close(app, at, api, people, workers, emulator):
    """When a poll with send_results closes, does every voter (not one who opted out since) get
    one results SMS in their language, with whole percentages (of every vote, the opted-out
    voter's too), however often the periodic job runs; and is results_sent_at set."""
    with time_machine.travel(MORNING):
        poll = create_poll(api, send_results=True, county=None)
        at.sms(EN, "MGODI 1")
        at.sms(SW, "MGODI 1")
        at.sms(KAM, "MGODI 2")
        at.sms(KWALE, "MGODI 1")
        workers.drain()
        with app.app_context():
            contact = db.session.scalar(select(Contact).where(Contact.phone == KWALE))
            opt_out(contact, channel="sms")
            db.session.commit()
        emulator.clear()
        workers.queue(DEFAULT).enqueue(send_due_results)
        workers.drain()
        assert emulator.messages() == []  # still open: nothing yet
    with time_machine.travel(MORNING + timedelta(hours=2, minutes=1)):
        for _ in range(2):
            workers.queue(DEFAULT).enqueue(send_due_results)
            workers.drain()
        fetched = api.get(f"/polls/{poll['id']}").json
    assert fetched["results_sent_at"] is not None and fetched["status"] == "closed"
    assert received(emulator, EN) == [
        "Results of Was the EIA meeting held in your ward?: Yes 75%, No 25%. Thank you for voting."
    ]
    sw_results = text(
        app,
        "sms.poll.results",
        "sw",
        question="Je, mkutano wa EIA ulifanyika?",
        results="Ndiyo 75%, Hapana 25%",
    )
    assert received(emulator, SW) == [sw_results]
    assert received(emulator, KAM) == [sw_results]
    assert received(emulator, KWALE) == []
    assert len(emulator.messages()) == 3
    with app.app_context():
        keys = db.session.scalars(select(Message.dedupe_key).where(Message.kind == "poll_results"))
        assert len(set(keys)) == 3


def test_poll_api_refuses_bad_polls_naming_the_field(app, api):
    """Does creating a poll with 1 or 6 options, a keyword in use or reserved, a close before
    the open, or an SMS too long give 400 (409 for a keyword in use) naming the field; and is
    the API in the OpenAPI document."""
    factories.polls(app)
    factories.surveys(app)
    closes = (datetime.now(EAT) + timedelta(days=1)).isoformat()

    def refused(status: int, **changes: object) -> dict:
        response = api.post("/polls", json={**POLL, "closes_at": closes, **changes})
        assert response.status_code == status, response.json
        return response.json["errors"]["json"]

    assert "options" in refused(400, options=[{"en": "Yes"}])
    six = [{"en": f"Option {n}"} for n in range(1, 7)]
    assert "2 to 5 options" in str(refused(400, options=six)["options"])
    assert "MADINI" in str(refused(409, keyword="madini")["keyword"])
    assert "survey" in str(refused(409, keyword="Maji")["keyword"])
    assert "own SMS keywords" in str(refused(400, keyword="ACHA")["keyword"])
    assert "keyword" in refused(400, keyword="two words")
    opens = (datetime.now(EAT) + timedelta(days=2)).isoformat()
    assert "after opens_at" in str(refused(400, opens_at=opens)["closes_at"])
    assert "county" in refused(400, county="Atlantis")
    long_labels = [{"en": f"{n} " + "x" * 28} for n in range(5)]
    assert "longer than 2 SMS" in str(
        refused(400, question={"en": "q" * 100}, options=long_labels)["question"]
    )
    duplicate = [{"en": "Yes"}, {"en": "yes"}]
    assert "both" in str(refused(400, options=duplicate)["options"])
    spec = api.get("/openapi.json").json
    for path in ("/polls", "/polls/{poll_id}/results", "/polls/{poll_id}/results.csv"):
        assert f"/api/v1{path}" in spec["paths"], path
    assert "/api/v1/polls/{poll_id}/send" in spec["paths"]


def test_a_closed_poll_cannot_be_sent(app, api):
    """Is sending the question of a closed poll refused, and of an unknown poll a 404."""
    ids = factories.polls(app)
    assert api.post(f"/polls/{ids['closed']}/send").status_code == 409
    assert api.post("/polls/999/send").status_code == 404
    assert api.get("/polls/999/results").status_code == 404


def test_a_poll_question_ends_with_the_way_out(app, api, people, workers, emulator):
    """Does a poll's question, texted to its audience, end with how to stop in each person's
    language ("STOP to 22384", "ACHA kwa 22384") when that adds no SMS."""
    with time_machine.travel(MORNING):
        poll = create_poll(api)
        assert api.post(f"/polls/{poll['id']}/send").status_code == 202
        workers.drain()
    assert received(emulator, EN) == [
        "Was the EIA meeting held in your ward?\n1 Yes\n2 No\nReply with the number of your "
        "choice, or SMS MGODI and the number to 22384.\nSTOP to 22384"
    ]
    assert received(emulator, SW)[0].endswith("\nACHA kwa 22384")

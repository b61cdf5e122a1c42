"""Accountability: a report taken through every state of its case (verified, escalated to a
duty bearer, their response, resolved or closed) with the reporter's SMS at each change in
their language, none for an anonymous report; how fast cases move on the dashboard; a duty
bearer's commitment followed up from the ground (a round on its due date, sent only after its
estimate is confirmed, once per person per round, answered by SMS and USSD in English and
Kiswahili, and on the voice line, tallied by ward, asked again after the interval, not after
it is closed); the scorecard and its CSV. Through the admin UI and the API, Africa's Talking
callbacks in its wire format, real RQ workers and the emulator."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from conftest import Phone
from factories import joined_contact
from flask import Flask
from helpers import received, send_confirmed, text
from sqlalchemy import func, select

from gateway.commitments.answers import tally_by_ward
from gateway.commitments.followup import open_due_rounds, send_round
from gateway.commitments.models import (
    Commitment,
    DutyBearer,
    Escalation,
    FollowUpAnswer,
    FollowUpRound,
)
from gateway.contacts.export import collect
from gateway.contacts.models import Contact
from gateway.contacts.service import anonymise
from gateway.extensions import db
from gateway.platforms.models import Membership, Platform
from gateway.queues import DEFAULT
from gateway.reports.cases import ReportEvent
from gateway.reports.models import Report
from gateway.sms.models import Message
from tests.test_voice import AMINA, VoiceCaller, spoken
from tests.test_voice import text as said

EAT = ZoneInfo("Africa/Nairobi")
UNPACED = {"max_per_contact_per_day": 0, "min_spacing": timedelta(0)}
pytestmark = pytest.mark.parametrize("settings_overrides", [UNPACED], ids=["unpaced"])

MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=EAT)  # a Monday, outside the quiet hours
DUE = date(2026, 12, 7)
EN, SW, KAM = "+254711000301", "+254711000302", "+254711000303"
NUU, NGUNI, KWALE = "+254711000304", "+254711000305", "+254722000306"
STOPPED, NO_CONSENT = "+254711000307", "+254711000308"


def _bearers(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = {
            "nema": DutyBearer(name="NEMA", kind="nema"),
            "county": DutyBearer(name="Kitui County Government", kind="county"),
            "company": DutyBearer(name="Mui Coal Company", kind="company"),
        }
        db.session.add_all(rows.values())
        db.session.commit()
        return {name: row.id for name, row in rows.items()}


def _report(app: Flask, reference: str, contact_id: int | None, **fields: object) -> int:
    with app.app_context():
        values: dict[str, object] = {
            "category": "water",
            "county": "Kitui",
            "ward": "Mui",
            "description": "The river at Mui is dirty since the digging started.",
            "language": "en",
            "channel": "ussd",
            "anonymous": contact_id is None,
            **fields,
        }
        report = Report(reference=reference, contact_id=contact_id, **values)
        db.session.add(report)
        db.session.commit()
        return report.id


def _history(page: str) -> str:
    found = re.search(r'<ol class="thread" id="report-history">(.*?)</ol>', page, re.S)
    assert found is not None
    return found.group(1)


def _through_every_state(session, report_id: int, bearer_id: int, last: str) -> None:
    path = f"/admin/reports/{report_id}"
    session.post(f"{path}/status", {"status": "verified"}, page=path)
    escalated = session.post(
        f"{path}/escalate",
        {"duty_bearer_id": str(bearer_id), "how": "letter", "their_reference": "NEMA/KTI/114"},
        page=path,
    )
    assert escalated.status_code == 302
    session.post(
        f"{path}/response", {"response": "An inspector visits the river on Friday."}, page=path
    )
    session.post(f"{path}/status", {"status": last}, page=path)


# -- reports as cases ----------------------------------------------------------------------


def test_a_named_report_goes_through_every_state_and_its_reporter_is_told_each_change(
    app: Flask, admin_as, workers, emulator
) -> None:
    """Is a report verified, escalated (to whom, how, their reference), answered and resolved or
    closed, each step in its history with who, and is its named reporter texted at each change
    in their language (English and Kiswahili)?"""
    bearers = _bearers(app)
    english = _report(app, "R-ENCASE", joined_contact(app, EN, "en"))
    swahili = _report(app, "R-SWCASE", joined_contact(app, SW, "sw"), language="sw")
    session = admin_as("coordinator", counties=("Kitui",), email="mutua@hmk.example")
    _through_every_state(session, english, bearers["nema"], "resolved")
    _through_every_state(session, swahili, bearers["nema"], "closed")
    assert emulator.messages() == []  # nothing goes before a worker runs
    workers.drain()
    for phone, language, reference, last in (
        (EN, "en", "R-ENCASE", "resolved"),
        (SW, "sw", "R-SWCASE", "closed"),
    ):
        assert received(emulator, phone) == [
            text(app, f"sms.report.status.{status}", language, reference=reference)
            for status in ("verified", "escalated", "responded", last)
        ]
    assert "imethibitishwa" in received(emulator, SW)[0]  # Kiswahili, not English
    page = session.get(f"/admin/reports/{english}").get_data(as_text=True)
    steps = re.findall(r'<li class="step-status">(.*?)</li>', _history(page), re.S)
    assert len(steps) == 4 and all("mutua@hmk.example" in step for step in steps)
    assert "New → Verified" in steps[0] and "Verified → Escalated" in steps[1]
    assert "Escalated → Responded" in steps[2] and "Responded → Resolved" in steps[3]
    assert all("reporter told by SMS" in step for step in steps)
    escalation = re.search(r'id="report-escalations">(.*?)</section>', page, re.S)
    assert escalation is not None
    shown = escalation.group(1)
    assert "NEMA" in shown and "NEMA/KTI/114" in shown and "Letter" in shown
    assert "An inspector visits the river on Friday." in shown
    with app.app_context():
        (row,) = db.session.scalars(select(Escalation).where(Escalation.report_id == english))
        assert (row.duty_bearer_id, row.how, row.their_reference) == (
            bearers["nema"],
            "letter",
            "NEMA/KTI/114",
        )
        assert row.escalated_by == "mutua@hmk.example" and row.escalated_at is not None
        assert row.responded_at is not None and row.responded_at >= row.escalated_at
        assert row.response == "An inspector visits the river on Friday."
        assert db.session.get(Report, english).status == "resolved"
    assert workers.failed() == []


def test_an_anonymous_report_goes_through_every_state_and_nobody_is_texted(
    app: Flask, admin_as, workers, emulator
) -> None:
    """Does an anonymous report move through every state, kept in its history, with no SMS?"""
    bearers = _bearers(app)
    joined_contact(app, EN, "en")  # someone there, who must not be texted
    report = _report(app, "R-ANCASE", None)
    session = admin_as("admin")
    _through_every_state(session, report, bearers["county"], "closed")
    workers.drain()
    assert emulator.messages() == []
    page = session.get(f"/admin/reports/{report}").get_data(as_text=True)
    history = _history(page)
    assert history.count('class="step-status"') == 4 and "reporter told by SMS" not in history
    with app.app_context():
        assert db.session.scalar(select(Message.id).where(Message.kind == "report_status")) is None
        assert db.session.get(Report, report).status == "closed"


def test_a_response_needs_an_escalation_and_an_escalation_a_duty_bearer_and_a_past_time(
    app: Flask, admin_as, workers, emulator
) -> None:
    """Is a response to a report never escalated refused, and an escalation without a duty
    bearer or dated in the future, with the reason shown and nothing changed or sent?"""
    bearers = _bearers(app)
    report = _report(app, "R-REFUSE", joined_contact(app, EN, "en"))
    session = admin_as("admin")
    path = f"/admin/reports/{report}"
    answered = session.post(f"{path}/response", {"response": "Done."}, page=path)
    assert "there is no response to record" in session.get(path).get_data(as_text=True)
    assert answered.status_code == 302
    session.post(f"{path}/escalate", {"duty_bearer_id": "", "how": "letter"}, page=path)
    assert "Choose a duty bearer" in session.get(path).get_data(as_text=True)
    session.post(
        f"{path}/escalate",
        {
            "duty_bearer_id": str(bearers["nema"]),
            "how": "letter",
            "escalated_at": "2099-01-01T10:00",
        },
        page=path,
    )
    assert "That time is in the future." in session.get(path).get_data(as_text=True)
    # Escalated and responded come with their details, from their own forms, never bare.
    assert session.post(f"{path}/status", {"status": "escalated"}, page=path).status_code == 400
    workers.drain()
    assert emulator.messages() == []
    with app.app_context():
        assert db.session.get(Report, report).status == "new"
        assert db.session.scalar(select(func.count()).select_from(Escalation)) == 0
        assert db.session.scalar(select(func.count()).select_from(ReportEvent)) == 0


def test_the_dashboard_shows_median_times_to_verification_and_response(
    app: Flask, admin_as
) -> None:
    """Does the dashboard give, per county and per duty bearer, how many reports were verified
    and answered and the median time from the report to each?"""
    bearers = _bearers(app)
    with time_machine.travel(MORNING, tick=False):
        first = _report(app, "R-TIMEA1", None, created_at=MORNING - timedelta(hours=10))
        second = _report(app, "R-TIMEB2", None, created_at=MORNING - timedelta(hours=4))
        kwale = _report(
            app,
            "R-TIMEC3",
            None,
            county="Kwale",
            ward=None,
            created_at=MORNING - timedelta(hours=2),
        )
        session = admin_as("admin")
        for report in (first, second, kwale):
            path = f"/admin/reports/{report}"
            session.post(f"{path}/status", {"status": "verified"}, page=path)
        path = f"/admin/reports/{first}"
        session.post(
            f"{path}/escalate",
            {
                "duty_bearer_id": str(bearers["nema"]),
                "how": "email",
                "escalated_at": "2026-12-07T08:00",
            },
            page=path,
        )
        session.post(
            f"{path}/response",
            {"response": "We will inspect.", "responded_at": "2026-12-07T09:30"},
            page=path,
        )
        page = session.get("/admin/").get_data(as_text=True)

    def rows(kind: str) -> list[list[str]]:
        table = re.search(rf'<table id="case-times-{kind}">(.*?)</table>', page, re.S)
        assert table is not None
        body = table.group(1).split("<tbody>")[1]
        return [
            [re.sub(r"<.*?>", "", cell).strip() for cell in re.findall(r"<td.*?</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        ]

    # Kitui: verified after 10 h and 4 h (median 7 h); the first, made at midnight, answered at
    # 09:30.
    assert rows("county") == [
        ["Kitui", "2", "7 h 0 min", "1", "9 h 30 min"],
        ["Kwale", "1", "2 h 0 min", "0", "-"],
    ]
    assert rows("bearer") == [["NEMA", "1", "10 h 0 min", "1", "9 h 30 min"]]


# -- commitments followed up ---------------------------------------------------------------


@pytest.fixture
def area(app: Flask) -> dict[str, int]:
    """People of Kitui's Mui and Nuu wards (the commitment's), of Nguni (not), of Kwale, one who
    stopped and one who never joined."""
    return {
        "en": joined_contact(app, EN, "en"),
        "sw": joined_contact(app, SW, "sw"),
        "kam": joined_contact(app, KAM, "kam"),
        "nuu": joined_contact(app, NUU, "en", ward="Nuu"),
        "nguni": joined_contact(app, NGUNI, "en", ward="Nguni"),
        "kwale": joined_contact(app, KWALE, "en", county="Kwale", ward=None),
        "stopped": joined_contact(app, STOPPED, "en", opted_out=True),
        "no_consent": joined_contact(app, NO_CONSENT, "en", consent=False),
    }


WHAT = {"en": "repair the Mui borehole", "sw": "kukarabati kisima cha Mui"}


def _new_commitment(session, bearer_id: int, **fields: str) -> int:
    form = {
        "duty_bearer_id": str(bearer_id),
        "what_en": WHAT["en"],
        "what_sw": WHAT["sw"],
        "county": "Kitui",
        "wards": ["Mui", "Nuu"],
        "made_on": "2026-09-01",
        "made_at_event": "Mui platform meeting",
        "due_on": DUE.isoformat(),
        "source": "Minutes of the Mui platform meeting",
        **fields,
    }
    created = session.post("/admin/commitments", form, page="/admin/commitments/new")
    assert created.status_code == 302, created.get_data(as_text=True)
    return int(created.headers["Location"].rsplit("/", 1)[1])


def _run_rounds(workers) -> None:
    workers.queue(DEFAULT).enqueue(open_due_rounds)
    workers.drain()


def _rounds(app: Flask, commitment_id: int) -> list[tuple[int, str, date, int]]:
    with app.app_context():
        return [
            (r.number, r.status, r.asked_on, r.recipients)
            for r in db.session.scalars(
                select(FollowUpRound)
                .where(FollowUpRound.commitment_id == commitment_id)
                .order_by(FollowUpRound.number)
            )
        ]


def _send(session, commitment_id: int, number: int, app: Flask) -> str:
    with app.app_context():
        round_id = db.session.scalar(
            select(FollowUpRound.id).where(
                FollowUpRound.commitment_id == commitment_id, FollowUpRound.number == number
            )
        )
    path = f"/admin/commitments/{commitment_id}"
    asked = session.post(f"{path}/rounds/{round_id}/send", {}, page=path)
    shown = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'name="estimate_token"' in shown
    sent = send_confirmed(session, f"{path}/rounds/{round_id}/send", {}, path)
    assert sent.status_code == 302
    return shown


def _question(app: Flask, language: str) -> str:
    return text(app, "sms.commitment.question", language, what=WHAT[language]) + (
        "\n" + text(app, "sms.optout_hint", language)
    )


def test_a_commitment_is_followed_up_from_its_due_date_once_per_person_per_round(
    app: Flask, admin_as, area, workers, emulator, at
) -> None:
    """Is nothing asked before the due date; on it, a round waiting for the secretariat with
    its estimate, nothing sent before confirmation; then the people of the wards asked once each
    in their language (the job run twice: still once); the answers by SMS and USSD, in English
    and Kiswahili, one per person (the latest counting) tallied by ward; the next round after
    the interval; and none once the commitment is closed?"""
    bearers = _bearers(app)
    with time_machine.travel(MORNING - timedelta(days=1)):
        commitment = _new_commitment(admin_as("admin"), bearers["county"])
        _run_rounds(workers)
        assert _rounds(app, commitment) == []  # not due yet

    with time_machine.travel(MORNING):
        session = admin_as("admin")
        _run_rounds(workers)
        _run_rounds(workers)
        # Mui's three and Nuu's one: not Nguni, Kwale, the one who stopped, nor the one who
        # never joined.
        assert _rounds(app, commitment) == [(1, "pending", DUE, 4)]
        assert emulator.messages() == []  # nothing goes before the secretariat confirms
        estimate = _send(session, commitment, 1, app)
        assert "kukarabati kisima cha Mui" in estimate and "repair the Mui borehole" in estimate
        workers.drain()
        with app.app_context():
            round_id = db.session.scalar(
                select(FollowUpRound.id).where(FollowUpRound.commitment_id == commitment)
            )
        workers.queue(DEFAULT).enqueue(send_round, round_id)  # run twice: still once each
        workers.drain()
        assert received(emulator, EN) == [_question(app, "en")]
        assert received(emulator, NUU) == [_question(app, "en")]
        assert received(emulator, SW) == [_question(app, "sw")]
        assert "Je, hili limefanyika: kukarabati kisima cha Mui?" in received(emulator, SW)[0]
        assert len(received(emulator, KAM)) == 1  # Kikamba falls back to Kiswahili
        for phone in (NGUNI, KWALE, STOPPED, NO_CONSENT):
            assert received(emulator, phone) == []
        assert _rounds(app, commitment) == [(1, "sent", DUE, 4)]
        emulator.clear()

        at.sms(EN, "1")  # yes ...
        at.sms(SW, "KIASI")  # partly, in Kiswahili
        at.sms(KAM, "3")
        at.sms(NUU, "PARTLY")
        workers.drain()
        english = Phone(at, app, EN)  # ... then, on USSD, no: the latest counts
        english.dial()
        english.choose("Promises")
        assert "repair the Mui borehole" in english.choose("repair the Mui borehole")
        assert english.choose("No").startswith("END ")
        assert english.screen == "END " + english.text("ussd.promise.thanks", "en")
        swahili = Phone(at, app, SW)  # and in Kiswahili, on USSD: yes
        swahili.dial()
        swahili.choose("Ahadi")
        swahili.choose("kukarabati kisima cha Mui")
        swahili.choose("Ndiyo")
        assert swahili.screen == "END " + swahili.text("ussd.promise.thanks", "sw")
        kikamba = Phone(at, app, KAM)  # Kikamba's menu, in Kiswahili until it is written: fits
        kikamba.dial()
        kikamba.choose("Ahadi")
        kikamba.choose("kukarabati kisima cha Mui")
        assert kikamba.choose("Hapana").startswith("END ")  # as by SMS: still no
        workers.drain()
        assert received(emulator, EN) == [text(app, "sms.commitment.thanks.yes", "en")]
        assert received(emulator, SW) == [text(app, "sms.commitment.thanks.partly", "sw")]
        with app.app_context():
            answers = {
                (a.contact_id, a.verdict, a.channel, a.ward)
                for a in db.session.scalars(select(FollowUpAnswer))
            }
        assert answers == {
            (area["en"], "no", "ussd", "Mui"),
            (area["sw"], "yes", "ussd", "Mui"),
            (area["kam"], "no", "ussd", "Mui"),
            (area["nuu"], "partly", "sms", "Nuu"),
        }
        page = session.get(f"/admin/commitments/{commitment}").get_data(as_text=True)
        assert _tally_rows(page, "ward-tally-1") == [["Mui", "1", "0", "2"], ["Nuu", "0", "1", "0"]]
        first = re.search(r'<tr id="round-1">(.*?)</tr>', page, re.S)
        assert first is not None  # the round's answers over all wards: yes 1, partly 1, no 2
        assert re.findall(r'<td class="num">(\d+)</td>', first.group(1)) == ["4", "1", "1", "2"]

    with time_machine.travel(MORNING + timedelta(days=29)):
        _run_rounds(workers)
        assert len(_rounds(app, commitment)) == 1  # not yet: every 30 days
    with time_machine.travel(MORNING + timedelta(days=30)):
        session = admin_as("admin")
        emulator.clear()
        _run_rounds(workers)
        assert _rounds(app, commitment)[1] == (2, "pending", DUE + timedelta(days=30), 4)
        _send(session, commitment, 2, app)
        workers.drain()
        assert received(emulator, EN) == [_question(app, "en")]  # asked again, in round 2
        at.sms(EN, "YES")
        workers.drain()
        with app.app_context():
            second = db.session.scalar(select(FollowUpRound.id).where(FollowUpRound.number == 2))
            assert [
                (a.round_id == second, a.verdict)
                for a in db.session.scalars(
                    select(FollowUpAnswer).where(FollowUpAnswer.contact_id == area["en"])
                )
            ] == [(False, "no"), (True, "yes")]
        path = f"/admin/commitments/{commitment}"
        session.post(f"{path}/status", {"status": "kept"}, page=path)
    with time_machine.travel(MORNING + timedelta(days=61)):
        _run_rounds(workers)
        assert len(_rounds(app, commitment)) == 2  # closed: not asked again
        with app.app_context():
            kept = db.session.get(Commitment, commitment)
            assert kept.status == "kept" and kept.status_set_by
    assert workers.failed() == []


def test_a_bare_number_answers_what_was_asked_last_a_poll_after_the_follow_up(
    app: Flask, admin_as, area, workers, emulator, at, api
) -> None:
    """When a poll's question reaches someone after the follow-up question, is their bare
    number a vote in the poll and not an answer to the follow-up?"""
    bearers = _bearers(app)
    with time_machine.travel(MORNING):
        session = admin_as("admin")
        commitment = _new_commitment(session, bearers["county"])
        _run_rounds(workers)
        _send(session, commitment, 1, app)
        workers.drain()
    with time_machine.travel(MORNING + timedelta(minutes=20)):
        poll = api.post(
            "/polls",
            {
                "keyword": "MGODI",
                "question": {"en": "Was the EIA meeting held in your ward?"},
                "options": [{"en": "Yes"}, {"en": "No"}],
                "county": "Kitui",
                "closes_at": (MORNING + timedelta(days=2)).isoformat(),
            },
        )
        assert poll.status_code == 201, poll.json
        assert api.post(f"/polls/{poll.json['id']}/send").status_code == 202
        workers.drain()
    with time_machine.travel(MORNING + timedelta(minutes=40)):
        at.sms(EN, "2")
        workers.drain()
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(FollowUpAnswer)) == 0
            assert (
                db.session.scalar(
                    select(Message.kind).where(Message.direction == "in", Message.phone == EN)
                )
                == "poll_vote"
            )


def test_the_scorecard_counts_each_duty_bearers_commitments_with_the_communitys_verdict(
    app: Flask, admin_as, area, workers, emulator, at
) -> None:
    """Does the scorecard give each duty bearer's commitments made, due, kept, partly kept, not
    kept and overdue, and the community's latest verdict, on the page and in the CSV?"""
    bearers = _bearers(app)
    with time_machine.travel(MORNING):
        session = admin_as("admin")
        overdue = _new_commitment(session, bearers["county"], due_on="2026-11-01")
        _new_commitment(session, bearers["county"], due_on="2027-03-01")  # due ahead
        for status in ("kept", "partly", "not_kept"):
            made = _new_commitment(session, bearers["company"], due_on="2026-10-01")
            path = f"/admin/commitments/{made}"
            session.post(f"{path}/status", {"status": status}, page=path)
        _run_rounds(workers)  # the open, overdue one: its round; the closed ones: none
        assert [n for n, *_ in _rounds(app, overdue)] == [2]  # 36 days after due: round 2
        _send(session, overdue, 2, app)
        workers.drain()
        at.sms(EN, "3")
        at.sms(SW, "HAPANA")
        at.sms(NUU, "1")
        workers.drain()
        page = session.get("/admin/commitments/scorecard").get_data(as_text=True)
        download = session.get("/admin/commitments/scorecard.csv")
    assert "Kitui County Government" in page and "No" in page
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows == [
        [
            "duty_bearer",
            "kind",
            "made",
            "due",
            "kept",
            "partly_kept",
            "not_kept",
            "overdue",
            "latest_verdict",
            "yes",
            "partly",
            "no",
        ],
        ["Kitui County Government", "county", "2", "1", "0", "0", "0", "1", "no", "1", "0", "2"],
        ["Mui Coal Company", "company", "3", "3", "1", "1", "1", "0", "", "0", "0", "0"],
        ["NEMA", "nema", "0", "0", "0", "0", "0", "0", "", "0", "0", "0"],
    ]


def test_a_commitment_is_checked_before_it_is_kept(app: Flask, admin_as) -> None:
    """Is a commitment refused with the reason when what was promised is too long, its wards
    are not of its county, or it is due before it was made, and nothing saved; and kept, to be
    shown on the public site, once corrected?"""
    bearers = _bearers(app)
    session = admin_as("admin")
    form = {
        "duty_bearer_id": str(bearers["county"]),
        "what_en": "x" * 121,
        "county": "Kitui",
        "wards": ["Ramisi"],
        "made_on": "2026-09-01",
        "due_on": "2026-08-01",
    }
    refused = session.post("/admin/commitments", form, page="/admin/commitments/new")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "at most 120 characters" in page
    assert "The wards must be wards of the chosen county." in page
    assert "The due date cannot come before the date it was made." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Commitment)) == 0
    made = _new_commitment(session, bearers["county"], public="on")  # the same, corrected
    assert "Shown on the scorecard" in session.get(f"/admin/commitments/{made}").get_data(True)
    with app.app_context():
        kept = db.session.get(Commitment, made)
        assert kept is not None and kept.public and kept.wards == ["Mui", "Nuu"]
        assert kept.what == WHAT and kept.made_at_event == "Mui platform meeting"


def test_the_api_escalates_a_report_and_records_the_response(
    app: Flask, api, workers, emulator
) -> None:
    """Can a token list and add duty bearers, escalate a report (reporter told by SMS) and
    record the response, refused a response before any escalation and a future time?"""
    report = _report(app, "R-APICAS", joined_contact(app, EN, "en"))
    made = api.post("/duty-bearers", {"name": "NEMA", "kind": "nema"})
    assert made.status_code == 201
    assert api.post("/duty-bearers", {"name": "nema", "kind": "nema"}).status_code == 409
    assert [b["name"] for b in api.get("/duty-bearers").json] == ["NEMA"]
    bare = api.patch(f"/reports/{report}", {"status": "escalated"})
    assert bare.status_code == 400 and "status" in bare.json["errors"]["json"]
    early = api.post(f"/reports/{report}/response", {"response": "Done."})
    assert early.status_code == 409 and "not been escalated" in early.json["message"]
    future = api.post(
        f"/reports/{report}/escalations",
        {"duty_bearer_id": made.json["id"], "how": "email", "escalated_at": "2099-01-01T10:00:00Z"},
    )
    assert future.status_code == 422
    escalated = api.post(
        f"/reports/{report}/escalations",
        {"duty_bearer_id": made.json["id"], "how": "email", "their_reference": "N/114"},
    )
    assert escalated.status_code == 201
    assert [(e["duty_bearer"]["name"], e["how"], e["their_reference"]) for e in escalated.json] == [
        ("NEMA", "email", "N/114")
    ]
    answered = api.post(f"/reports/{report}/response", {"response": "Inspection on Friday."})
    assert answered.status_code == 201 and answered.json[0]["response"] == "Inspection on Friday."
    assert api.get(f"/reports/{report}").json["status"] == "responded"
    workers.drain()
    assert received(emulator, EN) == [
        text(app, f"sms.report.status.{status}", "en", reference="R-APICAS")
        for status in ("escalated", "responded")
    ]
    (score,) = api.get("/duty-bearers/scorecard").json
    assert score["duty_bearer"]["name"] == "NEMA" and score["made"] == 0


def test_a_persons_answers_are_in_their_export_and_stay_as_counts_on_deletion(
    app: Flask, admin_as, area, workers, emulator, at
) -> None:
    """Are a person's answers to follow-ups in their export, and after they delete their data
    does the tally still count their answer (naming nobody)?"""
    bearers = _bearers(app)
    with time_machine.travel(MORNING):
        session = admin_as("admin")
        commitment = _new_commitment(session, bearers["county"])
        _run_rounds(workers)
        _send(session, commitment, 1, app)
        workers.drain()
        at.sms(SW, "NDIO")
        workers.drain()
    with app.app_context():
        contact = db.session.get(Contact, area["sw"])
        (answer,) = collect(contact)["commitment_answers"]
        assert (answer["answer"], answer["channel"], answer["round"]) == ("yes", "sms", 1)
        assert answer["commitment"] == WHAT and answer["duty_bearer"] == "Kitui County Government"
        anonymise(contact)
        db.session.commit()
        round_id = db.session.scalar(select(FollowUpRound.id))
        assert tally_by_ward(round_id) == {"Mui": {"yes": 1, "partly": 0, "no": 0}}


def _tally_rows(page: str, table: str) -> list[list[str]] | None:
    found = re.search(rf'<table id="{table}">(.*?)</table>', page, re.S)
    if found is None:
        return None
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in found.group(1).split("<tr>")]
    return [c for c in cells if c]


def test_a_rounds_answers_are_also_shown_by_community_platform(
    app: Flask, admin_as, area, workers, emulator, at
) -> None:
    """Are a round's answers shown by the community platform each answerer is in (a member of
    two in both, those in none in a group of their own), and not at all while no platform
    exists, as poll results are?"""
    bearers = _bearers(app)
    with time_machine.travel(MORNING):
        session = admin_as("admin")
        commitment = _new_commitment(session, bearers["county"])
        _run_rounds(workers)
        _send(session, commitment, 1, app)
        workers.drain()
        at.sms(EN, "1")
        at.sms(SW, "KIASI")
        at.sms(KAM, "3")
        at.sms(NUU, "PARTLY")
        workers.drain()
        path = f"/admin/commitments/{commitment}"
        assert _tally_rows(session.get(path).get_data(as_text=True), "platform-tally-1") is None
        with app.app_context():
            mui = Platform(name="Mui Basin Community Platform", code="MUI", county="Kitui")
            kanziku = Platform(name="Kanziku Community Platform", code="KANZIKU", county="Kitui")
            db.session.add_all([mui, kanziku])
            db.session.flush()
            db.session.add_all(
                Membership(platform_id=platform.id, contact_id=area[who], joined_via="sms")
                for platform, who in ((mui, "en"), (mui, "sw"), (kanziku, "sw"))
            )
            db.session.commit()
        page = session.get(path).get_data(as_text=True)
    assert "Round 1: answers by community platform" in page
    assert _tally_rows(page, "platform-tally-1") == [  # yes, partly, no
        ["Kanziku Community Platform", "0", "1", "0"],
        ["Mui Basin Community Platform", "1", "1", "0"],
        [text(app, "admin.polls.no_platform", "en"), "0", "1", "1"],
    ]


def _open_round(app: Flask, bearer_id: int) -> tuple[int, int]:
    """A commitment for Mui whose first round was sent: (commitment, round)."""
    with app.app_context():
        commitment = Commitment(
            duty_bearer_id=bearer_id,
            what=WHAT,
            county="Kitui",
            wards=["Mui"],
            made_on=DUE - timedelta(days=90),
            due_on=DUE,
        )
        db.session.add(commitment)
        db.session.flush()
        found = FollowUpRound(commitment_id=commitment.id, number=1, asked_on=DUE, status="sent")
        db.session.add(found)
        db.session.commit()
        return commitment.id, found.id


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_caller_answers_a_promise_on_the_voice_line(app: Flask, client, language: str) -> None:
    """Is Promises offered on the voice line only when one is followed up in the caller's area;
    does the caller hear what was promised and the three answers, and is their key counted?"""
    contact = joined_contact(app, AMINA, language)
    bearers = _bearers(app)
    menu = spoken(VoiceCaller(client, AMINA).answer())
    assert said(app, "voice.main.promises", language, key="0") not in menu  # none followed up
    _, round_id = _open_round(app, bearers["county"])
    caller = VoiceCaller(client, AMINA)
    assert said(app, "voice.main.promises", language, key="0") in spoken(caller.answer())
    listing = spoken(caller.press("0"))
    assert said(app, "voice.promises.title", language) in listing and WHAT[language] in listing
    answers = spoken(caller.press("1"))
    assert WHAT[language] in answers
    for key, verdict in enumerate(("yes", "partly", "no"), 1):
        assert said(app, f"voice.promises.{verdict}", language) in answers
        assert said(app, "voice.list.press", language, key=str(key)) in answers
    assert said(app, "voice.promises.thanks", language) in spoken(caller.press("2"))
    with app.app_context():
        (answer,) = db.session.scalars(select(FollowUpAnswer))
        assert (answer.round_id, answer.contact_id, answer.verdict, answer.channel) == (
            round_id,
            contact,
            "partly",
            "voice",
        )


def test_the_secretariat_keeps_the_list_of_duty_bearers(app: Flask, admin_as) -> None:
    """Can an admin add and rename duty bearers (a name taken twice refused, whatever its case),
    and a viewer read the list but not change it?"""
    admin = admin_as("admin")
    added = admin.post("/admin/duty-bearers", {"name": "NEMA", "kind": "nema"})
    assert added.status_code == 302
    again = admin.post("/admin/duty-bearers", {"name": "nema", "kind": "nema"}, page="/admin/")
    assert again.status_code == 409 and "There is already a duty bearer called nema" in (
        again.get_data(as_text=True)
    )
    bad = admin.post("/admin/duty-bearers", {"name": "Kanziku", "kind": "chief"}, page="/admin/")
    assert bad.status_code == 422
    with app.app_context():
        bearer = db.session.scalar(select(DutyBearer))
        assert bearer is not None and (bearer.name, bearer.kind) == ("NEMA", "nema")
    path = f"/admin/duty-bearers/{bearer.id}"
    renamed = admin.post(path, {"name": "NEMA Kitui office", "kind": "nema"})
    assert renamed.status_code == 302
    viewer = admin_as("viewer")
    listed = viewer.get("/admin/duty-bearers").get_data(as_text=True)
    assert "NEMA Kitui office" in listed and 'id="bearer-form"' not in listed
    refused = viewer.post("/admin/duty-bearers", {"name": "Police", "kind": "police"})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(DutyBearer.name)).all() == ["NEMA Kitui office"]


def test_the_commitments_list_filters_by_duty_bearer_status_county_and_overdue(
    app: Flask, admin_as
) -> None:
    """Does the list show only the commitments of the duty bearer, status, county chosen, or
    only the overdue ones (open after their due date)?"""
    bearers = _bearers(app)
    with time_machine.travel(MORNING):
        session = admin_as("admin")
        late = _new_commitment(session, bearers["county"], due_on="2026-11-01")
        ahead = _new_commitment(session, bearers["county"], due_on="2027-03-01")
        kept = _new_commitment(session, bearers["company"], due_on="2026-10-01")
        session.post(f"/admin/commitments/{kept}/status", {"status": "kept"}, page="/admin/")
        kwale = _new_commitment(session, bearers["nema"], county="Kwale", wards=[])

        def listed(**query: str) -> set[int]:
            page = session.get("/admin/commitments", query_string=query).get_data(as_text=True)
            return {int(n) for n in re.findall(r'href="/admin/commitments/(\d+)"', page)}

        assert listed() == {late, ahead, kept, kwale}
        assert listed(overdue="1") == {late}  # Kwale's is due today: not yet overdue
        assert listed(duty_bearer=str(bearers["county"])) == {late, ahead}
        assert listed(status="kept") == {kept}
        assert listed(county="Kwale") == {kwale}
        coordinator = admin_as("coordinator", counties=("Kwale",))
        page = coordinator.get("/admin/commitments").get_data(as_text=True)
        assert {int(n) for n in re.findall(r'href="/admin/commitments/(\d+)"', page)} == {kwale}
        assert coordinator.get(f"/admin/commitments/{late}").status_code == 404


def test_the_demo_has_duty_bearers_two_commitments_and_an_escalated_report(
    app: Flask, runner
) -> None:
    """Does `flask demo load` add the five kinds of duty bearer, two Kitui commitments (one
    overdue, one due ahead) and a verified report escalated to NEMA?"""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        kinds = set(db.session.scalars(select(DutyBearer.kind)))
        assert kinds == {"company", "county", "nema", "ministry", "police"}
        today = datetime.now(EAT).date()
        dues = sorted(c.due_on for c in db.session.scalars(select(Commitment)))
        assert len(dues) == 2 and dues[0] < today < dues[1]
        report = db.session.scalar(select(Report).where(Report.reference == "R-DEMO01"))
        assert report is not None and report.status == "escalated"
        steps = db.session.scalars(
            select(ReportEvent.to_status).where(ReportEvent.report_id == report.id)
        ).all()
        assert steps == ["verified", "escalated"]
        (escalation,) = db.session.scalars(select(Escalation))
        assert db.session.get(DutyBearer, escalation.duty_bearer_id).name == "NEMA"


def test_a_round_confirmed_in_the_quiet_hours_is_asked_when_they_end(
    app: Flask, admin_as, area, workers, emulator
) -> None:
    """Does a round the secretariat confirms at night wait for the end of the quiet hours?"""
    bearers = _bearers(app)
    night = datetime(2026, 12, 7, 21, 0, tzinfo=EAT)
    with time_machine.travel(night):
        session = admin_as("admin")
        commitment = _new_commitment(session, bearers["county"])
        _run_rounds(workers)
        _send(session, commitment, 1, app)
        workers.drain()
        assert emulator.messages() == []  # quiet hours: it waits
    with time_machine.travel(night + timedelta(hours=10, minutes=5)):  # 07:05 the next day
        workers.drain()
        assert received(emulator, EN) == [_question(app, "en")]
        assert received(emulator, SW) == [_question(app, "sw")]

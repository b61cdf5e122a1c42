"""Surveys: taken by SMS (keyword, one question after another, pauses and resumes) and on USSD
(one screen per question), invalid answers, partial responses, results by question and
dimension, the responses CSV and the API. Through Africa's Talking callbacks in its wire
format, real RQ workers and the emulator."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factories
import time_machine
from factories import EN, KAM, SW, joined_contact
from helpers import received, text
from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.surveys.models import SurveyAnswer, SurveyQuestion, SurveyResponse

EAT = ZoneInfo("Africa/Nairobi")
MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=EAT)  # a Monday, outside the quiet hours
TITLE = {"en": "Water survey", "sw": "Utafiti wa maji"}
PROMPTS = {
    "en": [
        "Is the river water safe to drink?",
        "How many people live in your home?",
        "What should HMK raise with the county?",
    ],
    "sw": [
        "Je, maji ya mto ni salama kunywa?",
        "Watu wangapi wanaishi nyumbani kwako?",
        "HMK iwasilishe nini kwa kaunti?",
    ],
}
OPTIONS = {"en": "1 Yes\n2 No\n3 Not sure", "sw": "1 Ndiyo\n2 Hapana\n3 Sina uhakika"}
KINDS = ["choice", "number", "text"]


def question(app, position: int, language: str = "en") -> str:
    """Question ``position`` of the water survey by SMS, as a speaker of ``language`` gets it."""
    written = "sw" if language == "kam" else language
    values: dict[str, object] = {
        "title": TITLE[written],
        "position": position,
        "count": 3,
        "prompt": PROMPTS[written][position - 1],
    }
    if position == 1:
        values["options"] = OPTIONS[written]
    return text(app, f"sms.survey.{KINDS[position - 1]}", language, **values)


def answers(app, phone: str, survey_id: int) -> tuple[dict[int, str], SurveyResponse | None]:
    """A respondent's answers by question position, and their response."""
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == phone))
        response = db.session.scalar(
            select(SurveyResponse).where(
                SurveyResponse.survey_id == survey_id, SurveyResponse.contact_id == contact.id
            )
        )
        if response is None:
            return {}, None
        rows = db.session.execute(
            select(SurveyQuestion.position, SurveyAnswer.value)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .where(SurveyAnswer.response_id == response.id)
        ).all()
        db.session.expunge(response)
        return dict(rows), response


def say(at, workers, phone: str, *texts: str) -> None:
    """Send each SMS and let the workers handle it (and send the answer) before the next."""
    for sms in texts:
        at.sms(phone, sms)
        workers.drain()


def test_a_survey_by_sms_with_pauses(app, at, people, workers, emulator):
    """Can someone take a survey by SMS one question after another, pause (a poll vote, HELP,
    hours of silence) and go on where they were, text the keyword again to be asked the waiting
    question, and finish; are the answers kept and the response complete."""
    with time_machine.travel(MORNING):
        ids = factories.surveys(app)
        factories.polls(app)
        say(at, workers, EN, "MAJI", "2", "MADINI 1")
    with time_machine.travel(MORNING + timedelta(hours=5)):
        say(at, workers, EN, "7", "HELP", "maji", "Clean the river and test the wells")
        say(at, workers, EN, "MAJI")
    assert received(emulator, EN) == [
        question(app, 1),
        question(app, 2),
        text(app, "sms.poll.thanks", "en", choice="Yes", keyword="MADINI"),
        question(app, 3),
        text(app, "sms.help", "en"),
        question(app, 3),
        text(app, "sms.survey.done", "en", title="Water survey"),
        text(app, "sms.survey.already_done", "en", title="Water survey"),
    ]
    assert received(emulator, EN)[:2] == [
        "Water survey (1/3): Is the river water safe to drink?\n1 Yes\n2 No\n3 Not sure\n"
        "Reply with the number of your answer.",
        "Water survey (2/3): How many people live in your home?\nReply with a number.",
    ]
    given, response = answers(app, EN, ids["open"])
    assert given == {1: "2", 2: "7", 3: "Clean the river and test the wells"}
    assert response is not None and response.completed_at is not None
    assert (response.channel, response.county, response.language) == ("sms", "Kitui", "en")


def test_a_newer_question_takes_the_next_sms_until_the_keyword_resumes(
    app, at, api, people, workers, emulator
):
    """When a poll's question reaches someone in the middle of a survey, does their bare number
    vote in the poll (the last question they were asked), and does the survey's keyword with an
    answer resume the survey, in Kiswahili."""
    with time_machine.travel(MORNING):
        ids = factories.surveys(app)
        polls = factories.polls(app)
        say(at, workers, SW, "MAJI")
        assert api.post(f"/polls/{polls['kwale']}/send").status_code == 202  # not SW's county
        workers.drain()
        say(at, workers, SW, "1")  # still the survey's: the Kwale question never came
        assert api.post(f"/polls/{polls['open']}/send").status_code == 202
        workers.drain()
        say(at, workers, SW, "3", "Maji 5", "Safisha mto")
    given, response = answers(app, SW, ids["open"])
    assert given == {1: "1", 2: "5", 3: "Safisha mto"}
    assert response is not None and response.completed_at is not None
    poll_question = received(emulator, SW)[2]
    assert poll_question.startswith("Je, kaunti ichapishe ripoti ya EIA ya mgodi?\n1 Ndiyo")
    assert received(emulator, SW) == [
        question(app, 1, "sw"),
        question(app, 2, "sw"),
        poll_question,
        text(app, "sms.poll.thanks", "sw", choice="Sina uhakika", keyword="MADINI"),
        question(app, 3, "sw"),
        text(app, "sms.survey.done", "sw", title="Utafiti wa maji"),
    ]


def test_invalid_answers_get_a_hint_and_the_question_again(app, at, people, workers, emulator):
    """Is an option that does not exist, or a number that is not a whole number from 0 to a
    million, answered with a hint and the same question, and nothing kept for it; do an
    option's words (any language) and 0 count."""
    ids = factories.surveys(app)
    say(at, workers, KAM, "MAJI", "7", "labda", "hapana", "-3", "2000000", "many", "0")
    invalid_choice = text(
        app, "sms.survey.invalid_choice", "kam", last=3, question=question(app, 1, "kam")
    )
    invalid_number = text(
        app, "sms.survey.invalid_number", "kam", max="1,000,000", question=question(app, 2, "kam")
    )
    assert received(emulator, KAM) == [
        question(app, 1, "kam"),
        invalid_choice,
        invalid_choice,
        question(app, 2, "kam"),
        invalid_number,
        invalid_number,
        invalid_number,
        question(app, 3, "kam"),
    ]
    assert invalid_number.startswith(
        "Tafadhali jibu kwa nambari kamili kutoka 0 hadi 1,000,000.\nUtafiti wa maji (2/3)"
    )
    given, response = answers(app, KAM, ids["open"])
    assert given == {1: "2", 2: "0"}
    assert response is not None and response.completed_at is None and response.next_position == 3


def test_a_survey_on_ussd_one_screen_per_question(app, phone, workers, emulator):
    """Can a caller find a survey under Polls, answer a choice from a list, a number (0 is an
    answer, not Back) and a text, be told plainly when a number is not one, and see the survey
    as done when they come back."""
    joined_contact(app, phone.number, "en")
    ids = factories.surveys(app)
    phone.dial()
    assert phone.choose("Polls").startswith("CON Polls and surveys\n1. Vote in a poll")
    assert phone.choose("Answer a survey").startswith("CON Surveys\n1. Water survey")
    first = phone.choose("Water survey")
    assert first == "CON 1/3 Is the river water safe to drink?\n1. Yes\n2. No\n3. Not sure"
    assert phone.choose("No") == "CON 2/3 How many people live in your home?"
    assert phone.press("many") == (
        "CON Please enter a whole number.\n2/3 How many people live in your home?"
    )
    assert phone.press("0") == "CON 3/3 What should HMK raise with the county?"
    assert phone.press("Dirty water from the mine") == (
        "END Thank you! Your answers to Water survey are saved."
    )
    given, response = answers(app, phone.number, ids["open"])
    assert given == {1: "2", 2: "0", 3: "Dirty water from the mine"}
    assert response is not None and response.completed_at is not None
    assert response.channel == "ussd"
    phone.dial()
    phone.choose("Polls")
    phone.choose("Answer a survey")
    assert phone.choose("Water survey") == "END Thank you! Your answers to Water survey are saved."
    workers.drain()
    assert emulator.messages() == []


def test_a_survey_left_on_ussd_goes_on_by_sms(app, at, phone, workers, emulator):
    """Is a survey left half-way on USSD kept as a partial response, offered on the next dial,
    and does texting its keyword ask the next question, in the caller's language."""
    joined_contact(app, phone.number, "sw")
    ids = factories.surveys(app)
    phone.dial()
    phone.choose("Kura za maoni")
    phone.choose("Jibu utafiti")
    phone.choose("Utafiti wa maji")
    second = phone.choose("Hapana")
    assert second.startswith("CON 2/3 Watu wangapi")
    # The caller drops; dialling again offers to go on, and brings back the same question.
    assert phone.dial() == "CON " + phone.text("ussd.resume", "sw") + "\n1. Ndiyo\n2. Hapana"
    assert phone.press("1") == second
    given, response = answers(app, phone.number, ids["open"])  # and hangs up again
    assert given == {1: "2"} and response is not None and response.completed_at is None
    say(at, workers, phone.number, "MAJI", "5")
    assert received(emulator, phone.number) == [question(app, 2, "sw"), question(app, 3, "sw")]
    given, response = answers(app, phone.number, ids["open"])
    assert given == {1: "2", 2: "5"} and response is not None and response.channel == "sms"


def test_results_and_responses_csv_mark_partial_responses(app, at, api, phone, people, workers):
    """Are the results exact by question (choices, numbers, texts) and by county, ward,
    language and channel, with partial responses counted and marked; does the CSV start with
    the UTF-8 byte-order mark, parse, have one row per respondent, and defuse formulas."""
    ids = factories.surveys(app)
    say(at, workers, EN, "MAJI", "2", "7", "Clean the river")
    say(at, workers, SW, "MAJI", "1")  # stops there: partial
    joined_contact(app, phone.number, "en", county="Kwale", ward="Ramisi")
    phone.dial()
    phone.choose("Polls")
    phone.choose("Answer a survey")
    phone.choose("Water survey")
    phone.choose("No")
    phone.press("3")
    phone.press("=HYPERLINK(1)")
    assert phone.ended

    body = api.get(f"/surveys/{ids['open']}/results").json
    respondents = body["respondents"]
    assert (respondents["total"], respondents["completed"], respondents["partial"]) == (3, 2, 1)
    assert respondents["by"]["county"] == [
        {"value": "Kitui", "total": 2, "completed": 1, "partial": 1},
        {"value": "Kwale", "total": 1, "completed": 1, "partial": 0},
    ]
    assert respondents["by"]["ward"] == [
        {"value": "Mui", "county": "Kitui", "total": 2, "completed": 1, "partial": 1},
        {"value": "Ramisi", "county": "Kwale", "total": 1, "completed": 1, "partial": 0},
    ]
    assert respondents["by"]["channel"] == [
        {"value": "sms", "total": 2, "completed": 1, "partial": 1},
        {"value": "ussd", "total": 1, "completed": 1, "partial": 0},
    ]
    choice, number, free = body["questions"]
    assert choice["answered"] == 3
    assert [(c["option"], c["count"], c["percent"]) for c in choice["counts"]] == [
        (1, 1, 33.3),
        (2, 2, 66.7),
        (3, 0, 0.0),
    ]
    assert [(g["value"], [c["count"] for c in g["counts"]]) for g in choice["by"]["language"]] == [
        ("en", [0, 2, 0]),
        ("sw", [1, 0, 0]),
    ]
    assert (number["answered"], number["min"], number["max"], number["mean"], number["median"]) == (
        2,
        3,
        7,
        5.0,
        5.0,
    )
    assert number["by"]["county"] == [
        {"value": "Kitui", "answered": 1, "min": 7, "max": 7, "mean": 7.0, "median": 7.0},
        {"value": "Kwale", "answered": 1, "min": 3, "max": 3, "mean": 3.0, "median": 3.0},
    ]
    assert free["answered"] == 2 and free["latest"] == ["=HYPERLINK(1)", "Clean the river"]

    download = api.get(f"/surveys/{ids['open']}/responses.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert len(rows) == 3
    q1, q2, q3 = (
        "Q1 Is the river water safe to drink?",
        "Q2 How many people live in your home?",
        "Q3 What should HMK raise with the county?",
    )
    summary = [
        (r["status"], r["answered"], r["channel"], r["county"], r["language"], r[q1], r[q2], r[q3])
        for r in rows
    ]
    assert summary == [
        ("complete", "3", "sms", "Kitui", "en", "No", "7", "Clean the river"),
        ("partial", "1", "sms", "Kitui", "sw", "Yes", "", ""),
        ("complete", "3", "ussd", "Kwale", "en", "No", "3", "'=HYPERLINK(1)"),
    ]
    assert rows[1]["completed_at"] == "" and rows[0]["completed_at"]


def test_closed_and_other_county_surveys_are_refused_politely(app, at, people, workers, emulator):
    """Is a closed survey's keyword, or another county's, answered plainly and nothing kept."""
    ids = factories.surveys(app)
    say(at, workers, EN, "JANA", "PWANI")
    assert received(emulator, EN) == [
        text(app, "sms.survey.closed", "en", title="Water survey"),
        text(app, "sms.survey.other_county", "en", title="Water survey", county="Kwale"),
    ]
    assert answers(app, EN, ids["closed"])[1] is None
    assert answers(app, EN, ids["kwale"])[1] is None


SURVEY = {
    "keyword": "Mazingira",
    "title": {"en": "Environment survey", "sw": "Utafiti wa mazingira"},
    "questions": [
        {
            "kind": "choice",
            "prompt": {"en": "Has dust from the mine reached your home?"},
            "options": [{"en": "Yes", "sw": "Ndiyo"}, {"en": "No", "sw": "Hapana"}],
        },
        {"kind": "number", "prompt": {"en": "How many goats have you lost this year?"}},
        {"kind": "text", "prompt": {"en": "What else should we know?"}},
    ],
}


def test_survey_api_creates_and_refuses_naming_the_field(app, api, at, workers, emulator):
    """Is a survey created through the API taken by SMS with its keyword; are 1 or 11
    questions, a choice with one option, a number with options, a keyword in use and a close
    before the open refused with 400 (409 for the keyword) naming the field; and is the API in
    the OpenAPI document."""
    factories.polls(app)
    closes = (datetime.now(EAT) + timedelta(days=3)).isoformat()
    created = api.post("/surveys", json={**SURVEY, "closes_at": closes})
    assert created.status_code == 201, created.json
    assert created.json["keyword"] == "MAZINGIRA" and created.json["status"] == "open"
    assert [q["kind"] for q in created.json["questions"]] == KINDS
    say(at, workers, EN, "mazingra")  # one letter out: still the survey
    assert received(emulator, EN)[0].startswith("Environment survey (1/3): Has dust")

    def refused(status: int, **changes: object) -> dict:
        response = api.post("/surveys", json={**SURVEY, "closes_at": closes, **changes})
        assert response.status_code == status, response.json
        return response.json["errors"]["json"]

    one = SURVEY["questions"][:1]
    assert "2 to 10 questions" in str(refused(400, keyword="MOJA", questions=one)["questions"])
    eleven = [SURVEY["questions"][1]] * 11
    assert "2 to 10 questions" in str(refused(400, keyword="KUMI", questions=eleven)["questions"])
    lonely = {"kind": "choice", "prompt": {"en": "Pick"}, "options": [{"en": "Only"}]}
    errors = refused(400, keyword="PEKE", questions=[lonely, SURVEY["questions"][1]])
    assert "2 to 9 options" in str(errors["questions"]["0"]["options"])
    counted = {**SURVEY["questions"][1], "options": [{"en": "A"}, {"en": "B"}]}
    errors = refused(400, keyword="HESABU", questions=[counted, SURVEY["questions"][2]])
    assert "Only a choice" in str(errors["questions"]["0"]["options"])
    assert (
        "kind"
        in refused(400, keyword="AINA", questions=[{"kind": "date", "prompt": {"en": "x"}}] * 2)[
            "questions"
        ]["0"]
    )
    assert "MAZINGIRA" in str(refused(409)["keyword"])
    assert "poll" in str(refused(409, keyword="madini")["keyword"])
    assert "own SMS keywords" in str(refused(400, keyword="JIUNGE")["keyword"])
    opens = (datetime.now(EAT) + timedelta(days=5)).isoformat()
    assert "after opens_at" in str(refused(400, keyword="BAADAYE", opens_at=opens)["closes_at"])
    spec = api.get("/openapi.json").json
    for path in ("/surveys", "/surveys/{survey_id}/results", "/surveys/{survey_id}/responses.csv"):
        assert f"/api/v1{path}" in spec["paths"], path
    assert api.get("/surveys/999/results").status_code == 404


def test_a_number_in_other_digits_is_asked_again_not_a_crash(app, at, people, workers, emulator):
    """Is a survey answer written with digits a phone does not send for a number (², an
    Arabic-Indic ٣, a thousand 9s) answered with the hint and the question again, like any
    other answer that is no number, and is the next plain number kept."""
    ids = factories.surveys(app)
    say(at, workers, EN, "MAJI", "1", "²", "٣", "9" * 1000, "4")
    invalid_number = text(
        app, "sms.survey.invalid_number", "en", max="1,000,000", question=question(app, 2)
    )
    assert received(emulator, EN) == [
        question(app, 1),
        question(app, 2),
        invalid_number,
        invalid_number,
        invalid_number,
        question(app, 3),
    ]
    given, _ = answers(app, EN, ids["open"])
    assert given == {1: "1", 2: "4"}
    assert workers.failed() == []

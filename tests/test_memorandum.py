"""A consultation's memorandum (its page and its Word file), its CSV export, and "you said, we
did": every number of the memorandum recomputed from the CSV export the secretariat downloads,
quotes masked and never an erased comment's, the participants' SMS only after the estimate was
confirmed, in each one's language."""

from __future__ import annotations

import csv
import html as html_module
import io
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
import time_machine
from factories import joined_contact
from helpers import confirmation, received, text
from sqlalchemy import func, select

from gateway import demo
from gateway.consultations import demo as sample
from gateway.consultations.models import (
    Clause,
    Coding,
    Comment,
    CommentTheme,
    Consultation,
    Position,
    Theme,
)
from gateway.extensions import db, utcnow
from gateway.sms.models import Message

EAT = ZoneInfo("Africa/Nairobi")
MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=EAT)  # a Monday, outside the quiet hours
STANCE = {"agree": "Agree", "disagree": "Disagree", "not_sure": "Not sure"}
CHANNEL = {"ussd": "USSD", "sms": "SMS", "voice": "Voice"}


# -- what the tests read: the CSV export, the Word file, the page ----------------------------


def export(session: Any, consultation_id: int) -> list[dict[str, str]]:
    response = session.get(f"/admin/consultations/{consultation_id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def word_file(session: Any, consultation_id: int, lang: str = "en") -> Any:
    response = session.get(f"/admin/consultations/{consultation_id}/memorandum.docx?lang={lang}")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    return docx.Document(io.BytesIO(response.get_data()))


def cells(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


class Tables(HTMLParser):
    """The page's tables (``data-table``), as lists of rows of cell texts, header row first."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._key: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._key = dict(attrs).get("data-table")
            if self._key:
                self.tables[self._key] = []
        elif self._key and tag == "tr":
            self.tables[self._key].append([])
        elif self._key and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._key = None
        elif self._key and tag in ("td", "th") and self._cell is not None:
            self.tables[self._key][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0.0%"


# -- the memorandum's tables recomputed from the CSV export, independently of the gateway ---


def counted_themes(row: dict[str, str]) -> list[str]:
    """The themes that count for a comment by the rule the export documents: given by at least
    half of the coders who coded it (recomputed from its votes, and checked against its
    ``themes`` column)."""
    found = []
    for vote in filter(None, row["theme_votes"].split("; ")):
        name, _, share = vote.rpartition(" ")
        given, coders = (int(n) for n in share.split("/"))
        assert coders == int(row["coders"])
        if 2 * given >= coders:
            found.append(name)
    assert ";".join(found) == row["themes"]
    return found


def expected_tables(rows: list[dict[str, str]], language_names: dict[str, str]) -> list[Any]:
    """(kind, clause, {label: numbers}) for each table, in the memorandum's order."""
    people: dict[str, set[str]] = defaultdict(set)  # "county:Kitui" -> participants
    everyone = set()
    for row in rows:
        if not row["participant"]:
            continue
        everyone.add(row["participant"])
        people["county:" + (row["county"] or "Not known")].add(row["participant"])
        people["language:" + language_names.get(row["language"], "Not known")].add(
            row["participant"]
        )
        people["channel:" + CHANNEL.get(row["channel"], "Not known")].add(row["participant"])
        people["ward:" + (row["county"] or "Not known") + "/" + (row["ward"] or "Not known")].add(
            row["participant"]
        )
    total = len(everyone)

    def by(kind: str) -> dict[tuple[str, ...], list[str]]:
        return {
            tuple(key.split(":", 1)[1].split("/", 1))
            if kind == "ward"
            else (key.split(":", 1)[1],): [
                str(len(who)),
                percent(len(who), total),
            ]
            for key, who in people.items()
            if key.startswith(kind + ":")
        }

    clauses = sorted({int(row["clause"]) for row in rows})
    positions = [r for r in rows if r["record"] == "position"]
    comments = [r for r in rows if r["record"] == "comment"]
    tables: list[Any] = [("county", None, by("county")), ("language", None, by("language"))]
    tables.append(("channel", None, by("channel")))
    annex: list[Any] = [("ward", None, by("ward"))]
    for clause in clauses:
        stances = Counter(r["stance"] for r in positions if int(r["clause"]) == clause)
        n = sum(stances.values())
        table = {(STANCE[s],): [str(stances[s]), percent(stances[s], n)] for s in STANCE}
        table[("Total",)] = [str(n), percent(n, n)]
        tables.append(("positions", clause, table))
        on_clause = [r for r in comments if int(r["clause"]) == clause]
        themes = Counter(t for r in on_clause for t in counted_themes(r))
        all_themes = {
            (name,): [str(count), percent(count, len(on_clause))] for name, count in themes.items()
        }
        tables.append(("themes", clause, all_themes))
        counties: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for r in positions:
            if int(r["clause"]) == clause:
                counties[(r["county"] or "Not known",)][r["stance"]] += 1
        annex.append(
            (
                "counties",
                clause,
                {
                    county: [str(c[s]) for s in STANCE] + [str(sum(c.values()))]
                    for county, c in counties.items()
                },
            )
        )
        annex.append(("all_themes", clause, all_themes))
    return tables + annex


def check_table(found: list[list[str]], kind: str, expected: dict[tuple[str, ...], list[str]]):
    """``found`` (header row first) says what ``expected`` says: every label's numbers."""
    labels = 2 if kind == "ward" else 1
    shown = {
        tuple(row[:labels]): [str(number(c)) if c[-1:].isdigit() else c for c in row[labels:]]
        for row in found[1:]
    }
    if kind == "themes":  # the five main themes: each right, and none left out that has more
        assert len(shown) == min(5, len(expected))
        for label, values in shown.items():
            assert expected[label] == values, (kind, label)
        left_out = [int(v[0]) for k, v in expected.items() if k not in shown]
        assert max(left_out, default=0) <= min(int(v[0]) for v in shown.values()) if shown else True
    else:
        assert shown == expected, (kind, found[0])


@pytest.fixture
def demo_consultation(app: Any) -> int:
    with app.app_context():
        demo.load()
        found: int = db.session.scalar(
            select(Consultation.id).where(Consultation.keyword == sample.CONSULTATION_KEYWORD)
        )
        return found


def test_the_demo_memorandum_in_word_says_what_the_csv_export_says(
    app, admin_as, demo_consultation
):
    """Can the secretariat download the demo consultation's memorandum for Word, and is every
    number in each of its tables (participants by county, language, channel and ward; each
    clause's positions and themes) the one recomputed from the CSV export; does its cover say
    it is sample content, its method statement count the same people, positions and comments,
    and its quotes the CSV's quotable comments, the first five of each clause?"""
    session = admin_as("admin")
    rows = export(session, demo_consultation)
    document = word_file(session, demo_consultation)
    with app.app_context():
        catalogs = app.extensions["catalogs"]
        names = {code: catalogs.language_name(code, "en") for code in ("en", "sw", "kam")}
        clause_count = db.session.scalar(
            select(func.count()).where(Clause.consultation_id == demo_consultation)
        )
    expected = expected_tables(rows, names)
    tables = document.tables
    # 3 participation tables, 2 per clause, the ward table and 2 per clause in the annex
    assert len(tables) == len(expected) == 4 + 4 * clause_count
    for table, (kind, _clause, figures) in zip(tables, expected, strict=True):
        check_table(cells(table), kind, figures)
    assert sum(number(row[1]) for row in cells(tables[0])[1:]) == len(
        {r["participant"] for r in rows}
    )

    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0].startswith("Memorandum on the Mining (Community Development")
    assert "Sample content" in paragraphs[1]
    assert "To: The Cabinet Secretary, Ministry of Mining (sample)" in paragraphs
    people = len({r["participant"] for r in rows if r["participant"]})
    positions = sum(r["record"] == "position" for r in rows)
    comments = sum(r["record"] == "comment" for r in rows)
    took_part = next(p for p in paragraphs if "people took part, by" in p)
    assert took_part.startswith(f"{people} people took part")
    assert f"{positions} positions on {clause_count} clauses and {comments} comments" in took_part
    coded = sum(r["coders"] not in ("", "0") for r in rows if r["record"] == "comment")
    double = sum(int(r["coders"] or 0) >= 2 for r in rows if r["record"] == "comment")
    coders = {c for r in rows if r["record"] == "comment" for c in r["coded_by"].split(";") if c}
    coding = paragraphs[paragraphs.index(took_part) + 1]
    assert coding.startswith(f"{coded} of the {comments} comments were coded by theme, by ")
    assert f", by {len(coders)} coders;" in coding and len(coders) == 2
    assert f"{double} comments were coded by two or more" in "\n".join(paragraphs)

    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    csv_quotes: dict[int, list[str]] = defaultdict(list)
    for row in sorted(
        (r for r in rows if r["quote"]), key=lambda r: (int(r["clause"]), int(r["comment"]))
    ):
        csv_quotes[int(row["clause"])].append(row["quote"])
    wanted = [q for clause in sorted(csv_quotes) for q in csv_quotes[clause][:5]]
    assert wanted and [q.split("\u201d")[0].lstrip("\u201c") for q in quotes] == wanted


def test_the_memorandum_page_shows_the_word_files_tables_and_prints(
    app, admin_as, demo_consultation
):
    """Does the printable memorandum page show the very tables of the Word file, in English
    and in Kiswahili (the officer's choice), with print styles; and is an unknown language
    refused with a reason?"""
    session = admin_as("admin")
    base = f"/admin/consultations/{demo_consultation}/memorandum"
    for lang in ("en", "sw"):
        page = session.get(f"{base}?lang={lang}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        shown = page_tables(html)
        document = word_file(session, demo_consultation, lang)
        assert list(shown.values()) == [cells(t) for t in document.tables]
        assert "memorandum.css" in html
    assert "Waraka kuhusu" in html and "Maudhui ya mfano" in html  # the Kiswahili version
    assert document.tables[3].rows[1].cells[0].text == "Wanakubali"
    sheet = session.get("/admin/static/memorandum.css")
    css = sheet.get_data(as_text=True)
    sheet.close()
    assert "@media print" in css and "header.top" in css
    refused = session.get(f"{base}?lang=xx")
    assert refused.status_code == 400
    assert 'no language "xx"' in html_module.unescape(refused.get_data(as_text=True))
    assert session.get("/admin/consultations/999/memorandum").status_code == 404


# -- quotes and erasure ------------------------------------------------------------------------


def small_consultation(app: Any, keyword: str = "MAONI") -> dict[str, int]:
    """A consultation of one clause: four people, comments some of which may be quoted."""
    ids = {
        name: joined_contact(app, phone, language, "Kitui", "Mui")
        for name, phone, language in (
            ("en", "+254711000001", "en"),
            ("sw", "+254711000002", "sw"),
            ("kam", "+254711000003", "kam"),
            ("late", "+254711000004", "sw"),
        )
    }
    with app.app_context():
        now = utcnow()
        consultation = Consultation(
            keyword=keyword,
            title={"en": "Draft CDA rules", "sw": "Rasimu ya kanuni za CDA"},
            draft_name="Mining (Community Development Agreement) Regulations",
            issuing_body="Ministry of Mining",
            opens_at=now - timedelta(days=10),
            closes_at=now - timedelta(days=1),
            clauses=[Clause(number=1, reference="Regulation 4", summary={"en": "Sign first."})],
        )
        db.session.add(consultation)
        db.session.flush()
        clause = consultation.clauses[0]
        for name in ("en", "sw", "kam"):
            db.session.add(
                Position(
                    consultation_id=consultation.id,
                    clause_id=clause.id,
                    contact_id=ids[name],
                    stance="agree",
                    channel="ussd",
                    county="Kitui",
                    ward="Mui",
                    language=name,
                )
            )

        def comment(who: str, words: str, quote_ok: bool, quoted: bool) -> int:
            row = Comment(
                consultation_id=consultation.id,
                clause_id=clause.id,
                contact_id=ids[who],
                text=words,
                channel="sms",
                county="Kitui",
                ward="Mui",
                language="en",
                quote_ok=quote_ok,
                quoted=quoted,
            )
            db.session.add(row)
            db.session.flush()
            return row.id

        ids["masked"] = comment(
            "en", "The river at Mui is black. Our chairman Musyoka took 5000 shillings.", 1, 1
        )
        ids["erased"] = comment("sw", "Maji ya kisima cha Nthenya yamekauka kabisa.", 1, 1)
        ids["not_ok"] = comment("kam", "Nobody asked us before the blasting.", 0, 1)
        ids["not_picked"] = comment("late", "Fidia ilipwe kwanza kabisa.", 1, 0)
        theme = Theme(consultation_id=consultation.id, name="water")
        db.session.add(theme)
        db.session.flush()
        coder = _coder(app)
        db.session.add(Coding(comment_id=ids["erased"], coder_id=coder))
        db.session.add(CommentTheme(comment_id=ids["erased"], theme_id=theme.id, coder_id=coder))
        db.session.commit()
        ids["consultation"] = consultation.id
    return ids


def _coder(app: Any) -> int:
    from gateway.users.models import User

    user = User(email="coder@hmk.example", name="Coder", role="admin", password_hash="x")
    db.session.add(user)
    db.session.flush()
    return user.id


def test_quotes_are_masked_and_an_erased_comment_is_counted_but_never_quoted(app, admin_as):
    """Does the memorandum quote only comments their authors let be quoted and the secretariat
    picked, with names and numbers masked; and once a person's data is erased (their comment's
    words emptied, as FUTA does), is their comment still counted (and its theme) but quoted
    nowhere, neither in the memorandum nor in the CSV export?"""
    ids = small_consultation(app)
    session = admin_as("admin")
    cid = ids["consultation"]
    before = word_file(session, cid)
    quotes = [p.text for p in before.paragraphs if p.style.name == "Quote"]
    assert quotes == [
        "\u201cThe river at Mui is black. Our chairman [name] took [number] shillings.\u201d"
        " (Kitui, SMS)",
        "\u201cMaji ya kisima cha [name] yamekauka kabisa.\u201d (Kitui, SMS)",
    ]
    with app.app_context():  # the person's erasure, as their FUTA leaves the comment
        erased = db.session.get(Comment, ids["erased"])
        erased.text, erased.erased_at = None, utcnow()
        db.session.commit()
    after = word_file(session, cid)
    html = session.get(f"/admin/consultations/{cid}/memorandum").get_data(as_text=True)
    rows = export(session, cid)
    everything = "\n".join(p.text for p in after.paragraphs) + html + str(rows)
    for secret in ("Nthenya", "Musyoka", "5000", "kisima", "Nobody asked", "Fidia"):
        assert secret not in everything
    assert [p.text for p in after.paragraphs if p.style.name == "Quote"] == quotes[:1]
    comments = [r for r in rows if r["record"] == "comment"]
    assert len(comments) == 4 and [r["erased"] for r in comments] == ["no", "yes", "no", "no"]
    assert [bool(r["quote"]) for r in comments] == [True, False, False, False]
    assert comments[1]["themes"] == "water" and comments[1]["coders"] == "1"
    assert re.fullmatch(r"C[0-9a-f]{12}", comments[1]["coded_by"])
    assert comments[1]["theme_votes"] == "water 1/1"
    assert cells(after.tables[4])[1:] == [["water", "1", "25.0%"]]  # still counted
    assert "Comments on this clause: 4." in [p.text for p in after.paragraphs]


def test_the_csv_export_names_nobody_and_keeps_each_participant_under_one_pseudonym(app, admin_as):
    """Does the CSV export carry no phone number nor any typed words but the masked quotes,
    give one person the same pseudonym on every row and in every download, and another in
    another consultation; and may a viewer download it but not a radio host?"""
    ids = small_consultation(app)
    other = small_consultation_again(app, ids)
    session = admin_as("admin")
    rows = export(session, ids["consultation"])
    assert rows == export(session, ids["consultation"])
    body = str(rows)
    assert "+2547" not in body and "254711" not in body and "711000" not in body
    position = {r["language"]: r["participant"] for r in rows if r["record"] == "position"}
    en_comment = next(
        r for r in rows if r["record"] == "comment" and r["comment"] == str(ids["masked"])
    )
    assert en_comment["participant"] == position["en"] and len(set(position.values())) == 3
    assert re.fullmatch(r"P[0-9a-f]{12}", position["en"])
    elsewhere = export(session, other)
    assert position["en"] not in str(elsewhere)
    assert admin_as("viewer").get(f"/admin/consultations/{other}/export.csv").status_code == 200
    host = admin_as("radio_host")
    assert host.get(f"/admin/consultations/{other}/export.csv").status_code == 403


def small_consultation_again(app: Any, ids: dict[str, int]) -> int:
    """A second consultation in which the first one's English speaker took part."""
    with app.app_context():
        now = utcnow()
        consultation = Consultation(
            keyword="MAONI2",
            title={"en": "Another draft"},
            draft_name="Another draft",
            issuing_body="NEMA",
            opens_at=now - timedelta(days=3),
            closes_at=now + timedelta(days=3),
            clauses=[Clause(number=1, reference="Section 2", summary={"en": "x"})],
        )
        db.session.add(consultation)
        db.session.flush()
        db.session.add(
            Position(
                consultation_id=consultation.id,
                clause_id=consultation.clauses[0].id,
                contact_id=ids["en"],
                stance="disagree",
                channel="sms",
            )
        )
        db.session.commit()
        return consultation.id


# -- you said, we did ----------------------------------------------------------------------------


def test_you_said_we_did_estimate_then_one_sms_each_in_their_language_and_the_dates(
    app, admin_as, workers, emulator
):
    """Does "you said, we did" show the estimate (participants by language, cost) and send
    nothing before the officer confirms it; then text each participant with consent once, in
    their language (Kikamba reads Kiswahili until its text is written), nobody who stopped or
    never joined nor anyone who did not take part, and record the date; does a second
    confirmation send nobody anything again; and is the issuing body's answer sent only after
    the memorandum, with its gist, and both dates shown?"""
    with time_machine.travel(MORNING, tick=True):
        ids = small_consultation(app)
        stopped = joined_contact(app, "+254711000005", "en", opted_out=True)
        never_joined = joined_contact(app, "+254711000006", "sw", consent=False)
        joined_contact(app, "+254711000007", "en")  # subscribed, but did not take part
        with app.app_context():
            cid = ids["consultation"]
            clause = db.session.scalar(select(Clause.id).where(Clause.consultation_id == cid))
            for contact in (stopped, never_joined):
                db.session.add(
                    Position(
                        consultation_id=cid,
                        clause_id=clause,
                        contact_id=contact,
                        stance="disagree",
                        channel="sms",
                    )
                )
            db.session.commit()
        session = admin_as("admin")
        path = f"/admin/consultations/{cid}/you-said"
        page = session.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Tell the participants the memorandum has gone in" in html
        # en, kam, sw and the late sw commenter; the one who stopped and the one who never
        # joined are left out, and the subscriber who did not take part is not counted at all
        assert "Total: 4 people · messages: 4 · KES" in html
        assert "Left out: 1 without consent, 1 opted out." in html
        assert 'id="estimate-consultation_submitted-sw"' in html
        assert 'id="estimate-consultation_submitted-kam"' in html
        assert 'id="estimate-budget"' in html
        # A post without the estimate's token is shown the estimate again: nothing goes.
        asked = session.post(path, {"notice": "submitted"})
        assert asked.status_code == 200 and 'name="estimate_token"' in asked.get_data(as_text=True)
        workers.drain()
        with app.app_context():
            assert db.session.get(Consultation, cid).submitted_at is None
            assert db.session.scalar(select(func.count()).select_from(Message)) == 0
        assert emulator.messages() == []

        done = session.post(path, confirmation(html), page=path)
        assert done.status_code == 302
        workers.drain()
        assert workers.failed() == []
        title = {
            "en": "Draft CDA rules",
            "sw": "Rasimu ya kanuni za CDA",
            "kam": "Rasimu ya kanuni za CDA",
        }
        key = "sms.consultation.you_said.submitted"
        for phone, language in (
            ("+254711000001", "en"),
            ("+254711000002", "sw"),
            ("+254711000003", "kam"),
            ("+254711000004", "sw"),
        ):
            got = received(emulator, phone)
            assert len(got) == 1 and got[0].startswith(
                text(app, key, language, title=title[language])
            )
        for phone in ("+254711000005", "+254711000006", "+254711000007"):
            assert received(emulator, phone) == []
        assert received(emulator, "+254711000003")[0].startswith("HMK: asante")  # sw fallback
        with app.app_context():
            submitted_at = db.session.get(Consultation, cid).submitted_at
            assert submitted_at is not None
        # Confirmed again (a double click, a second officer): nobody is texted twice.
        again = session.get(path + "?notice=submitted").get_data(as_text=True)
        assert "Nobody left to tell" in again
        session.post(path, confirmation(html), page=path)
        workers.drain()
        assert len(emulator.messages()) == 4
        with app.app_context():
            assert db.session.get(Consultation, cid).submitted_at == submitted_at

        # The answer: its gist is needed, then the same estimate and confirmation.
        answer_page = session.get(path + "?notice=responded").get_data(as_text=True)
        assert "Tell the participants the issuing body has answered" in answer_page
        form = confirmation(answer_page)
        refused = session.post(path, {**form, "response_note": " "}, page=path)
        assert refused.status_code == 400
        assert "Write the answer in short" in refused.get_data(as_text=True)
        form["response_note"] = "The Ministry will publish a second draft with the committee."
        assert session.post(path, form, page=path).status_code == 302
        workers.drain()
        key = "sms.consultation.you_said.responded"
        sw = received(emulator, "+254711000002")
        assert len(sw) == 2 and sw[1].startswith(
            text(app, key, "sw", title=title["sw"], body="Ministry of Mining")
        )
        assert len(emulator.messages()) == 8
        with app.app_context():
            consultation = db.session.get(Consultation, cid)
            assert consultation.responded_at is not None
            assert consultation.response_note.startswith("The Ministry will publish")
        memo = session.get(f"/admin/consultations/{cid}/memorandum").get_data(as_text=True)
        assert 'id="submitted-at"' in memo and "07 Dec 2026" in memo
        assert "The Ministry will publish a second draft" in memo


def test_the_answer_cannot_be_sent_before_the_memorandum_and_a_viewer_sends_nothing(app, admin_as):
    """Is the issuing body's answer refused, with the reason, while the memorandum has not gone
    in; is an unknown notice refused with a reason; and may a viewer read the memorandum but
    neither be offered nor allowed to send?"""
    ids = small_consultation(app)
    session = admin_as("admin")
    path = f"/admin/consultations/{ids['consultation']}/you-said"
    page = session.get(path + "?notice=responded").get_data(as_text=True)
    assert "Record the memorandum as submitted first." in page and "confirm-send" not in page
    refused = session.post(path, {"notice": "responded", "response_note": "An answer"})
    assert refused.status_code == 400
    assert "Record the memorandum as submitted first." in refused.get_data(as_text=True)
    unknown = session.post(path, {"notice": "withdrawn"})
    assert unknown.status_code == 400
    assert 'no notice "withdrawn"' in html_module.unescape(unknown.get_data(as_text=True))
    viewer = admin_as("viewer")
    memo = viewer.get(f"/admin/consultations/{ids['consultation']}/memorandum")
    assert memo.status_code == 200 and "memo-you-said" not in memo.get_data(as_text=True)
    assert viewer.get(path).status_code == 403
    assert viewer.post(path, {"notice": "submitted"}, page="/admin/").status_code == 403
    with app.app_context():
        assert db.session.get(Consultation, ids["consultation"]).submitted_at is None


def test_you_said_we_did_never_goes_past_the_months_budget(app, admin_as, emulator):
    """When telling the participants would take the month's spending over the budget, is the
    officer told so, offered no button, and is a confirmation refused with the reason, nothing
    sent and no date recorded?"""
    from dataclasses import replace

    ids = small_consultation(app)
    app.config["GATEWAY"] = replace(app.config["GATEWAY"], monthly_budget_kes=1)
    session = admin_as("admin")
    path = f"/admin/consultations/{ids['consultation']}/you-said"
    page = session.get(path).get_data(as_text=True)
    assert 'id="you-said-over-budget"' in page and 'id="confirm-send"' not in page
    asked = session.post(path, {"notice": "submitted"}).get_data(as_text=True)
    assert 'class="flash error over-budget"' in asked  # the estimate says it too
    refused = session.post(path, confirmation(asked), page=path)
    assert refused.status_code == 400
    assert "over the budget: nothing is sent" in html_module.unescape(
        refused.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(Consultation, ids["consultation"]).submitted_at is None
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert emulator.messages() == []

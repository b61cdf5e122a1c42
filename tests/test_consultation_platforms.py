"""Community platforms as a dimension of a consultation (issue #18): the admin page's positions
per clause by platform (members now, a member of two in both, "In no platform" for the others,
nothing while no platform exists) and the CSV export's ``platforms`` column."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta
from typing import Any

from factories import joined_contact
from flask import Flask

from gateway.consultations.export import pseudonyms
from gateway.consultations.models import Clause, Comment, Consultation, Position
from gateway.extensions import db, utcnow
from gateway.platforms.models import Membership, Platform


def _platforms(app: Flask) -> dict[str, int]:
    """Two Kitui platforms (MUI, KANZIKU) and one in Kwale (VANGA) nobody is in; ids by code."""
    with app.app_context():
        made = [
            Platform(name="Mui Basin Community Platform", code="MUI", county="Kitui"),
            Platform(name="Kanziku Community Platform", code="KANZIKU", county="Kitui"),
            Platform(name="Vanga Community Platform", code="VANGA", county="Kwale"),
        ]
        db.session.add_all(made)
        db.session.commit()
        return {p.code: p.id for p in made}


# Who takes part, the platforms they are in, their stance on clauses 1 and 2 (None: no
# position), and whether they comment on clause 1.
PEOPLE = {
    "mui": ("+254711000301", ("MUI",), "agree", "agree", True),
    "kanziku": ("+254711000302", ("KANZIKU",), "disagree", None, False),
    "both": ("+254711000303", ("MUI", "KANZIKU"), "agree", None, False),
    "none": ("+254711000304", (), "not_sure", "disagree", True),
}


def _consultation(app: Flask, platforms: dict[str, int] | None) -> dict[str, Any]:
    """The consultation's id and each person's contact id."""
    contacts = {who: joined_contact(app, phone) for who, (phone, *_) in PEOPLE.items()}
    with app.app_context():
        consultation = Consultation(
            keyword="MAONI",
            title={"en": "Community development agreements"},
            draft_name="Draft",
            issuing_body="Ministry of Mining",
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=10),
            clauses=[
                Clause(number=1, reference="Regulation 4", summary={"en": "A plan."}),
                Clause(number=2, reference="Regulation 7(2)", summary={"en": "Compensation."}),
            ],
        )
        db.session.add(consultation)
        db.session.flush()
        one, two = consultation.clauses
        for who, (_, codes, first, second, comments) in PEOPLE.items():
            for code in codes if platforms else ():
                db.session.add(
                    Membership(
                        platform_id=platforms[code], contact_id=contacts[who], joined_via="sms"
                    )
                )
            for clause, stance in ((one, first), (two, second)):
                if stance:
                    db.session.add(
                        Position(
                            consultation_id=consultation.id,
                            clause_id=clause.id,
                            contact_id=contacts[who],
                            stance=stance,
                            channel="sms",
                            county="Kitui",
                        )
                    )
            if comments:
                db.session.add(
                    Comment(
                        consultation_id=consultation.id,
                        clause_id=one.id,
                        contact_id=contacts[who],
                        text="Maji ya mto yamechafuka.",
                        channel="sms",
                        county="Kitui",
                    )
                )
        db.session.commit()
        return {"consultation": consultation.id, "contacts": contacts}


def _by_platform(page: str) -> dict[tuple[str, str], list[str]]:
    """The by-platform table's rows: (clause number, platform as shown) -> the stance cells and
    the positions."""
    table = re.search(r'<table id="clause-platforms">.*?</table>', page, re.S)
    assert table is not None
    found = {}
    for row in re.findall(r"<tr data-clause.*?</tr>", table.group(), re.S):
        cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        found[cells[0], cells[1]] = cells[2:]
    return found


def _export(session: Any, consultation_id: int) -> list[dict[str, str]]:
    response = session.get(f"/admin/consultations/{consultation_id}/export.csv")
    assert response.status_code == 200
    body = response.get_data(as_text=True).removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_consultation_page_shows_each_clauses_positions_by_platform(app, admin_as):
    """Does the page count each position under every platform its author is a member of now
    (the member of two in both), the others under "In no platform", with the percentages of the
    group, a platform with nobody left out, and in Kiswahili too?"""
    ids = _consultation(app, _platforms(app))
    session = admin_as("viewer")
    page = html.unescape(session.get(f"/admin/consultations/{ids['consultation']}").get_data(True))
    assert "Positions by community platform (members now)" in page
    assert _by_platform(page) == {
        ("1", "Kanziku Community Platform"): ["1 (50%)", "1 (50%)", "0 (0%)", "2"],
        ("1", "Mui Basin Community Platform"): ["2 (100%)", "0 (0%)", "0 (0%)", "2"],
        ("1", "In no platform"): ["0 (0%)", "0 (0%)", "1 (100%)", "1"],
        ("2", "Mui Basin Community Platform"): ["1 (100%)", "0 (0%)", "0 (0%)", "1"],
        ("2", "In no platform"): ["0 (0%)", "1 (100%)", "0 (0%)", "1"],
    }
    assert list(_by_platform(page))[:3] == [  # platforms by name, "In no platform" last
        ("1", "Kanziku Community Platform"),
        ("1", "Mui Basin Community Platform"),
        ("1", "In no platform"),
    ]
    assert "Vanga" not in page
    # The clause's overall figures are unchanged: each person once.
    row = re.search(r'<tr id="clause-1">.*?</tr>', page, re.S)
    assert row is not None and '<td class="num" data-stance="agree">2 (50%)</td>' in row.group()

    kiswahili = admin_as("viewer", email="juma@hmk.example", language="sw")
    sw_page = html.unescape(
        kiswahili.get(f"/admin/consultations/{ids['consultation']}").get_data(True)
    )
    assert "Misimamo kwa jukwaa la jamii (wanachama sasa)" in sw_page
    assert _by_platform(sw_page)["1", "Si mwanachama wa jukwaa lolote"][-1] == "1"


def test_the_csv_export_gives_each_participant_their_platforms_codes(app, admin_as):
    """Does every position and comment row end with its participant's platforms now (codes,
    alphabetical, space-separated; empty for someone in no platform), the other columns where
    they were?"""
    ids = _consultation(app, _platforms(app))
    rows = _export(admin_as("admin"), ids["consultation"])
    with app.app_context():
        pseudonym = pseudonyms(ids["consultation"])
        who = {pseudonym(contact_id): name for name, contact_id in ids["contacts"].items()}
    assert list(rows[0])[-1] == "platforms"
    assert list(rows[0])[:-1] == [
        "record",
        "participant",
        "clause",
        "stance",
        "county",
        "ward",
        "language",
        "channel",
        "comment",
        "coders",
        "coded_by",
        "themes",
        "theme_votes",
        "quote_ok",
        "quoted",
        "erased",
        "quote",
    ]
    expected = {"mui": "MUI", "kanziku": "KANZIKU", "both": "KANZIKU MUI", "none": ""}
    seen = [(r["record"], who[r["participant"]], r["platforms"]) for r in rows]
    assert sorted(seen) == sorted(
        [("position", name, expected[name]) for name in ("mui", "kanziku", "both", "none")]
        + [("position", "mui", "MUI"), ("position", "none", "")]
        + [("comment", "mui", "MUI"), ("comment", "none", "")]
    )


def test_without_platforms_the_page_has_no_platform_table_and_the_column_is_empty(app, admin_as):
    """While no platform exists, is there no by-platform table, and the column empty?"""
    ids = _consultation(app, None)
    session = admin_as("admin")
    page = html.unescape(session.get(f"/admin/consultations/{ids['consultation']}").get_data(True))
    assert 'id="clause-platforms"' not in page and "In no platform" not in page
    assert 'data-stance="agree">2 (50%)</td>' in page
    rows = _export(session, ids["consultation"])
    assert len(rows) == 8 and {r["platforms"] for r in rows} == {""}


def test_with_platforms_but_no_position_the_table_says_it_is_empty(app, admin_as):
    """Platforms exist but nobody has taken a position yet: the table is there, empty."""
    _platforms(app)
    with app.app_context():
        consultation = Consultation(
            keyword="MAONI",
            title={"en": "Empty"},
            draft_name="Draft",
            issuing_body="Ministry of Mining",
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=10),
            clauses=[Clause(number=1, reference="Regulation 4", summary={"en": "A plan."})],
        )
        db.session.add(consultation)
        db.session.commit()
        cid = consultation.id
    page = html.unescape(admin_as("admin").get(f"/admin/consultations/{cid}").get_data(True))
    table = re.search(r'<table id="clause-platforms">.*?</table>', page, re.S)
    assert table is not None and "data-clause" not in table.group()
    assert 'class="muted">Nothing yet.</td>' in table.group()

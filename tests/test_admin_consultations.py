"""The consultations admin through HTTP as the secretariat uses it: a consultation made and
changed in the form with its clauses (a summary too long for a basic phone refused with its
reason), the draft PDF accepted or refused, the comments filtered and paged with numbers masked,
two coders coding and their kappa shown, and a quote flagged only when its author said yes."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from factories import joined_contact
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from gateway.consultations.models import (
    Clause,
    Coding,
    Comment,
    CommentTheme,
    Consultation,
    Position,
    Theme,
)
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.platforms.models import Platform
from gateway.polls.models import Poll, PollOption
from gateway.users.models import AuditEvent
from gateway.voice.audio import keep
from gateway.voice.models import VoiceRecording

SUMMARY_EN = "The company must agree a community development plan with the people before mining."
SUMMARY_SW = "Kampuni lazima ikubaliane na jamii kuhusu mpango wa maendeleo kabla ya uchimbaji."
TOO_LONG_SW = "Kampuni itashauriana na jamii kila mwaka kuhusu fidia na ardhi. " * 6
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _form(**changes: Any) -> dict[str, Any]:
    """The consultation form as an officer fills it: two clauses (rows 1 and 2) and a blank
    row 3; times typed in East Africa Time."""
    form: dict[str, Any] = {
        "keyword": "MAONI",
        "title_en": "Community development agreements",
        "title_sw": "Mikataba ya maendeleo ya jamii",
        "description_en": "Have your say on the draft regulations.",
        "draft_name": "Mining (Community Development Agreement) Regulations",
        "issuing_body": "Ministry of Mining",
        "draft_url": "https://mining.go.ke/cda-draft",
        "counties": ["Kitui"],
        "wards": ["Mui"],
        "opens_at": "2026-12-10T08:00",
        "closes_at": "2026-12-31T17:00",
        "addressed_to": "The Cabinet Secretary, Ministry of Mining",
        "submitted_by": "Haki Madini Kenya",
        "clause_rows": "3",
        "clause1_number": "1",
        "clause1_reference": "Regulation 4",
        "clause1_summary_en": SUMMARY_EN,
        "clause1_summary_sw": SUMMARY_SW,
        "clause2_number": "2",
        "clause2_reference": "Regulation 7(2)",
        "clause2_summary_en": "Compensation is paid before the land is used.",
        "clause3_number": "3",
    }
    form.update(changes)
    return form


def _page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _consultation(app: Flask) -> Consultation:
    found = db.session.scalar(select(Consultation))
    assert found is not None
    return found


def test_an_admin_creates_a_consultation_with_its_clauses_and_changes_them(app, admin_as):
    """Can an admin make a consultation in the form (audience, window in EAT, clauses) and then
    reorder, change, add and remove clauses, each change in the audit log?"""
    session = admin_as("admin", email="wanjiku@hmk.example")
    assert "Consultations" in _page(session.get("/admin/"))  # in the menu
    response = session.post("/admin/consultations", _form(), page="/admin/consultations/new")
    assert response.status_code == 302, _page(response)
    detail = _page(session.get(response.headers["Location"]))
    assert "Consultation created." in detail
    assert "MAONI: Community development agreements" in detail
    assert "10 Dec 2026 08:00" in detail and "31 Dec 2026 17:00" in detail  # EAT as typed
    assert "Kitui, Mui" in detail and "Ministry of Mining" in detail
    for href in ("invite", "memorandum", "memorandum.docx", "export.csv", "you-said"):
        assert re.search(rf'href="/admin/consultations/\d+/{re.escape(href)}"', detail), href
    with app.app_context():
        consultation = _consultation(app)
        assert consultation.opens_at == datetime(2026, 12, 10, 5, 0, tzinfo=UTC)
        assert consultation.audience == {"counties": ["Kitui"], "wards": ["Mui"]}
        assert consultation.title["sw"] == "Mikataba ya maendeleo ya jamii"
        assert [(c.number, c.reference) for c in consultation.clauses] == [
            (1, "Regulation 4"),
            (2, "Regulation 7(2)"),
        ]
        assert consultation.clauses[0].summary == {"en": SUMMARY_EN, "sw": SUMMARY_SW}
        first, second = (c.id for c in consultation.clauses)
        cid = consultation.id
    edit = _page(session.get(f"/admin/consultations/{cid}/edit"))
    assert f'name="clause1_id" value="{first}"' in edit and SUMMARY_SW in edit

    # Swap the two clauses, change the second's reference, add a third, then remove one.
    changed = _form(
        clause_rows="3",
        clause1_id=str(first),
        clause1_number="2",
        clause2_id=str(second),
        clause2_number="1",
        clause2_reference="Regulation 7(3)",
        clause3_reference="Regulation 9",
        clause3_summary_en="Women and youth sit on the committee.",
    )
    response = session.post(f"/admin/consultations/{cid}/edit", changed)
    assert response.status_code == 302, _page(response)
    with app.app_context():
        clauses = _consultation(app).clauses
        assert [(c.number, c.id, c.reference) for c in clauses[:2]] == [
            (1, second, "Regulation 7(3)"),
            (2, first, "Regulation 4"),
        ]
        assert (clauses[2].number, clauses[2].reference) == (3, "Regulation 9")
        third = clauses[2].id
    response = session.post(
        f"/admin/consultations/{cid}/edit",
        _form(
            clause_rows="3",
            clause1_id=str(second),
            clause1_number="1",
            clause1_reference="Regulation 7(3)",
            clause2_id=str(first),
            clause2_number="2",
            clause3_id=str(third),
            clause3_number="3",
            clause3_reference="Regulation 9",
            clause3_summary_en="Women and youth sit on the committee.",
            clause3_remove="on",
        ),
    )
    assert response.status_code == 302
    detail = _page(session.get(f"/admin/consultations/{cid}"))
    assert "Consultation saved." in detail and "Regulation 9" not in detail
    with app.app_context():
        assert [c.id for c in _consultation(app).clauses] == [second, first]
        actions = list(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.actor == "wanjiku@hmk.example")
            )
        )
        assert actions.count("consultation.create") == 1
        assert actions.count("consultation.edit") == 2


def test_a_clause_people_answered_cannot_be_removed(app, admin_as):
    session = admin_as("admin")
    assert session.post("/admin/consultations", _form(), page="/admin/consultations/new")
    contact = joined_contact(app, "+254711000101", "sw")
    with app.app_context():
        consultation = _consultation(app)
        clause = consultation.clauses[0]
        db.session.add(
            Position(
                consultation_id=consultation.id,
                clause_id=clause.id,
                contact_id=contact,
                stance="agree",
                channel="sms",
            )
        )
        db.session.commit()
        cid, first, second = consultation.id, clause.id, consultation.clauses[1].id
    response = session.post(
        f"/admin/consultations/{cid}/edit",
        _form(clause1_id=str(first), clause1_remove="on", clause2_id=str(second)),
    )
    assert response.status_code == 400
    page = _page(response)
    assert "People have answered this clause: it cannot be removed." in page
    assert 'id="error-clause1_remove"' in page
    with app.app_context():
        assert len(_consultation(app).clauses) == 2
        assert db.session.scalar(select(func.count()).select_from(Position)) == 1


def test_a_summary_too_long_for_a_basic_phone_is_refused_beside_its_field(app, admin_as):
    """Is a Kiswahili summary longer than two SMS refused, the reason shown beside that field,
    and nothing saved; does ``flask messages lint`` report one stored that way?"""
    session = admin_as("admin")
    response = session.post(
        "/admin/consultations",
        _form(clause2_summary_sw=TOO_LONG_SW, keyword="no", opens_at="tomorrow"),
        page="/admin/consultations/new",
    )
    assert response.status_code == 400
    page = _page(response)
    error = re.search(r'id="error-clause2_summary_sw" role="alert">([^<]+)<', page)
    assert error is not None
    assert error.group(1).startswith("Too long for two SMS: ")
    assert "make 3 SMS (at most 2)" in error.group(1)
    assert 'id="error-keyword"' in page and 'id="error-opens_at"' in page
    assert "Not a valid date and time." in page
    assert TOO_LONG_SW.strip()[:40] in page  # what was typed is kept
    assert 'id="error-clause1_summary_en"' not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Consultation)) == 0

    # In Kiswahili, the reason is in Kiswahili.
    swahili = admin_as("admin", language="sw")
    page = _page(
        swahili.post(
            "/admin/consultations",
            _form(clause2_summary_sw=TOO_LONG_SW),
            page="/admin/consultations/new",
        )
    )
    assert "Ni ndefu mno kwa SMS mbili" in page

    with app.app_context():
        consultation = Consultation(
            keyword="LONGO",
            title={"en": "Stored long"},
            draft_name="Draft",
            issuing_body="Body",
            opens_at=utcnow(),
            closes_at=utcnow() + timedelta(days=3),
            clauses=[Clause(number=1, reference="Reg 1", summary={"sw": TOO_LONG_SW})],
        )
        db.session.add(consultation)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["messages", "lint"])
    assert result.exit_code == 1
    assert "sw consultation LONGO clause 1: Too long for two SMS" in result.output


def test_the_keyword_must_be_free_of_polls_and_surveys(app, admin_as):
    with app.app_context():
        poll = Poll(
            keyword="MAONI",
            question={"en": "Q?"},
            opens_at=utcnow(),
            closes_at=utcnow() + timedelta(days=1),
            options=[PollOption(position=1, label={"en": "Yes"})],
        )
        db.session.add(poll)
        db.session.commit()
        poll_id = poll.id
    session = admin_as("admin")
    response = session.post("/admin/consultations", _form(), page="/admin/consultations/new")
    assert response.status_code == 400
    assert f"The keyword MAONI is already used by poll {poll_id}." in _page(response)
    # And its own keyword stays its own on a change.
    response = session.post(
        "/admin/consultations", _form(keyword="SAUTI"), page="/admin/consultations/new"
    )
    assert response.status_code == 302
    with app.app_context():
        consultation = _consultation(app)
        cid, first, second = consultation.id, *(c.id for c in consultation.clauses)
    kept = {"clause1_id": str(first), "clause2_id": str(second)}
    response = session.post(f"/admin/consultations/{cid}/edit", _form(keyword="sauti", **kept))
    assert response.status_code == 302, _page(response)
    # A new clause may not take the number of one the form did not post.
    response = session.post(
        f"/admin/consultations/{cid}/edit",
        _form(keyword="SAUTI", clause_rows="1", clause1_reference="Regulation 9"),
    )
    assert response.status_code == 400
    assert "Two clauses have the number 1." in _page(response)


def test_a_draft_pdf_is_kept_for_staff_and_anything_else_refused(app, admin_as, tmp_path):
    """Is an uploaded PDF kept under the instance folder and served to logged-in staff only,
    while a file that is not a PDF, or one over the cap, is refused with its reason?"""
    session = admin_as("admin")
    response = _upload(session, "/admin/consultations", b"GIF89a not a pdf", "draft.pdf")
    assert response.status_code == 400
    assert "The file is not a PDF (it does not begin as a PDF does)." in _page(response)
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = _upload(session, "/admin/consultations", big, "big.pdf")
    assert response.status_code == 400
    assert "The file is bigger than 10 MB." in _page(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Consultation)) == 0

    response = _upload(session, "/admin/consultations", PDF, "../../etc/draft.pdf")
    assert response.status_code == 302, _page(response)
    with app.app_context():
        consultation = _consultation(app)
        stored = consultation.draft_file
        cid = consultation.id
    assert stored and stored.endswith(".pdf") and "/" not in stored
    kept = app.config["GATEWAY"].instance_path / "uploads" / "drafts" / stored
    assert kept.read_bytes() == PDF
    served = session.get(f"/admin/consultations/{cid}/draft.pdf")
    assert served.status_code == 200 and served.data == PDF
    assert served.mimetype == "application/pdf"
    served.close()  # the file send_file opened
    anonymous = app.test_client().get(f"/admin/consultations/{cid}/draft.pdf")
    assert anonymous.status_code == 302 and "/admin/login" in anonymous.headers["Location"]
    assert session.get("/admin/consultations/999/draft.pdf").status_code == 404
    # Removed from the edit form: the file goes once the consultation no longer names it.
    with app.app_context():
        clauses = {f"clause{n}_id": str(c.id) for n, c in enumerate(_consultation(app).clauses, 1)}
    response = session.post(f"/admin/consultations/{cid}/edit", _form(remove_draft="on", **clauses))
    assert response.status_code == 302, _page(response)
    assert not kept.exists()
    assert session.get(f"/admin/consultations/{cid}/draft.pdf").status_code == 404


def _upload(session: Any, path: str, data: bytes, filename: str) -> Any:
    """The form posted with ``data`` as the draft file, encoded here in memory (the test client
    spools a body this big to a file it leaves open)."""
    fields = MultiDict(_form())
    fields["csrf_token"] = session.token("/admin/consultations/new")
    fields["draft_file"] = FileStorage(io.BytesIO(data), filename)
    boundary, body = encode_multipart(fields)
    return session.client.post(
        path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


# -- comments, coding, quotes -------------------------------------------------------------


def _with_comments(app: Flask) -> dict[str, Any]:
    """A consultation with two clauses and comments: by SMS and USSD, in Kitui and Kwale, one
    recorded by phone, one erased, each author's position on the clause."""
    people = {
        "mui": joined_contact(app, "+254711000201", "sw", county="Kitui", ward="Mui"),
        "kyuso": joined_contact(app, "+254711000202", "en", county="Kitui", ward="Kyuso"),
        "kwale": joined_contact(app, "+254722000203", "en", county="Kwale", ward=None),
        "erased": joined_contact(app, "+254711000204", "sw", county="Kitui", ward="Mui"),
    }
    with app.app_context():
        consultation = Consultation(
            keyword="MAONI",
            title={"en": "Community development agreements"},
            draft_name="Draft",
            issuing_body="Ministry of Mining",
            opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=10),
            clauses=[
                Clause(number=1, reference="Regulation 4", summary={"en": SUMMARY_EN}),
                Clause(number=2, reference="Regulation 7(2)", summary={"en": "Compensation."}),
            ],
        )
        db.session.add(consultation)
        db.session.flush()
        one, two = consultation.clauses
        clip = keep(b"RIFF0000WAVEfmt recorded comment", "audio/wav", 2000)
        recording = VoiceRecording(purpose="comment", status="stored", audio_id=clip.id)
        db.session.add(recording)
        db.session.flush()
        rows = [
            ("mui", one, "agree", "sms", "Maji ya mto yamechafuka. Mzee Kilonzo alisema hivyo."),
            ("kyuso", one, "disagree", "ussd", "Call me on 0712 345 678, ask for Mutua."),
            ("kwale", two, "not_sure", "sms", "Compensation is too low in Kwale."),
            ("erased", one, "agree", "sms", None),
            ("mui", two, None, "voice", None),
        ]
        comments = []
        for who, clause, stance, channel, text in rows:
            contact = db.session.get(Contact, people[who])
            if stance:
                db.session.add(
                    Position(
                        consultation_id=consultation.id,
                        clause_id=clause.id,
                        contact_id=contact.id,
                        stance=stance,
                        channel=channel,
                        county=contact.county,
                        ward=contact.ward,
                        language=contact.language,
                    )
                )
            comment = Comment(
                consultation_id=consultation.id,
                clause_id=clause.id,
                contact_id=contact.id,
                text=text,
                channel=channel,
                county=contact.county,
                ward=contact.ward,
                language=contact.language,
                quote_ok=who in ("mui", "kyuso"),
                erased_at=utcnow() if who == "erased" else None,
                recording_id=recording.id if channel == "voice" else None,
            )
            db.session.add(comment)
            comments.append(comment)
        db.session.commit()
        return {
            "id": consultation.id,
            "clauses": (one.id, two.id),
            "comments": [c.id for c in comments],
            "audio": f"/voice/audio/{clip.sha256}.wav",
        }


def _shown(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="card comment" id="comment-(\d+)"', page)]


def test_comments_are_filtered_erased_ones_never_shown_numbers_masked(app, admin_as):
    made = _with_comments(app)
    mui, kyuso, kwale, erased, voice = made["comments"]
    cid, (one, two) = made["id"], made["clauses"]
    session = admin_as("viewer")
    base = f"/admin/consultations/{cid}/comments"
    page = _page(session.get(base))
    assert _shown(page) == [mui, kyuso, kwale, voice]  # the erased one is not there
    assert "4 comments" in page
    assert "+2547••••••01" in page and "+254711000201" not in page
    assert "+2547••••••02" in page and "+254722000203" not in page
    assert f'<audio controls preload="none" src="{made["audio"]}">' in page
    assert "Save the themes" not in page  # a viewer reads, never codes
    assert _shown(_page(session.get(f"{base}?clause={one}"))) == [mui, kyuso]
    assert _shown(_page(session.get(f"{base}?clause={two}"))) == [kwale, voice]
    assert _shown(_page(session.get(f"{base}?position=disagree"))) == [kyuso]
    assert _shown(_page(session.get(f"{base}?position=agree"))) == [mui]
    assert _shown(_page(session.get(f"{base}?county=Kwale"))) == [kwale]
    assert _shown(_page(session.get(f"{base}?ward=Mui"))) == [mui, voice]
    assert _shown(_page(session.get(f"{base}?language=sw"))) == [mui, voice]
    assert _shown(_page(session.get(f"{base}?channel=ussd"))) == [kyuso]
    assert _shown(_page(session.get(f"{base}?county=Kitui&channel=sms"))) == [mui]
    # The consultation's figures count the erased author's position but not their comment.
    detail = _page(session.get(f"/admin/consultations/{cid}"))
    assert re.search(r'id="participants">4<', detail)
    assert re.search(r'id="comment-count">4<', detail)
    row = re.search(r'<tr id="clause-1">.*?</tr>', detail, re.S)
    assert row is not None
    assert '<td class="num" data-stance="agree">2 (67%)</td>' in row.group()
    assert '<td class="num" data-stance="disagree">1 (33%)</td>' in row.group()


def test_comments_are_paged(app, admin_as):
    made = _with_comments(app)
    with app.app_context():
        clause = made["clauses"][0]
        for n in range(21):
            db.session.add(
                Comment(
                    consultation_id=made["id"],
                    clause_id=clause,
                    text=f"Comment number {n}",
                    channel="sms",
                    county="Kitui",
                )
            )
        db.session.commit()
    session = admin_as("admin")
    base = f"/admin/consultations/{made['id']}/comments?county=Kitui"
    first = _page(session.get(base))
    assert len(_shown(first)) == 20 and "page 1 of 2" in first and "24 comments" in first
    link = re.search(r'id="next" href="([^"]+)"', first)
    assert link is not None and "county=Kitui" in link.group(1)
    second = _page(session.get(link.group(1)))
    assert len(_shown(second)) == 4 and "page 2 of 2" in second
    assert set(_shown(first)).isdisjoint(_shown(second))


def _code(session: Any, cid: int, comment: int, themes: list[Any]) -> Any:
    return session.post(
        f"/admin/consultations/{cid}/comments/{comment}/coding",
        {"theme": [str(t) for t in themes]},
        page=f"/admin/consultations/{cid}/comments",
    )


def test_two_coders_code_comments_and_their_kappa_is_shown(app, admin_as):
    """Do two coders' ticks become codings (re-coding replacing one coder's themes only), and
    does the agreement page show Cohen's kappa per theme as worked out by hand?"""
    made = _with_comments(app)
    cid = made["id"]
    mui, kyuso, kwale, _, voice = made["comments"]
    amina = admin_as("admin", email="amina@hmk.example", name="Amina")
    otieno = admin_as("admin", email="otieno@hmk.example", name="Otieno")
    for name in ("water", "compensation", "jobs"):
        response = amina.post(
            f"/admin/consultations/{cid}/themes",
            {"name": name, "description": f"About {name}"},
        )
        assert response.status_code == 302
    with app.app_context():
        ids = {t.name: t.id for t in db.session.scalars(select(Theme))}
    water, money, jobs = ids["water"], ids["compensation"], ids["jobs"]
    page = _page(amina.get(f"/admin/consultations/{cid}/agreement"))
    assert "Agreement needs two coders" in page

    # Water: amina yes on mui, kyuso; otieno yes on mui, kwale.
    # Compensation: both yes on kwale, both no elsewhere. Jobs: nobody, ever.
    assert _code(amina, cid, mui, [jobs]).status_code == 302
    assert _code(amina, cid, mui, [water]).status_code == 302  # replaces jobs
    _code(amina, cid, kyuso, [water])
    _code(amina, cid, kwale, [money])
    _code(amina, cid, voice, [])
    _code(otieno, cid, mui, [water])
    _code(otieno, cid, kyuso, [])
    _code(otieno, cid, kwale, [water, money])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Coding)) == 7
        mine = db.session.scalars(
            select(CommentTheme.theme_id).where(
                CommentTheme.comment_id == mui, CommentTheme.coder_id == amina.user_id
            )
        ).all()
        assert mine == [water]  # jobs went when amina coded it again
    coded = _page(amina.get(f"/admin/consultations/{cid}/comments"))
    assert re.search(rf'name="theme" value="{water}" checked', coded)  # amina's own ticks
    assert "coded by 2 coders" in coded

    page = _page(
        amina.get(f"/admin/consultations/{cid}/agreement?a={amina.user_id}&b={otieno.user_id}")
    )
    assert "3 comments coded by both." in page  # voice: only amina coded it
    # Water over (mui, kyuso, kwale): (Y,Y), (Y,N), (N,Y): po = 1/3; each says yes 2 of 3;
    # pe = (2*2 + 1*1) / 9 = 5/9; kappa = (3/9 - 5/9) / (4/9) = -0.5.
    assert _kappa(page, water) == "-0.50"
    # Compensation: (N,N), (N,N), (Y,Y): full agreement with variation: 1.
    assert _kappa(page, money) == "1.00"
    assert _kappa(page, jobs) == "undefined: no variation"
    # A theme of another consultation, or none that exists, is refused.
    refused = _code(amina, cid, mui, [99999])
    assert refused.status_code == 400
    assert "A theme that is not in this consultation's codebook." in _page(refused)
    assert _code(amina, cid, mui, ["water"]).status_code == 400
    assert _code(amina, cid, mui, [10**30]).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Coding)) == 7


def _kappa(page: str, theme: int) -> str:
    found = re.search(rf'<tr id="kappa-{theme}">.*?<td class="num kappa">(.*?)</td>', page, re.S)
    assert found is not None, page
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_codebook_is_kept_by_admins(app, admin_as):
    made = _with_comments(app)
    cid = made["id"]
    session = admin_as("admin")
    base = f"/admin/consultations/{cid}/themes"
    assert session.post(base, {"name": "water"}).status_code == 302
    duplicate = session.post(base, {"name": "Water"})
    assert duplicate.status_code == 400
    assert "The codebook already has a theme called Water." in _page(duplicate)
    assert session.post(base, {"name": ""}).status_code == 400
    with app.app_context():
        theme = db.session.scalar(select(Theme))
        assert theme is not None
        theme_id = theme.id
    response = session.post(
        f"{base}/{theme_id}", {"name": "river water", "description": "Rivers, wells"}, page=base
    )
    assert response.status_code == 302
    _code(session, cid, made["comments"][0], [theme_id])
    page = _page(session.get(base))
    assert 'value="river water"' in page and "Rivers, wells" in page
    assert "given to 1 comment" in page
    assert session.post(f"{base}/{theme_id}/remove", {}, page=base).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Theme)) == 0
        assert db.session.scalar(select(func.count()).select_from(CommentTheme)) == 0
        assert db.session.scalar(select(func.count()).select_from(Coding)) == 1
    viewer = admin_as("viewer")
    assert viewer.post(base, {"name": "jobs"}).status_code == 403


def test_a_quote_needs_its_authors_yes_and_is_shown_masked(app, admin_as):
    made = _with_comments(app)
    cid = made["id"]
    mui, kyuso, kwale, erased, _ = made["comments"]
    session = admin_as("admin")
    base = f"/admin/consultations/{cid}/comments"

    refused = session.post(f"{base}/{kwale}/quote", {"quoted": "1"}, page=base)
    assert refused.status_code == 400
    assert "its author did not agree to be quoted" in _page(refused)
    assert session.post(f"{base}/{erased}/quote", {"quoted": "1"}, page=base).status_code == 404
    with app.app_context():
        assert not db.session.get(Comment, kwale).quoted

    for comment in (mui, kyuso):
        response = session.post(f"{base}/{comment}/quote", {"quoted": "1"}, page=base)
        assert response.status_code == 302
    page = _page(session.get(base))
    quotes = dict(re.findall(r'<p class="quote" id="quote-(\d+)">.*?“(.*?)”</p>', page))
    assert quotes == {
        str(mui): "Maji ya mto yamechafuka. Mzee [name] alisema hivyo.",
        str(kyuso): "Call me on [number], ask for [name].",
    }
    session.post(f"{base}/{kyuso}/quote", {"quoted": "0"}, page=base)
    with app.app_context():
        assert db.session.get(Comment, mui).quoted and not db.session.get(Comment, kyuso).quoted
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "consultation.quote")
            )
            == 3
        )


@pytest.mark.parametrize("role", ["viewer", "coordinator"])
def test_only_admins_change_consultations(app, admin_as, role):
    made = _with_comments(app)
    session = admin_as(role, counties=("Kitui",) if role == "coordinator" else ())
    cid = made["id"]
    if role == "viewer":
        assert session.get("/admin/consultations").status_code == 200
        assert session.get(f"/admin/consultations/{cid}").status_code == 200
    else:
        assert session.get("/admin/consultations").status_code == 403
    token_page = "/admin/"
    assert session.get("/admin/consultations/new").status_code == 403
    response = session.post("/admin/consultations", _form(), page=token_page)
    assert response.status_code == 403
    response = session.post(
        f"/admin/consultations/{cid}/comments/{made['comments'][0]}/quote",
        {"quoted": "1"},
        page=token_page,
    )
    assert response.status_code == 403


def test_every_consultation_page_reads_in_kiswahili(app, admin_as):
    """Does a Kiswahili-speaking officer get each consultation page in Kiswahili?"""
    made = _with_comments(app)
    cid = made["id"]
    session = admin_as("admin", language="sw")
    expected = {
        "/admin/consultations": "Mashauriano",
        "/admin/consultations/new": "Shauriano jipya",
        f"/admin/consultations/{cid}": "Walioshiriki",
        f"/admin/consultations/{cid}/edit": "Hariri shauriano",
        f"/admin/consultations/{cid}/comments": "Maoni na uwekaji wa mada",
        f"/admin/consultations/{cid}/themes": "Orodha ya mada",
        f"/admin/consultations/{cid}/agreement": "Ulinganifu wa waweka mada",
    }
    for path, words in expected.items():
        response = session.get(path)
        assert response.status_code == 200, path
        page = _page(response)
        assert words in page, path
        assert "admin.consultations." not in page, path


def test_the_audience_may_name_platforms_when_there_are_some(app, admin_as):
    session = admin_as("admin")
    assert 'name="platforms"' not in _page(session.get("/admin/consultations/new"))
    with app.app_context():
        platform = Platform(name="Mui Basin Community Platform", code="MUI", county="Kitui")
        db.session.add(platform)
        db.session.commit()
        platform_id = platform.id
    form = _page(session.get("/admin/consultations/new"))
    assert f'<option value="{platform_id}">Mui Basin Community Platform</option>' in form
    refused = session.post(
        "/admin/consultations",
        _form(platforms=[str(platform_id), "999"], counties=["Nowhere"], wards=["Ramisi"]),
        page="/admin/consultations/new",
    )
    page = _page(refused)
    assert refused.status_code == 400
    assert "Unknown platform: 999." in page and "Unknown county: Nowhere." in page
    response = session.post(
        "/admin/consultations",
        _form(platforms=[str(platform_id)], counties=[], wards=[]),
        page="/admin/consultations/new",
    )
    assert response.status_code == 302, _page(response)
    with app.app_context():
        assert _consultation(app).audience == {"platforms": [platform_id]}
    detail = _page(session.get(response.headers["Location"]))
    assert re.search(r'id="audience">Mui Basin Community Platform<', detail)


def test_an_admin_puts_a_consultation_on_the_public_site_and_takes_it_off(app, admin_as):
    """Can an admin show a consultation on the public site (a viewer cannot), with an audit
    entry each time, and take it off again?"""
    from gateway.public import cache

    made = _with_comments(app)
    cid = made["id"]
    site = app.test_client()
    detail = f"/admin/consultations/{cid}"
    assert "Community development agreements" not in site.get("/consultations/").get_data(
        as_text=True
    )
    assert site.get(f"/consultations/{cid}/memorandum.docx").status_code == 404

    viewer = admin_as("viewer")
    assert viewer.post(f"{detail}/public", {"public": "1"}, page=detail).status_code == 403
    viewer_page = _page(viewer.get(detail))
    assert "Not on the public site." in viewer_page
    assert f'action="{detail}/public"' not in viewer_page  # no switch for a viewer

    admin = admin_as("admin")
    assert f'action="{detail}/public"' in _page(admin.get(detail))
    answer = admin.post(f"{detail}/public", {"public": "1"}, page=detail)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(detail)
    page = _page(admin.get(detail))
    assert "See the public page" in page and 'href="/consultations/"' in page
    with app.app_context():
        assert db.session.get(Consultation, cid).public is True
        cache.clear()
    assert "Community development agreements" in site.get("/consultations/").get_data(as_text=True)
    assert site.get(f"/consultations/{cid}/memorandum.docx").status_code == 200

    admin.post(f"{detail}/public", {"public": "0"}, page=detail)
    with app.app_context():
        assert db.session.get(Consultation, cid).public is False
        events = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "consultation.public")
                .order_by(AuditEvent.id)
            )
        )
        cache.clear()
    assert [(e.target_id, e.details["public"]) for e in events] == [
        (str(cid), True),
        (str(cid), False),
    ]
    assert "Not on the public site." in _page(admin.get(detail))
    assert "Community development agreements" not in site.get("/consultations/").get_data(
        as_text=True
    )
    assert site.get(f"/consultations/{cid}/memorandum.docx").status_code == 404

"""The admin UI's contacts pages: list, search, filters, scoping, detail, changes, import and
export, through HTTP as a browser (and Africa's Talking) would send it."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from factories import joined_contact, meetings, polls
from flask import Flask
from sqlalchemy import func, select

from gateway.contacts.models import ConsentEvent, Contact, ContactImport, ContactTag
from gateway.extensions import db
from gateway.jobs import import_contacts
from gateway.meetings.models import Rsvp
from gateway.reports.models import Report
from gateway.sms.models import Message
from gateway.users.models import AuditEvent

KITUI = "+254712000001"
KWALE = "+254712000002"


def _rows(page: str) -> list[str]:
    """The text of each row of the contacts table."""
    body = re.search(r'<table id="contacts">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body is not None
    return [
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def _audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _tag(app: Flask, contact_id: int, *tags: str) -> None:
    with app.app_context():
        db.session.add_all(ContactTag(contact_id=contact_id, tag=tag) for tag in tags)
        db.session.commit()


def test_search_filters_and_paging(app: Flask, admin_as: Any) -> None:
    """Can an officer find a contact by the digits of their number, filter and page through."""
    kitui = joined_contact(app, KITUI, language="sw", county="Kitui", ward="Mui")
    joined_contact(app, KWALE, language="en", county="Kwale", ward="Ramisi")
    _tag(app, kitui, "youth")
    for n in range(55):
        joined_contact(app, f"+2547330{n:05d}", language="kam", county="Taita Taveta", ward="Bura")
    with app.app_context():
        db.session.get(Contact, kitui).opted_out_at = func.now()
        db.session.commit()
    session = admin_as("admin")

    page = session.get("/admin/contacts/").get_data(as_text=True)
    assert "57 contacts" in page and "Page 1 of 2" in page
    assert len(_rows(page)) == 50
    assert KITUI not in page and KWALE not in page  # the list masks every number
    second = session.get("/admin/contacts/?page=2").get_data(as_text=True)
    assert "+2547••••••01" in second  # the oldest, on the last page
    assert len(_rows(second)) == 7 and "Page 2 of 2" in second

    found = session.get("/admin/contacts/?q=0712+000+001").get_data(as_text=True)
    assert [row.split()[0] for row in _rows(found)] == ["+2547••••••01"]
    assert "1 contact<" in found and "1 contacts" not in found
    assert "Kitui" in _rows(found)[0] and "youth" in _rows(found)[0]

    assert len(_rows(session.get("/admin/contacts/?county=Kwale").get_data(as_text=True))) == 1
    by_ward = _rows(session.get("/admin/contacts/?ward=Ramisi").get_data(as_text=True))
    assert len(by_ward) == 1 and "Kwale" in by_ward[0]
    assert "57 contacts" not in session.get("/admin/contacts/?language=sw").get_data(as_text=True)
    assert (
        len(_rows(session.get("/admin/contacts/?language=kam&page=2").get_data(as_text=True))) == 5
    )
    tagged = _rows(session.get("/admin/contacts/?tag=youth").get_data(as_text=True))
    assert len(tagged) == 1 and "Kitui" in tagged[0]
    opted = _rows(session.get("/admin/contacts/?opted_out=yes").get_data(as_text=True))
    assert len(opted) == 1 and "Opted out" in opted[0]
    subscribed = session.get("/admin/contacts/?consent=yes&county=Kitui").get_data(as_text=True)
    assert "0 contacts" in subscribed  # Kitui's one contact opted out
    nothing = session.get("/admin/contacts/?q=abc").get_data(as_text=True)
    assert "0 contacts" in nothing
    swahili = admin_as("viewer", language="sw").get("/admin/contacts/?county=Kwale")
    text = swahili.get_data(as_text=True)
    assert "Mwanachama 1" in text and "Nambari ya simu" in text and "Amejiunga" in text


def test_a_coordinator_sees_only_their_countys_contacts(app: Flask, admin_as: Any) -> None:
    """A Kitui coordinator lists, opens and exports Kitui's contacts only."""
    joined_contact(app, KITUI, county="Kitui")
    kwale = joined_contact(app, KWALE, county="Kwale", ward="Ramisi")
    session = admin_as("coordinator", counties=("Kitui",))

    rows = _rows(session.get("/admin/contacts/").get_data(as_text=True))
    assert len(rows) == 1 and "Kitui" in rows[0]
    assert _rows(session.get("/admin/contacts/?county=Kwale").get_data(as_text=True))[0] != rows[0]
    refused = session.get(f"/admin/contacts/{kwale}")
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert KWALE not in text and "Ramisi" not in text
    # Changing another county's contact is refused too, and changes nothing.
    assert (
        session.post(f"/admin/contacts/{kwale}/opt-out", page="/admin/contacts/").status_code == 403
    )
    assert (
        session.post(f"/admin/contacts/{kwale}/delete", page="/admin/contacts/").status_code == 403
    )
    with app.app_context():
        contact = db.session.get(Contact, kwale)
        assert contact.opted_out_at is None and contact.phone == KWALE
    export = session.get("/admin/contacts/export").get_data(as_text=True)
    assert KITUI in export and KWALE not in export


def test_the_detail_page_shows_the_history_each_role_may_see(
    app: Flask, admin_as: Any, at: Any, workers: Any, emulator: Any
) -> None:
    """A contact's page: consent, messages in and out (a <script> as text), votes, RSVPs,
    reports (not the anonymous ones; sensitive ones for admins only); the number in full for
    admins and coordinators only."""
    contact_id = joined_contact(app, KITUI, county="Kitui", ward="Mui")
    poll_ids = polls(app)
    meeting_ids = meetings(app)
    at.sms(KITUI, "MADINI 2")
    at.sms(KITUI, "<script>alert(1)</script>")
    workers.drain()
    with app.app_context():
        db.session.add_all(
            [
                Report(
                    reference="R-OPEN",
                    contact_id=contact_id,
                    category="water",
                    county="Kitui",
                    description="The river is brown",
                    channel="sms",
                ),
                Report(
                    reference="R-SECRET",
                    contact_id=contact_id,
                    category="abuse",
                    sensitive=True,
                    county="Kitui",
                    description="Threats",
                    channel="sms",
                ),
                Report(
                    reference="R-ANON",
                    contact_id=contact_id,
                    anonymous=True,
                    category="land",
                    county="Kitui",
                    description="Fences",
                    channel="sms",
                ),
                Rsvp(
                    meeting_id=meeting_ids["kitui"],
                    contact_id=contact_id,
                    attending=True,
                    channel="sms",
                ),
            ]
        )
        db.session.commit()
        outgoing = db.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.contact_id == contact_id, Message.direction == "out")
        )
    assert poll_ids and outgoing >= 1

    admin = admin_as("admin").get(f"/admin/contacts/{contact_id}").get_data(as_text=True)
    assert f'<h1 id="phone">{KITUI}</h1>' in admin
    consent = re.search(r'<table id="consent">.*?</table>', admin, re.S).group(0)  # type: ignore[union-attr]
    assert "Consent given" in consent and "consent.v1" in consent and "test" in consent
    messages = re.search(r'<table id="messages">.*?</table>', admin, re.S).group(0)  # type: ignore[union-attr]
    assert "MADINI 2" in messages and "Received" in messages and "Sent" in messages
    # Statuses in words, not the stored codes.
    assert not re.search(r"<td>(received|sent|queued|delivered)\b", messages), messages
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in messages and "<script>alert" not in admin
    votes = re.search(r'<table id="votes">.*?</table>', admin, re.S).group(0)  # type: ignore[union-attr]
    assert "MADINI" in votes and "No" in votes
    rsvps = re.search(r'<table id="rsvps">.*?</table>', admin, re.S).group(0)  # type: ignore[union-attr]
    assert "Mui platform meeting" in rsvps and "Yes" in rsvps
    assert "R-OPEN" in admin and "R-SECRET" in admin and "R-ANON" not in admin
    assert "<td>New</td>" in admin and "<td>new</td>" not in admin

    coordinator = admin_as("coordinator", counties=("Kitui",))
    page = coordinator.get(f"/admin/contacts/{contact_id}").get_data(as_text=True)
    assert KITUI in page and "R-OPEN" in page and "R-SECRET" not in page and "R-ANON" not in page

    viewer = admin_as("viewer").get(f"/admin/contacts/{contact_id}").get_data(as_text=True)
    assert KITUI not in viewer and "+2547••••••01" in viewer
    assert "/opt-out" not in viewer and "/delete" not in viewer and "/edit" not in viewer
    assert (
        admin_as("viewer")
        .post(f"/admin/contacts/{contact_id}/opt-out", page="/admin/contacts/")
        .status_code
        == 403
    )


def test_editing_opting_out_and_deleting_are_audited(
    app: Flask, admin_as: Any, at: Any, workers: Any, emulator: Any
) -> None:
    """An officer changes a contact, opts them out (as STOP does: nothing more is sent to
    them) and deletes them (as the API's DELETE does); each change is in the audit log."""
    contact_id = joined_contact(app, KITUI, county="Kitui", ward="Mui", language="en")
    _tag(app, contact_id, "old")
    session = admin_as("coordinator", counties=("Kitui", "Kwale"))
    path = f"/admin/contacts/{contact_id}"

    response = session.post(
        f"{path}/edit",
        {"language": "sw", "county": "Kwale", "ward": "Ramisi", "tags": "Youth; farmers"},
        page=path,
    )
    assert response.status_code == 302
    page = session.get(path).get_data(as_text=True)
    assert "The contact was saved." in page and "farmers" in page and "youth" in page
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert (contact.language, contact.county, contact.ward) == ("sw", "Kwale", "Ramisi")
        tags = set(
            db.session.scalars(select(ContactTag.tag).where(ContactTag.contact_id == contact_id))
        )
    assert tags == {"youth", "farmers"}
    [edit] = _audit(app, "contact.update")
    assert edit.details["county"] == ["Kitui", "Kwale"] and KITUI not in str(edit.details)

    # A county the coordinator does not have, or a ward of another county, is refused.
    session.post(f"{path}/edit", {"county": "Kitui", "ward": "Ramisi"}, page=path)
    assert "Not a ward of that county" in session.get(path).get_data(as_text=True)
    session.post(f"{path}/edit", {"county": "Migori"}, page=path)
    assert "Not one of your counties" in session.get(path).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contact, contact_id).county == "Kwale"

    session.post(f"{path}/opt-out", page=path)
    page = session.get(path).get_data(as_text=True)
    assert "no message will go to them any more" in page and "Consent withdrawn" in page
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.opted_out_at is not None and not contact.has_consent
        [withdrawn] = db.session.scalars(
            select(ConsentEvent).where(ConsentEvent.action == "withdrawn")
        ).all()
        assert withdrawn.channel == "admin"
    assert len(_audit(app, "contact.opt_out")) == 1
    # It holds everywhere: a keyword the contact texts now gets no answer sent to them.
    at.sms(KITUI, "MSAADA")
    workers.drain()
    with app.app_context():
        sent_after = db.session.scalars(
            select(Message.status).where(
                Message.contact_id == contact_id, Message.direction == "out"
            )
        ).all()
    assert all(status not in ("sent", "submitted", "delivered") for status in sent_after)

    response = session.post(f"{path}/delete", {"confirm": "yes"}, page=path)
    assert response.status_code == 302
    listing = session.get("/admin/contacts/").get_data(as_text=True)
    assert "was deleted" in listing and "0 contacts" in listing
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.phone.startswith("deleted-") and contact.anonymised_at is not None
    assert session.get(path).status_code == 404
    [deleted] = _audit(app, "contact.delete")
    assert deleted.details == {"phone": "+2547••••••01"}


def _upload(session: Any, text: str, name: str = "people.csv") -> Any:
    return session.post(
        "/admin/contacts/import",
        {"file": (io.BytesIO(text.encode("utf-8")), name)},
        page="/admin/contacts/import",
        content_type="multipart/form-data",
    )


def _import_id(response: Any) -> int:
    match = re.search(r"/admin/contacts/import/(\d+)$", response.headers["Location"])
    assert match is not None
    return int(match.group(1))


GOOD = (
    "\ufeffPhone,Language,County,Ward,Tags,Consent\r\n"
    "0712000001,sw,Kitui,Mui,youth;farmers,consent.v2\r\n"
    "+254 733 000 111,kam,kitui,,,\r\n"
    "254722000333,en,Kwale,Ramisi,women,consent.v2\r\n"
)


def test_an_import_with_a_bad_row_imports_nothing_and_names_the_row(
    app: Flask, admin_as: Any, workers: Any
) -> None:
    session = admin_as("admin")
    form = session.get("/admin/contacts/import").get_data(as_text=True)
    assert "consent" in form and "Nothing is half-imported" in form
    bad = GOOD + "0712 34,sw,Kitui,,,\r\n" + "0712000001,xx,Narnia,Mui,,\r\n"
    import_id = _import_id(_upload(session, bad))
    waiting = session.get(f"/admin/contacts/import/{import_id}").get_data(as_text=True)
    assert "<progress" in waiting and 'hx-trigger="every 1s"' in waiting
    workers.drain()
    report = session.get(f"/admin/contacts/import/{import_id}/progress").get_data(as_text=True)
    assert "hx-trigger" not in report  # finished: the page stops polling
    assert "Nothing was imported" in report
    errors = re.search(r'<table id="import-errors">.*?</table>', report, re.S).group(0)  # type: ignore[union-attr]
    lines = [
        " ".join(re.sub(r"<[^>]+>", " ", r).split())
        for r in re.findall(r"<tr>(.*?)</tr>", errors, re.S)
    ]
    assert "5 phone 0712 34 Not a valid phone number." in lines
    assert "6 phone +2547••••••01 The same number as row 2." in lines
    assert "6 language xx Not a language of the gateway (en, sw, kam)." in lines
    assert "6 county Narnia Not a county of the platforms." in lines
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
        item = db.session.get(ContactImport, import_id)
        assert item.status == "failed" and item.content == ""
    with app.app_context():
        assert import_contacts(import_id) == "failed"  # running it again changes nothing
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_an_import_run_twice_creates_each_contact_once(
    app: Flask, admin_as: Any, workers: Any
) -> None:
    """A good file creates its contacts with consent (channel import, the file's wording);
    its job run again, or the file imported again, duplicates nobody."""
    opted = joined_contact(app, "+254722000333", county="Kwale", ward="Ramisi")
    with app.app_context():
        db.session.get(Contact, opted).opted_out_at = func.now()
        db.session.commit()
    session = admin_as("admin")
    first = _import_id(_upload(session, GOOD))
    workers.drain()
    page = session.get(f"/admin/contacts/import/{first}").get_data(as_text=True)
    assert "Imported: 2 new contacts, 1 updated." in page
    assert 'value="3"' in page and 'max="3"' in page
    assert "this person opted out; they stay opted out" in page

    with app.app_context():
        assert import_contacts(first) == "done"
    second = _import_id(_upload(session, GOOD))
    workers.drain()
    assert "Imported: 0 new contacts, 3 updated." in session.get(
        f"/admin/contacts/import/{second}"
    ).get_data(as_text=True)
    with app.app_context():
        phones = sorted(db.session.scalars(select(Contact.phone)))
        assert phones == ["+254712000001", "+254722000333", "+254733000111"]
        one = db.session.scalar(select(Contact).where(Contact.phone == "+254712000001"))
        assert (one.language, one.county, one.ward) == ("sw", "Kitui", "Mui")
        events = db.session.scalars(
            select(ConsentEvent).where(ConsentEvent.contact_id == one.id)
        ).all()
        assert [(e.channel, e.wording_version) for e in events] == [("import", "consent.v2")]
        kam = db.session.scalar(select(Contact).where(Contact.phone == "+254733000111"))
        assert kam.county == "Kitui" and kam.consent_at is None
        assert db.session.get(Contact, opted).opted_out_at is not None  # STOP still holds
        tags = db.session.scalar(select(func.count()).select_from(ContactTag))
        assert tags == 3  # youth, farmers, women: each once
    assert len(_audit(app, "contact.import")) == 2


def test_a_coordinators_import_stays_in_their_counties(
    app: Flask, admin_as: Any, workers: Any
) -> None:
    session = admin_as("coordinator", counties=("Kitui",))
    import_id = _import_id(_upload(session, GOOD))
    workers.drain()
    page = session.get(f"/admin/contacts/import/{import_id}").get_data(as_text=True)
    assert "Nothing was imported" in page and "Not one of your counties." in page
    other = admin_as("coordinator", counties=("Kitui",))
    assert other.get(f"/admin/contacts/import/{import_id}").status_code == 403


def test_a_coordinators_import_does_not_tell_which_numbers_other_counties_hold(
    app: Flask, admin_as: Any, workers: Any
) -> None:
    """Does a Kitui coordinator's import report a number Kwale holds as it reports a number
    the gateway does not hold (a new contact, no note), and leave the Kwale contact as it was?"""
    held = joined_contact(app, "+254722000444", county="Kwale", ward="Ramisi")
    session = admin_as("coordinator", counties=("Kitui",))
    text = (
        "Phone,Language,County,Ward,Tags,Consent\r\n"
        "0712000009,sw,Kitui,Mui,,consent.v2\r\n"
        "0722000444,sw,Kitui,Mui,,consent.v2\r\n"
    )
    import_id = _import_id(_upload(session, text))
    workers.drain()
    page = session.get(f"/admin/contacts/import/{import_id}").get_data(as_text=True)
    assert "Imported: 2 new contacts, 0 updated." in page
    assert "another county" not in page and 'id="import-errors"' not in page
    with app.app_context():
        contact = db.session.get(Contact, held)
        assert (contact.county, contact.ward, contact.language) == ("Kwale", "Ramisi", "en")
        assert [e.channel for e in contact.consent_events] == ["test"]


def test_export_is_excel_safe_filtered_audited_and_imports_back(
    app: Flask, admin_as: Any, workers: Any
) -> None:
    kitui = joined_contact(app, KITUI, county="Kitui")
    joined_contact(app, KWALE, county="Kwale", ward="Ramisi")
    _tag(app, kitui, "=hyperlink(x)")
    session = admin_as("admin")
    response = session.get("/admin/contacts/export?county=Kitui")
    assert response.headers["Content-Type"].startswith("text/csv")
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:6] == ["phone", "language", "county", "ward", "tags", "consent"]
    # Text Excel would run as a formula keeps a leading apostrophe (the number's "+" too).
    assert len(rows) == 2 and rows[1][0] == "'" + KITUI and rows[1][4] == "'=hyperlink(x)"
    [event] = _audit(app, "contact.export")
    assert event.details == {"rows": 1, "filters": {"county": "Kitui"}}
    # The file imports back as it is: the same contact, updated, nobody new.
    import_id = _import_id(_upload(session, body))
    workers.drain()
    page = session.get(f"/admin/contacts/import/{import_id}").get_data(as_text=True)
    assert "Imported: 0 new contacts, 1 updated." in page
    viewer = admin_as("viewer").get("/admin/contacts/export").get_data(as_text=True)
    assert KITUI not in viewer and "+2547••••••01" in viewer


def test_an_import_whose_worker_died_resumes_after_the_last_committed_batch(
    app: Flask, make_user: Any
) -> None:
    """The state a worker leaves when it dies after committing the first rows: the job run
    again writes only the rest, and creates nobody twice."""
    user_id = make_user("admin")
    text = "phone,county\n0712000001,Kitui\n0712000002,Kitui\n0712000003,Kwale\n"
    joined_contact(app, "+254712000001", county="Kitui")
    joined_contact(app, "+254712000002", county="Kitui")
    with app.app_context():
        item = ContactImport(
            user_id=user_id,
            filename="people.csv",
            content=text,
            status="running",
            total_rows=3,
            processed_rows=2,
            created_rows=2,
        )
        db.session.add(item)
        db.session.commit()
        import_id = item.id
        assert import_contacts(import_id) == "done"
        assert import_contacts(import_id) == "done"
        item = db.session.get(ContactImport, import_id)
        assert (item.created_rows, item.updated_rows, item.processed_rows) == (3, 0, 3)
        assert sorted(db.session.scalars(select(Contact.county))) == ["Kitui", "Kitui", "Kwale"]

"""The admin UI's contacts pages: list, search, filters, scoping, detail, changes, import and
export, through HTTP as a browser (and Africa's Talking) would send it."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

from factories import joined_contact, meetings, polls
from flask import Flask
from sqlalchemy import func, select

from gateway.contacts.imports import run_import as import_contacts
from gateway.contacts.models import ConsentEvent, Contact, ContactImport, ContactTag
from gateway.extensions import db
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
    "0712000001,sw,Kitui,Mui,youth;farmers,consent.v1\r\n"
    "+254 733 000 111,kam,kitui,,,\r\n"
    "254722000333,en,Kwale,Ramisi,women,consent.v1\r\n"
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
        assert [(e.channel, e.wording_version) for e in events] == [("import", "consent.v1")]
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
        "0712000009,sw,Kitui,Mui,,consent.v1\r\n"
        "0722000444,sw,Kitui,Mui,,consent.v1\r\n"
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


def _report_lines(page: str) -> list[str]:
    """The text of each row of an import's error report (none when it has no report)."""
    found = re.search(r'<table id="import-errors">.*?</table>', page, re.S)
    if found is None:
        return []
    return [
        " ".join(re.sub(r"<[^>]+>", " ", r).split())
        for r in re.findall(r"<tr>(.*?)</tr>", found.group(0), re.S)
    ][1:]


def test_an_import_takes_only_a_consent_wording_the_gateway_knows(
    app: Flask, admin_as: Any, workers: Any
) -> None:
    """A consent cell of yes, no, Y or 1 is refused for its row, naming the wordings the
    gateway knows, and the file imports nothing: nobody who wrote "no" gets consent. An empty
    cell is no consent recorded, not an error."""
    session = admin_as("admin")
    form = session.get("/admin/contacts/import").get_data(as_text=True)
    # The page lists the accepted wordings with their words.
    assert "consent.v1" in form and "sms.join" in form
    assert "HMK will send you free SMS about mining" in form
    text = (
        "phone,county,consent\r\n"
        "0712000001,Kitui,yes\r\n"
        "0712000002,Kitui,no\r\n"
        "0712000003,Kitui,Y\r\n"
        "0712000004,Kitui,1\r\n"
        "0712000005,Kitui,consent.v1\r\n"
        "0712000006,Kitui,\r\n"
    )
    import_id = _import_id(_upload(session, text))
    workers.drain()
    page = session.get(f"/admin/contacts/import/{import_id}").get_data(as_text=True)
    assert "Nothing was imported" in page
    lines = _report_lines(page)
    accepted = "use one of: consent.v1, sms.join"
    for row, value in ((2, "yes"), (3, "no"), (4, "Y"), (5, "1")):
        [line] = [line for line in lines if line.startswith(f"{row} consent {value} ")]
        assert "Not a consent wording the gateway knows" in line and accepted in line, line
    assert len(lines) == 4  # the known wording and the empty cell are fine
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 0

    # Without the bad rows the same file imports: consent only where a wording is given.
    good = "".join(line + "\r\n" for line in text.splitlines()[:1] + text.splitlines()[5:])
    import_id = _import_id(_upload(session, good))
    workers.drain()
    page = session.get(f"/admin/contacts/import/{import_id}").get_data(as_text=True)
    assert "Imported: 2 new contacts, 0 updated." in page and not _report_lines(page)
    with app.app_context():
        consents = dict(db.session.execute(select(Contact.phone, Contact.consent_wording)).all())
    assert consents == {"+254712000005": "consent.v1", "+254712000006": None}


def test_check_consent_lists_contacts_whose_wording_is_unknown(app: Flask, runner: Any) -> None:
    """An officer can list the contacts recorded with a consent wording the gateway does not
    know (as the import once stored "yes" and "no"), numbers masked, to put them right."""
    joined_contact(app, "+254712000001", county="Kitui")
    said_no = joined_contact(app, "+254712000002", county="Kitui")
    said_yes = joined_contact(app, "+254712000003", county="Kwale", ward="Ramisi")
    with app.app_context():
        for contact_id, wording in ((said_no, "no"), (said_yes, "Y")):
            contact = db.session.get(Contact, contact_id)
            contact.consent_wording, contact.consent_channel = wording, "import"
        db.session.commit()

    result = runner.invoke(args=["contacts", "check-consent"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any("+2547••••••02" in line and "'no'" in line and "Kitui" in line for line in lines)
    assert any("+2547••••••03" in line and "'Y'" in line and "Kwale" in line for line in lines)
    assert not any("+2547••••••01" in line for line in lines)
    assert "+254712000002" not in result.output
    assert f"/admin/contacts/{said_no}" in result.output
    assert "2 contacts have a consent wording the gateway does not know" in result.output

    with app.app_context():
        for contact_id in (said_no, said_yes):
            db.session.get(Contact, contact_id).consent_wording = "consent.v1"
        db.session.commit()
    result = runner.invoke(args=["contacts", "check-consent"])
    assert result.exit_code == 0 and "Every contact's consent wording is known" in result.output


def _edit_form(page: str) -> dict[str, str]:
    """What a browser sends from the contact's edit form untouched: each select's selected
    option (its first when none is), each input's value."""
    form = re.search(r'<form method="post" action="[^"]*/edit">(.*?)</form>', page, re.S)
    assert form is not None
    values: dict[str, str] = {}
    for name, body in re.findall(r'<select name="(\w+)">(.*?)</select>', form.group(1), re.S):
        options = re.findall(r"<option([^>]*)>([^<]*)</option>", body)
        chosen = next((o for o in options if " selected" in o[0]), options[0])
        value = re.search(r'value="([^"]*)"', chosen[0])
        values[name] = value.group(1) if value else chosen[1]
    for name, value in re.findall(r'<input name="(\w+)" value="([^"]*)"', form.group(1)):
        values[name] = value
    return values


def test_saving_a_contact_keeps_a_ward_that_is_not_on_the_list(app: Flask, admin_as: Any) -> None:
    """An officer changes only a contact's language: the ward they joined with, which is not
    on the ward list (as the demo's Mutito), is kept, and the page shows it as not on the
    list."""
    contact_id = joined_contact(app, KITUI, language="en", county="Kitui", ward="Mutito")
    _tag(app, contact_id, "youth")
    session = admin_as("coordinator", counties=("Kitui",))
    path = f"/admin/contacts/{contact_id}"
    page = session.get(path).get_data(as_text=True)
    profile = re.sub(r"<[^>]+>", " ", re.search(r'<dl class="facts">(.*?)</dl>', page, re.S)[1])  # type: ignore[index]
    assert "Mutito (not on the list)" in " ".join(profile.split())

    form = _edit_form(page)
    assert form["ward"] == "Mutito" and form["county"] == "Kitui"
    response = session.post(f"{path}/edit", {**form, "language": "sw"}, page=path)
    assert response.status_code == 302
    page = session.get(path).get_data(as_text=True)
    assert "The contact was saved." in page and "Mutito" in page
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert (contact.language, contact.county, contact.ward) == ("sw", "Kitui", "Mutito")
    [edit] = _audit(app, "contact.update")
    assert set(edit.details) == {"phone", "language"}  # the one change, and nothing else

    # Another ward off the list is still refused, as is keeping it in another county.
    session.post(f"{path}/edit", {**form, "ward": "Atlantis"}, page=path)
    assert "Not a ward of that county" in session.get(path).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contact, contact_id).ward == "Mutito"


def _snapshot(app: Flask) -> list[Any]:
    """Every contact's data, consent events and tags, as an import could change them."""
    with app.app_context():
        contacts = db.session.execute(
            select(
                Contact.phone,
                Contact.language,
                Contact.county,
                Contact.ward,
                Contact.consent_at,
                Contact.consent_channel,
                Contact.consent_wording,
                Contact.opted_out_at,
            ).order_by(Contact.id)
        ).all()
        events = db.session.execute(
            select(ConsentEvent.contact_id, ConsentEvent.action, ConsentEvent.wording_version)
        ).all()
        tags = db.session.execute(select(ContactTag.contact_id, ContactTag.tag)).all()
    return [contacts, sorted(events), sorted(tags)]


def test_an_exported_contacts_file_imports_back_with_nothing_changed(
    app: Flask, admin_as: Any, workers: Any
) -> None:
    """An officer exports the contacts and imports that same file: it is accepted, with no
    row in the report, and nobody's data changes (wards not on the list, people who joined
    by SMS, people who opted out, contacts with no area)."""
    from gateway.contacts.service import record_consent

    for phone, language, county, ward in (
        ("+254700100001", "kam", "Kitui", "Mui"),
        ("+254700100002", "sw", "Kitui", "Mutito"),
        ("+254700100003", "en", "Kwale", "Msambweni"),
        ("+254700100004", "sw", "Migori", "Suna East"),
    ):
        joined_contact(app, phone, language=language, county=county, ward=ward)
    stopped = joined_contact(app, "+254700100005", language="sw", county="Kitui", ward="Mutito")
    _tag(app, stopped, "=farmers", "youth")
    with app.app_context():
        db.session.get(Contact, stopped).opted_out_at = func.now()
        by_sms = Contact(phone="+254700100006", language="sw")
        db.session.add(by_sms)
        record_consent(
            by_sms, channel="sms", wording_version="sms.join", wording_text="JIUNGE", language="sw"
        )
        db.session.add(Contact(phone="+254700100007"))
        db.session.commit()
    before = _snapshot(app)

    session = admin_as("admin")
    exported = session.get("/admin/contacts/export").get_data().decode("utf-8")
    import_id = _import_id(_upload(session, exported, "contacts.csv"))
    workers.drain()
    page = session.get(f"/admin/contacts/import/{import_id}").get_data(as_text=True)
    assert "Imported: 0 new contacts, 7 updated." in page, _report_lines(page)
    assert _report_lines(page) == []
    assert _snapshot(app) == before


def test_an_officer_records_consent_only_with_a_known_wording(app: Flask, admin_as: Any) -> None:
    """On a contact's page an officer records the consent a person gave (on a paper form, at a
    meeting) by choosing its wording; any other value, a "no" above all, is refused naming
    the known wordings, and a person who opted out stays opted out."""
    with app.app_context():
        contact = Contact(phone=KITUI, language="sw", county="Kitui", ward="Mui")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.id
    session = admin_as("coordinator", counties=("Kitui",))
    path = f"/admin/contacts/{contact_id}"
    page = session.get(path).get_data(as_text=True)
    form = _edit_form(page)
    assert form["consent"] == ""  # left as it is, a save records nothing
    assert '<option value="consent.v1">' in page and '<option value="sms.join">' in page

    session.post(f"{path}/edit", {**form, "consent": "no"}, page=path)
    page = session.get(path).get_data(as_text=True)
    assert "Not a consent wording the gateway knows; use one of: consent.v1, sms.join" in page
    session.post(f"{path}/edit", form, page=path)
    with app.app_context():
        assert db.session.get(Contact, contact_id).consent_at is None
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 0

    session.post(f"{path}/edit", {**form, "consent": "consent.v1"}, page=path)
    page = session.get(path).get_data(as_text=True)
    assert "The contact was saved." in page and "Subscribed" in page
    with app.app_context():
        [event] = db.session.scalars(select(ConsentEvent)).all()
        assert (event.channel, event.wording_version, event.language) == (
            "admin",
            "consent.v1",
            "sw",
        )
        db.session.get(Contact, contact_id).opted_out_at = func.now()
        db.session.commit()
    session.post(f"{path}/edit", {**form, "consent": "sms.join"}, page=path)
    assert "this person opted out; they stay opted out" in session.get(path).get_data(as_text=True)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.opted_out_at is not None and contact.consent_wording == "consent.v1"


def test_ids_and_pages_past_64_bits_are_not_found_or_the_first_page(
    app: Flask, admin_as: Any
) -> None:
    """Does an address with a contact, poll or broadcast id past 64 bits show the Not found
    page, and a page number past 64 bits (or no number) the first page, not an error."""
    joined_contact(app, KITUI, language="sw", county="Kitui", ward="Mui")
    session = admin_as("admin")
    for huge in ("99999999999999999999", "9223372036854775808", "9" * 5000):
        for path in (f"/admin/contacts/{huge}", f"/admin/polls/{huge}", f"/admin/users/{huge}"):
            missing = session.get(path)
            assert missing.status_code == 404, path[:40]
            assert "There is nothing at this address." in missing.get_data(as_text=True)
        first = session.get(f"/admin/contacts/?page={huge}").get_data(as_text=True)
        assert "1 contact<" in first and "+2547••••••01" in first
    for junk in ("²", "٢", "-1", "0"):
        assert "+2547••••••01" in session.get(f"/admin/contacts/?page={junk}").get_data(
            as_text=True
        )


def test_the_kiswahili_ui_names_languages_and_months_in_kiswahili(
    app: Flask, admin_as: Any
) -> None:
    """Does a Kiswahili-speaking admin read the contacts list and a contact's page with the
    languages named in Kiswahili (Kiswahili, Kikamba, Kiingereza: in the table, the filter
    and the edit form) and the months too (Des), with no English names left?"""
    contact_id = joined_contact(app, KITUI, language="kam")
    december = datetime(2026, 12, 15, 7, 30, tzinfo=UTC)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        contact.created_at = contact.consent_at = december
        db.session.commit()
    admin = admin_as("admin", language="sw")
    listing = admin.get("/admin/contacts/").get_data(as_text=True)
    detail = admin.get(f"/admin/contacts/{contact_id}").get_data(as_text=True)
    assert _rows(listing) == ["+2547••••••01 Kikamba Kitui Mui Amejiunga 15 Des 2026"]
    assert '<option value="en">Kiingereza</option>' in listing
    assert "<dd>Kikamba</dd>" in detail and "15 Des 2026 10:30" in detail
    assert '<option value="sw">Kiswahili</option>' in detail
    for page in (listing, detail):
        # ("English" stays, once: the menu of languages to read the UI in names each in its own.)
        for english in ("Kamba", "Swahili", " Dec "):
            assert english not in page, english
        assert page.count(">English<") == 1


def test_an_import_takes_language_and_county_names_as_people_write_them(
    app: Flask, admin_as: Any, workers: Any
) -> None:
    """A file written by hand (or from the template the import page offers) may name the
    language and the county as people do: Kiswahili, Kikamba, English; Taita-Taveta."""
    session = admin_as("admin")
    page = session.get("/admin/contacts/import").get_data(as_text=True)
    accepted = re.search(r'<details id="accepted">.*?</details>', page, re.S).group(0)  # type: ignore[union-attr]
    assert "<code>kam</code> Kamba" in accepted and "<code>sw</code> Swahili" in accepted
    assert "<strong>Taita Taveta</strong>: Mwatate, Bura" in accepted
    template = session.get("/admin/contacts/import/template.csv")
    assert template.headers["Content-Disposition"] == "attachment; filename=contacts-template.csv"
    rows = template.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert rows[0] == "phone,language,county,ward,tags,consent"
    # The template imports as it is.
    workers.drain()
    first = _import_id(_upload(session, template.get_data(as_text=True)))
    workers.drain()
    assert "Imported: 3 new contacts, 0 updated." in session.get(
        f"/admin/contacts/import/{first}"
    ).get_data(as_text=True)
    by_hand = (
        "phone,language,county,ward\r\n"
        "0712000011,Kiswahili,KITUI,mui\r\n"
        "0712000012,swahili,taita taveta,MWATATE\r\n"
        "0712000013,Kiingereza,Taita-Taveta,\r\n"
        "0712000014,Klingon,Kitui,\r\n"
    )
    bad = _import_id(_upload(session, by_hand))
    workers.drain()
    report = session.get(f"/admin/contacts/import/{bad}/progress").get_data(as_text=True)
    assert "Nothing was imported" in report and "Klingon" in report
    fixed = _import_id(_upload(session, by_hand.replace("Klingon", "Kikamba")))
    workers.drain()
    assert "Imported: 4 new contacts, 0 updated." in session.get(
        f"/admin/contacts/import/{fixed}"
    ).get_data(as_text=True)
    with app.app_context():
        found = {
            phone: (language, county, ward)
            for phone, language, county, ward in db.session.execute(
                select(Contact.phone, Contact.language, Contact.county, Contact.ward).where(
                    Contact.phone.like("+25471200001%")
                )
            )
        }
    assert found == {
        "+254712000011": ("sw", "Kitui", "Mui"),
        "+254712000012": ("sw", "Taita Taveta", "Mwatate"),
        "+254712000013": ("en", "Taita Taveta", None),
        "+254712000014": ("kam", "Kitui", None),
    }

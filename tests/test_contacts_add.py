"""Adding one contact from the admin UI's form, the ward choices narrowed to the chosen county,
and each user choosing their own UI language: through HTTP as a browser sends it."""

from __future__ import annotations

import re
from typing import Any

from factories import joined_contact
from flask import Flask
from sqlalchemy import select

from gateway.contacts.models import ConsentEvent, Contact, ContactTag
from gateway.extensions import db
from gateway.users.models import AuditEvent, User

NEW = "+254712345678"


def _contact(app: Flask, phone: str) -> Contact | None:
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == phone))
        if contact is not None:
            db.session.expunge(contact)
        return contact


def _audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _options(html: str) -> list[str]:
    """The ward choices of a page (or of the ward ``<select>`` fragment), the blank one left out."""
    select_ = re.search(r'<select name="ward" id="ward">(.*?)</select>', html, re.S)
    assert select_ is not None
    return re.findall(r'<option(?! value="")[^>]*>([^<]*)</option>', select_.group(1))


def test_an_admin_adds_a_contact_with_names_as_people_write_them(app: Flask, admin_as: Any) -> None:
    """Does the form add the contact with its language, county, ward, tags and the consent it
    was given (a known wording, channel admin), audited with the number masked, and open the
    new contact's page?"""
    session = admin_as("admin")
    listing = session.get("/admin/contacts/").get_data(as_text=True)
    assert 'href="/admin/contacts/new"' in listing
    form = session.get("/admin/contacts/new").get_data(as_text=True)
    assert "consent.v1:" in form and "No consent given" in form
    response = session.post(
        "/admin/contacts/new",
        {
            "phone": "0712 345 678",
            "language": "sw",
            "county": "Kitui",
            "ward": "Mui",
            "tags": "Youth; farmers",
            "consent": "consent.v1",
        },
    )
    assert response.status_code == 302
    contact = _contact(app, NEW)
    assert contact is not None
    assert response.headers["Location"] == f"/admin/contacts/{contact.id}"
    assert (contact.language, contact.county, contact.ward) == ("sw", "Kitui", "Mui")
    assert (contact.consent_channel, contact.consent_wording) == ("admin", "consent.v1")
    page = session.get(response.headers["Location"]).get_data(as_text=True)
    assert "Contact +2547••••••78 added." in page and "farmers" in page
    with app.app_context():
        tags = set(
            db.session.scalars(select(ContactTag.tag).where(ContactTag.contact_id == contact.id))
        )
        [event] = db.session.scalars(
            select(ConsentEvent).where(ConsentEvent.contact_id == contact.id)
        )
    assert tags == {"youth", "farmers"}
    assert (event.channel, event.wording_version, event.language) == ("admin", "consent.v1", "sw")
    [created] = _audit(app, "contact.create")
    assert created.actor.startswith("admin") and created.target_id == str(contact.id)
    assert created.details["phone"] == "+2547••••••78" and NEW not in str(created.details)
    assert created.details["county"] == "Kitui" and created.details["consent"] == "consent.v1"

    # Without a consent wording the contact is added with no consent: nothing is sent to them.
    session.post("/admin/contacts/new", {"phone": "0733000111", "language": "Kikamba"})
    quiet = _contact(app, "+254733000111")
    assert quiet is not None and quiet.language == "kam"
    assert quiet.consent_at is None and quiet.county is None


def test_a_bad_form_is_refused_and_shown_again_with_its_values(app: Flask, admin_as: Any) -> None:
    """Are a bad number, a ward of another county and an answer given as consent ("yes") each
    refused with the reason, the form keeping what was typed, and nothing added?"""
    session = admin_as("admin")
    bad = session.post(
        "/admin/contacts/new",
        {"phone": "12", "county": "Kitui", "ward": "Ramisi", "consent": "yes", "tags": "x"},
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Not a valid phone number." in page and "Not a ward of that county." in page
    assert "Not a consent wording the gateway knows" in page
    assert 'value="12"' in page and "<option selected>Kitui</option>" in page
    refused = session.post("/admin/contacts/new", {"phone": NEW, "consent": "Yes"})
    assert refused.status_code == 400 and _contact(app, NEW) is None
    assert _audit(app, "contact.create") == []


def test_a_number_held_already_is_refused_with_a_link_to_its_contact(
    app: Flask, admin_as: Any
) -> None:
    """Is a number held already refused (however it is typed) with a link to that contact, and
    is a coordinator told only that it is another county's, with no link and no county?"""
    kitui = joined_contact(app, NEW, county="Kitui", ward="Mui")
    joined_contact(app, "+254733000222", county="Kwale", ward="Ramisi")
    admin = admin_as("admin")
    response = admin.post("/admin/contacts/new", {"phone": "+254 712 345 678", "county": "Kwale"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "This number is a contact already." in page
    assert f'id="existing" href="/admin/contacts/{kitui}"' in page
    assert _contact(app, NEW).county == "Kitui"  # unchanged

    coordinator = admin_as("coordinator", counties=("Kitui",))
    own = coordinator.post("/admin/contacts/new", {"phone": "0712345678", "county": "Kitui"})
    assert f'href="/admin/contacts/{kitui}"' in own.get_data(as_text=True)
    other = coordinator.post("/admin/contacts/new", {"phone": "0733000222", "county": "Kitui"})
    text = other.get_data(as_text=True)
    assert other.status_code == 409 and "in a county that is not yours" in text
    assert 'id="existing"' not in text and "Kwale" not in text and "Ramisi" not in text


def test_a_coordinator_adds_only_to_their_counties_and_a_viewer_not_at_all(
    app: Flask, admin_as: Any
) -> None:
    """Does a Kitui coordinator's form offer Kitui only, refuse a contact of no county or of
    Kwale, and add one to Kitui; and is the form closed to a viewer?"""
    coordinator = admin_as("coordinator", counties=("Kitui",))
    form = coordinator.get("/admin/contacts/new").get_data(as_text=True)
    assert "<option>Kitui</option>" in form and "Kwale" not in form
    none = coordinator.post("/admin/contacts/new", {"phone": NEW})
    assert "A county is needed (one of yours)." in none.get_data(as_text=True)
    kwale = coordinator.post("/admin/contacts/new", {"phone": NEW, "county": "Kwale"})
    assert "Not one of your counties." in kwale.get_data(as_text=True)
    assert _contact(app, NEW) is None
    added = coordinator.post(
        "/admin/contacts/new", {"phone": NEW, "county": "kitui", "ward": "nuu", "language": "en"}
    )
    assert added.status_code == 302
    assert (_contact(app, NEW).county, _contact(app, NEW).ward) == ("Kitui", "Nuu")

    viewer = admin_as("viewer")
    assert viewer.get("/admin/contacts/new").status_code == 403
    assert 'href="/admin/contacts/new"' not in viewer.get("/admin/contacts/").get_data(as_text=True)
    closed = viewer.post("/admin/contacts/new", {"phone": "0733000999"}, page="/admin/contacts/")
    assert closed.status_code == 403 and _contact(app, "+254733000999") is None


def test_the_ward_filter_offers_the_chosen_countys_wards(app: Flask, admin_as: Any) -> None:
    """Does the contacts list's ward filter offer only the chosen county's wards (all, grouped
    by county, when none is chosen), refreshed by htmx from the county, and is a coordinator
    never offered another county's wards?"""
    session = admin_as("admin")
    everything = session.get("/admin/contacts/").get_data(as_text=True)
    assert {"Mui", "Ramisi", "Bura"} <= set(_options(everything))
    assert '<optgroup label="Kwale">' in everything
    assert 'hx-get="/admin/contacts/wards?filter=1"' in everything
    kwale = session.get("/admin/contacts/?county=Kwale&ward=Ramisi").get_data(as_text=True)
    assert _options(kwale) == [
        "Ramisi",
        "Kinondo",
        "Gombato Bongwe",
        "Ukunda",
        "Pongwe/Kikoneni",
        "Vanga",
    ]
    assert "<option selected>Ramisi</option>" in kwale

    fragment = session.get("/admin/contacts/wards?filter=1&county=Kitui&ward=Ramisi")
    wards = _options(fragment.get_data(as_text=True))
    assert wards[:2] == ["Mui", "Nuu"] and "Ramisi" not in wards
    assert '<option value="">Any</option>' in fragment.get_data(as_text=True)

    coordinator = admin_as("coordinator", counties=("Kitui",))
    theirs = coordinator.get("/admin/contacts/wards?filter=1&county=Kwale").get_data(as_text=True)
    assert "Ramisi" not in theirs and "Mui" in theirs  # Kwale is not theirs: Kitui's wards


def test_a_coordinator_and_a_viewer_each_choose_their_own_ui_language(
    app: Flask, admin_as: Any
) -> None:
    """Can a coordinator switch their own pages to Kiswahili, and a viewer theirs to Kikamba,
    from the form at the top of a page, each changing only their own language, audited?"""
    coordinator = admin_as("coordinator", email="mwikali@hmk.example", counties=("Kitui",))
    viewer = admin_as("viewer", email="otieno@hmk.example")
    coordinator.post(
        "/admin/language", {"language": "sw", "next": "/admin/contacts/"}, page="/admin/contacts/"
    )
    page = coordinator.get("/admin/contacts/").get_data(as_text=True)
    assert '<html lang="sw">' in page and "Kurasa zako sasa ziko kwa Kiswahili." in page
    viewer.post("/admin/language", {"language": "kam", "next": "/admin/"}, page="/admin/")
    assert '<html lang="kam">' in viewer.get("/admin/").get_data(as_text=True)
    assert '<html lang="sw">' in coordinator.get("/admin/").get_data(as_text=True)
    with app.app_context():
        languages = dict(db.session.execute(select(User.email, User.language)).all())
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update"))
        changes = {event.actor: event.details["changes"] for event in events}
    assert languages == {"mwikali@hmk.example": "sw", "otieno@hmk.example": "kam"}
    assert changes == {
        "mwikali@hmk.example": {"language": ["en", "sw"]},
        "otieno@hmk.example": {"language": ["en", "kam"]},
    }

"""The admin UI's Users and Audit pages: admins create users (a reset link shown once), change
their role, counties and language, deactivate them; the audit log with its filters."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from conftest import Admin, csrf_token
from flask import Flask
from sqlalchemy import select

from gateway.extensions import db, utcnow
from gateway.users.models import AuditEvent, User


def _link(page: str) -> str:
    found = re.search(r'id="reset-link" value="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def _rows(page: str) -> str:
    """The table's rows (not the filters' choices)."""
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def _rows_of(session: Admin, path: str) -> str:
    return _rows(session.get(path).get_data(as_text=True))


def _user(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        db.session.expunge(user)
        return user


def test_an_admin_creates_a_coordinator_who_sets_a_password_with_the_link(app, admin_as):
    """Does the form make a coordinator of Kitui, show the reset link once (not on the list
    afterwards), and does the link let them set a password and log in?"""
    admin = admin_as("admin", email="wanjiru@hmk.example")
    page = admin.post(
        "/admin/users",
        {
            "email": "Musyoka@HMK.example",
            "name": "Musyoka",
            "role": "coordinator",
            "counties": ["Kitui"],
            "language": "sw",
        },
    ).get_data(as_text=True)
    assert "User created" in page and "Musyoka (musyoka@hmk.example)" in page
    link = _link(page)
    user = _user(app, "musyoka@hmk.example")
    assert (user.role, user.counties, user.language, user.active) == (
        "coordinator",
        ["Kitui"],
        "sw",
        True,
    )
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "musyoka@hmk.example" in listing and "/admin/reset/" not in listing

    path = urlsplit(link).path
    client = app.test_client()
    form = client.get(path).get_data(as_text=True)
    done = client.post(
        path, data={"password": "a long new password", "csrf_token": csrf_token(form)}
    )
    assert done.status_code == 302
    musyoka = Admin(app.test_client())
    assert musyoka.login("musyoka@hmk.example", "a long new password").status_code == 302
    assert "Watumiaji" not in musyoka.get("/admin/").get_data(as_text=True)  # no Users menu
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        created = [e for e in events if e.action == "user.create"]
        assert [(e.actor, e.details["role"]) for e in created] == [
            ("wanjiru@hmk.example", "coordinator")
        ]


def test_a_coordinator_without_a_county_and_a_duplicate_are_refused(app, admin_as):
    admin = admin_as("admin", email="a@hmk.example")
    response = admin.post(
        "/admin/users", {"email": "x@hmk.example", "role": "coordinator", "language": "en"}
    )
    assert response.status_code == 400
    assert "A coordinator needs at least one county." in response.get_data(as_text=True)
    again = admin.post("/admin/users", {"email": "A@hmk.example", "role": "viewer"})
    assert again.status_code == 400
    assert "A user with this email exists already." in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == ["a@hmk.example"]


def test_editing_role_counties_and_language(app, admin_as, make_user):
    """Does the edit form change a viewer into a Kwale coordinator with Kiswahili, audited
    with the before and after of each field?"""
    admin = admin_as("admin", email="a@hmk.example")
    user_id = make_user("viewer", email="v@hmk.example")
    form = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'value="viewer" selected' in form
    response = admin.post(
        f"/admin/users/{user_id}",
        {"name": "Amina", "role": "coordinator", "counties": ["Kwale"], "language": "sw"},
    )
    assert response.status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Saved the changes to v@hmk.example." in page
    user = _user(app, "v@hmk.example")
    assert (user.name, user.role, user.counties, user.language) == (
        "Amina",
        "coordinator",
        ["Kwale"],
        "sw",
    )
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
        assert event.details["changes"]["role"] == ["viewer", "coordinator"]
        assert event.details["changes"]["counties"] == [[], ["Kwale"]]


def test_deactivating_a_user_stops_their_login_and_an_admin_cannot_demote_themselves(
    app, admin_as, make_user
):
    admin = admin_as("admin", email="a@hmk.example")
    user_id = make_user("viewer", email="v@hmk.example")
    response = admin.post(f"/admin/users/{user_id}/active", {"active": "0"}, page="/admin/users")
    assert response.status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "v@hmk.example is deactivated" in page and "Deactivated" in page
    assert Admin(app.test_client()).login("v@hmk.example").status_code == 401
    assert admin.post(f"/admin/users/{user_id}/reset-link", page="/admin/users").status_code == 302
    assert "Reactivate the user before" in admin.get("/admin/users").get_data(as_text=True)

    me = admin.user_id  # type: ignore[attr-defined]
    mine = admin.post(
        f"/admin/users/{me}", {"role": "viewer", "language": "en"}, page=f"/admin/users/{me}"
    )
    assert mine.status_code == 400
    assert "You cannot change your own role" in mine.get_data(as_text=True)
    assert _user(app, "a@hmk.example").role == "admin"


def test_a_reset_link_for_an_existing_user_is_shown_once_and_audited(app, admin_as, make_user):
    admin = admin_as("admin", email="a@hmk.example")
    user_id = make_user("radio_host", email="host@hmk.example", name="Host")
    page = admin.post(f"/admin/users/{user_id}/reset-link", page="/admin/users")
    text = page.get_data(as_text=True)
    assert "Password reset link" in text and "/admin/reset/" in _link(text)
    assert app.test_client().get(urlsplit(_link(text)).path).status_code == 200
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.reset_link"))
        assert event.target_id == str(user_id) and "/reset/" not in str(event.details)


def test_only_admins_open_the_users_and_audit_pages(app, admin_as):
    for role, counties in (("coordinator", ("Kitui",)), ("radio_host", ()), ("viewer", ())):
        session = admin_as(role, counties=counties)
        for path in ("/admin/users", "/admin/audit"):
            response = session.get(path)
            assert response.status_code == 403, (role, path)
            assert "Create the user" not in response.get_data(as_text=True)
        posted = session.post(
            "/admin/users", {"email": "z@hmk.example", "role": "admin"}, page="/admin/"
        )
        assert posted.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "z@hmk.example")) is None


def test_the_audit_page_filters_by_actor_action_and_date(app, admin_as):
    """Does the log show who did what, and do the actor, action and date filters narrow it?"""
    admin = admin_as("admin", email="wanjiru@hmk.example", language="sw")
    admin.post("/admin/users", {"email": "v1@hmk.example", "role": "viewer"}, page="/admin/users")
    with app.app_context():
        db.session.add(
            AuditEvent(
                actor="token:secretariat",
                action="contact.delete",
                target_type="contact",
                target_id="7",
                details={"phone": "+2547••••••01"},
                created_at=utcnow() - timedelta(days=40),
            )
        )
        db.session.commit()
    whole = admin.get("/admin/audit").get_data(as_text=True)
    page = _rows(whole)
    assert "Kumbukumbu ya mabadiliko" in whole and "Nani" in whole  # the Kiswahili page
    assert "user.create" in page and "contact.delete" in page and "user.login" in page
    assert "+2547••••••01" in page
    by_actor = _rows_of(admin, "/admin/audit?actor=secretariat")
    assert "contact.delete" in by_actor and "user.create" not in by_actor
    by_action = _rows_of(admin, "/admin/audit?action=user.create")
    assert "v1@hmk.example" in by_action and "contact.delete" not in by_action
    today = utcnow().date().isoformat()
    recent = _rows_of(admin, f"/admin/audit?since={today}")
    assert "user.create" in recent and "contact.delete" not in recent
    old = (utcnow() - timedelta(days=39)).date().isoformat()
    older = _rows_of(admin, f"/admin/audit?until={old}")
    assert "contact.delete" in older and "user.create" not in older


def test_the_users_page_names_languages(admin_as, make_user):
    """Is a user's language shown by its name rather than as a code: in the list in the
    reader's language (Swahili), in the menu of languages to read the UI in by its own name
    (Kiswahili)?"""
    make_user("viewer", email="amina@hmk.example", language="sw")
    page = admin_as("admin").get("/admin/users").get_data(as_text=True)
    assert "<td>Swahili</td>" in page and "<td>sw</td>" not in page
    assert '<option value="sw">Kiswahili</option>' in page


def test_switching_ones_own_language_is_confirmed_in_the_new_one(admin_as):
    """Does a Kiswahili-speaking admin who switches their own language to English read the
    confirmation in English (not in the Kiswahili they just left), and in Kiswahili when they
    switch back?"""
    admin = admin_as("admin", email="wanjiru@hmk.example", language="sw", name="Wanjiru")
    me = admin.user_id  # type: ignore[attr-defined]
    saved_en = "Saved the changes to wanjiru@hmk.example."
    saved_sw = "Mabadiliko ya wanjiru@hmk.example yamehifadhiwa."
    english = admin.post(
        f"/admin/users/{me}",
        {"name": "Wanjiru", "role": "admin", "language": "en"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert saved_en in english and saved_sw not in english
    swahili = admin.post(
        f"/admin/users/{me}",
        {"name": "Wanjiru", "role": "admin", "language": "sw"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert saved_sw in swahili and saved_en not in swahili


def test_the_kiswahili_ui_names_languages_and_months_in_kiswahili(app, admin_as, make_user):
    """Does the Users page of a Kiswahili-speaking admin name languages (Kiswahili, Kikamba)
    and months (Des) in Kiswahili, with no English names left; and an English-speaking
    admin's in English?"""
    amina = make_user("viewer", email="amina@hmk.example", language="kam")
    with app.app_context():
        db.session.get(User, amina).last_login_at = datetime(2026, 12, 15, 7, 30, tzinfo=UTC)
        db.session.commit()
    page = admin_as("admin", language="sw").get("/admin/users").get_data(as_text=True)
    rows = _rows(page)
    assert "<td>Kikamba</td>" in rows and "<td>Kiswahili</td>" in rows
    assert "15 Des 2026 10:30" in rows  # East Africa Time
    assert "Kamba" not in page and "Swahili" not in page and " Dec " not in page
    english = _rows_of(admin_as("admin", language="en"), "/admin/users")
    assert "<td>Kamba</td>" in english and "15 Dec 2026 10:30" in english


def test_anyone_switches_their_own_language_at_the_top_of_every_page(app, admin_as):
    """Can a viewer (who has no Users page) switch the admin UI from Kiswahili to English at
    the top of the page they are on, come back to it, and read the confirmation and the page
    in English; is it audited, and are an unknown language and a foreign return address
    refused?"""
    viewer = admin_as("viewer", email="juma@hmk.example", language="sw")
    page = viewer.get("/admin/contacts/").get_data(as_text=True)
    assert 'action="/admin/language"' in page
    assert '<option value="sw" selected>Kiswahili</option>' in page
    assert '<option value="en">English</option>' in page  # each in its own words
    switched = viewer.post(
        "/admin/language",
        {"language": "en", "next": "/admin/contacts/?county=Kitui"},
        page="/admin/contacts/",
    )
    assert switched.headers["Location"] == "/admin/contacts/?county=Kitui"
    after = viewer.get("/admin/contacts/?county=Kitui").get_data(as_text=True)
    assert "Your pages are now in English." in after and '<html lang="en">' in after
    assert '<option value="en" selected>English</option>' in after
    assert _user(app, "juma@hmk.example").language == "en"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
        assert event.actor == "juma@hmk.example"
        assert event.details["changes"] == {"language": ["sw", "en"]}
    refused = viewer.post(
        "/admin/language", {"language": "xx", "next": "https://evil.example/"}, page="/admin/"
    )
    assert refused.headers["Location"] == "/admin/"
    assert _user(app, "juma@hmk.example").language == "en"
    assert "Choose one of the languages." in viewer.get("/admin/").get_data(as_text=True)


def test_admins_see_api_tokens_and_revoke_one_on_the_tokens_page(
    app: Flask, admin_as, runner
) -> None:
    """Can an admin see every API token (name, owner, dates, never the secret) and revoke a
    lost one, audited, after which it no longer works; and is the page closed to others?"""
    lost = runner.invoke(args=["tokens", "create", "lost-laptop"]).output.strip()
    kept = runner.invoke(args=["tokens", "create", "radio-studio", "--no-expiry"]).stdout.strip()
    admin = admin_as("admin")
    page = admin.get("/admin/tokens").get_data(as_text=True)
    assert "API tokens" in page and "lost-laptop" in page and "radio-studio" in page
    assert lost not in page and kept not in page and "Never" in page
    rows = _rows(page)
    from gateway.api.models import ApiToken

    with app.app_context():
        row_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "lost-laptop"))
    assert f'action="/admin/tokens/{row_id}/revoke"' in rows
    unsafe = admin.client.post(f"/admin/tokens/{row_id}/revoke")  # no CSRF token
    assert unsafe.status_code == 400
    done = admin.post(f"/admin/tokens/{row_id}/revoke", page="/admin/tokens")
    assert done.status_code == 302
    after = admin.get("/admin/tokens").get_data(as_text=True)
    assert "lost-laptop is revoked" in after
    line = next(r for r in _rows(after).split("</tr>") if "lost-laptop" in r)
    assert "Revoked" in line and "/revoke" not in line
    api = app.test_client()
    refused = api.get("/api/v1/contacts/+254712345678", headers={"Authorization": f"Bearer {lost}"})
    assert refused.status_code == 401
    still = api.get("/api/v1/contacts/+254712345678", headers={"Authorization": f"Bearer {kept}"})
    assert still.status_code == 404  # a good token; the contact just does not exist
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoke"))
        assert event is not None and event.details["name"] == "lost-laptop"
        assert event.actor.startswith("admin")
    sw = admin_as("admin", language="sw").get("/admin/tokens").get_data(as_text=True)
    assert "Tokeni za API" in sw
    for role in ("coordinator", "viewer", "radio_host"):
        other = admin_as(role, counties=("Kitui",) if role == "coordinator" else ())
        assert other.get("/admin/tokens").status_code == 403
        assert other.post(f"/admin/tokens/{row_id}/revoke", page="/admin/").status_code == 403

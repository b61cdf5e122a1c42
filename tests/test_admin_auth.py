"""The admin UI's door: logging in, roles, throttling, CSRF, headers, resets, the audit log."""

from __future__ import annotations

import io
import re
from typing import Any

from conftest import PASSWORD, Admin, csrf_token
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from gateway.extensions import db
from gateway.users.models import AuditEvent, User


def test_a_user_logs_in_sees_the_dashboard_and_logs_out(app: Flask, make_user) -> None:
    """Can a secretariat officer log in with email and password, see the dashboard, log out."""
    make_user("admin", email="wanjiru@hmk.example", name="Wanjiru")
    session = Admin(app.test_client())
    assert session.get("/admin/").headers["Location"].startswith("/admin/login")
    response = session.login("Wanjiru@HMK.example")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = session.get("/admin/").get_data(as_text=True)
    assert "Subscribers by county" in page and "Wanjiru" in page
    assert session.post("/admin/logout", page="/admin/").status_code == 302
    assert session.get("/admin/").status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["user.login"]


def test_a_wrong_password_is_refused_and_repeated_ones_are_throttled(app: Flask, make_user) -> None:
    """After five wrong passwords, even the right one is refused for a while."""
    make_user("admin", email="a@hmk.example")
    session = Admin(app.test_client())
    for _ in range(5):
        response = session.login("a@hmk.example", "wrong password!")
        assert response.status_code == 401
        assert "do not match" in response.get_data(as_text=True)
    response = session.login("a@hmk.example", PASSWORD)
    assert response.status_code == 429
    assert "Wait 15 minutes" in response.get_data(as_text=True)


def test_a_form_post_without_the_csrf_token_is_refused(app: Flask, make_user) -> None:
    """A cross-site form post (no CSRF token) cannot log anyone in or out."""
    make_user("admin", email="a@hmk.example")
    client = app.test_client()
    response = client.post("/admin/login", data={"email": "a@hmk.example", "password": PASSWORD})
    assert response.status_code == 400
    assert "session" not in response.headers.get("Set-Cookie", "") or "user" not in str(
        response.headers
    )
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_pages_carry_security_headers_and_safe_cookies(app: Flask, make_user) -> None:
    make_user("admin", email="a@hmk.example")
    session = Admin(app.test_client())
    response = session.login("a@hmk.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    page = session.get("/admin/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in page.get_data(as_text=True)  # no inline script anywhere


def test_the_ui_speaks_the_users_language(admin_as) -> None:
    session = admin_as("viewer", language="sw")
    page = session.get("/admin/").get_data(as_text=True)
    assert "Wanachama kwa kaunti" in page and "Toka" in page


def test_the_navigation_shows_only_what_a_role_may_open(admin_as) -> None:
    host = admin_as("radio_host").get("/admin/").get_data(as_text=True)
    nav = re.search(r"<nav.*?</nav>", host, re.S)
    assert nav is not None and "Dashboard" in nav.group(0)
    assert "Users" not in nav.group(0) and "Audit log" not in nav.group(0)


def test_a_reset_link_sets_a_new_password_once(app: Flask, make_user, runner) -> None:
    """An admin's reset link (the CLI's) lets a user choose a new password, once."""
    make_user("coordinator", email="musyoka@hmk.example", counties=("Kitui",))
    link = runner.invoke(args=["users", "reset-link", "musyoka@hmk.example"]).output.strip()
    path = link.split("8000", 1)[1]
    client = app.test_client()
    page = client.get(path).get_data(as_text=True)
    response = client.post(
        path, data={"password": "a new long password", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    assert (
        Admin(app.test_client()).login("musyoka@hmk.example", "a new long password").status_code
        == 302
    )
    assert Admin(app.test_client()).login("musyoka@hmk.example").status_code == 401
    assert client.get(path).status_code == 410  # the link is spent


def test_users_are_created_from_the_command_line(app: Flask, runner) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Host@Radio.example",
            "--role",
            "radio_host",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    refused = runner.invoke(
        args=[
            "users",
            "create",
            "c@hmk.example",
            "--role",
            "coordinator",
            "--password",
            "long enough pw",
        ]
    )
    assert refused.exit_code != 0 and "--county" in refused.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "host@radio.example"))
    assert user is not None and user.role == "radio_host" and user.password_hash != "long enough pw"


def test_an_api_token_acts_as_its_user_and_expires(app: Flask, make_user, runner) -> None:
    """A token made for a user has their role; an expired token is refused."""
    make_user("viewer", email="v@hmk.example")
    token = runner.invoke(
        args=["tokens", "create", "viewer-laptop", "--user", "v@hmk.example", "--days", "1"]
    ).output.strip()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/contacts/+254712345678", headers=auth).status_code == 404
    from datetime import timedelta

    from gateway.api.models import ApiToken
    from gateway.extensions import utcnow

    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row is not None and row.user_id is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/api/v1/contacts/+254712345678", headers=auth)
    assert response.status_code == 401 and "expired" in response.get_json()["message"]


class Unread(io.BytesIO):
    """A request body that fails the test if anything reads it."""

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body of an anonymous post was read")

    read1 = readline = read

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("the body of an anonymous post was read")


def test_an_anonymous_post_goes_to_the_login_page_without_its_body_being_read(
    app: Flask,
) -> None:
    """Someone not logged in who posts 50 MB to an admin form is sent to the login page, and
    the web process never reads what they sent."""
    client = app.test_client()
    for path in ("/admin/contacts/import", "/admin/users", "/admin/logout"):
        response = client.post(
            path,
            input_stream=Unread(),
            content_length=50 * 1024 * 1024,
            content_type="multipart/form-data; boundary=x",
        )
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/admin/login")


def test_a_form_is_refused_past_1_mb_but_a_csv_import_takes_a_larger_file(admin_as) -> None:
    """A logged-in user's form of 2 MB is refused (413), while the contact import still takes a
    file of a few MB (here one that is not UTF-8, so it is read, checked and answered)."""
    admin = admin_as("admin")
    big = admin.post("/admin/users", {"name": "x" * (2 * 1024 * 1024)})
    assert big.status_code == 413 and "Too Large" in big.get_data(as_text=True)
    # Encoded here in memory (the test client spools a body this big to a file it leaves open).
    boundary, body = encode_multipart(
        {
            "csrf_token": admin.token("/admin/contacts/import"),
            "file": FileStorage(io.BytesIO(b"\xff" * (3 * 1024 * 1024)), "contacts.csv"),
        }
    )
    upload = admin.client.post(
        "/admin/contacts/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert upload.status_code == 400
    assert "The file is not UTF-8 text" in upload.get_data(as_text=True)

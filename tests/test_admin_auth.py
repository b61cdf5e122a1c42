"""The admin UI's door: logging in, roles, throttling, CSRF, headers, resets, the audit log."""

from __future__ import annotations

import io
import re
import statistics
import time
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from conftest import PASSWORD, Admin, csrf_token
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from gateway.extensions import db
from gateway.users import passwords
from gateway.users.models import AuditEvent, User
from gateway.users.passwords import hash_password


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


def _browser(app: Flask, address: str) -> Admin:
    """A browser at another network address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Admin(client)


def test_an_attacker_elsewhere_cannot_lock_the_real_user_out(app: Flask, make_user) -> None:
    """Can a secretariat officer log in from the office while someone elsewhere keeps trying
    wrong passwords for their email (the attacker alone is throttled)?"""
    make_user("admin", email="wanjiru@hmk.example")
    attacker = _browser(app, "203.0.113.9")
    for _ in range(6):
        attacker.login("wanjiru@hmk.example", "wrong password!")
    assert attacker.login("wanjiru@hmk.example", PASSWORD).status_code == 429
    office = _browser(app, "198.51.100.20")
    assert office.login("wanjiru@hmk.example").status_code == 302
    assert "Subscribers by county" in office.get("/admin/").get_data(as_text=True)


def test_one_address_is_throttled_at_a_higher_count(make_app, make_user, redis) -> None:
    """Behind one office NAT, does a colleague's five typos lock only that colleague's email
    there, while many failures across emails from one address lock the address (at
    GATEWAY_LOGIN_ADDRESS_ATTEMPTS) and no one elsewhere?"""
    app = make_app(login_address_attempts=12)
    with app.app_context():
        for email in ("mutua@hmk.example", "achieng@hmk.example"):
            user = User(
                email=email, name=email, role="viewer", password_hash=hash_password(PASSWORD)
            )
            db.session.add(user)
        db.session.commit()
    colleague = _browser(app, "198.51.100.20")
    for _ in range(5):
        assert colleague.login("mutua@hmk.example", "wrong password!").status_code == 401
    assert colleague.login("mutua@hmk.example", PASSWORD).status_code == 429
    same_office = _browser(app, "198.51.100.20")
    assert same_office.login("achieng@hmk.example").status_code == 302
    guesser = _browser(app, "203.0.113.9")
    for n in range(12):
        assert guesser.login(f"guess{n}@hmk.example", "wrong password!").status_code == 401
    refused = guesser.login("achieng@hmk.example", PASSWORD)
    assert refused.status_code == 429 and "Wait 15 minutes" in refused.get_data(as_text=True)
    assert _browser(app, "192.0.2.1").login("achieng@hmk.example").status_code == 302


class CountingHasher(PasswordHasher):
    """argon2-cffi's hasher, counting the verifications it really runs."""

    calls = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        CountingHasher.calls += 1
        return super().verify(hash, password)


def test_an_unknown_email_costs_as_much_as_a_wrong_password(
    app: Flask, make_user, monkeypatch
) -> None:
    """Does a login with an email nobody has (or a deactivated user's) run the same Argon2
    check as a wrong password for a real one, so the answer's time tells no one which emails
    exist?"""
    make_user("admin", email="wanjiru@hmk.example")
    make_user("viewer", email="gone@hmk.example")
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "gone@hmk.example")).active = False
        db.session.commit()
    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    timings: dict[str, list[float]] = {}
    for n, email in enumerate(
        ["wanjiru@hmk.example", "nobody@hmk.example", "gone@hmk.example"] * 3
    ):
        before = CountingHasher.calls
        session = _browser(app, f"192.0.2.{n + 1}")
        page = session.client.get("/admin/login").get_data(as_text=True)
        started = time.perf_counter()
        response = session.client.post(
            "/admin/login",
            data={"email": email, "password": "wrong password!", "csrf_token": csrf_token(page)},
        )
        timings.setdefault(email, []).append(time.perf_counter() - started)
        assert response.status_code == 401
        assert "do not match" in response.get_data(as_text=True)
        assert CountingHasher.calls == before + 1, email
    known = statistics.median(timings["wanjiru@hmk.example"])
    for email in ("nobody@hmk.example", "gone@hmk.example"):
        assert statistics.median(timings[email]) > known / 4, timings  # generous: same order


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


def _copy(session: Admin, app: Flask) -> Admin:
    """Another browser holding a copy of ``session``'s cookie (as a thief would)."""
    thief = Admin(app.test_client())
    cookie = session.client.get_cookie("session")
    assert cookie is not None
    thief.client.set_cookie("session", cookie.value)
    return thief


@pytest.mark.parametrize("ending", ["logout", "password_reset", "deactivation", "everywhere"])
def test_ending_a_login_ends_every_copy_of_its_session(app: Flask, admin_as, ending) -> None:
    """Does a copied session cookie stop working once its user logs out (anywhere), sets a
    new password with a reset link, is deactivated, or is signed out everywhere by an admin,
    while other users stay logged in?"""
    user = admin_as("coordinator", email="musyoka@hmk.example", counties=("Kitui",))
    admin = admin_as("admin")
    thief = _copy(user, app)
    assert "Subscribers by county" in thief.get("/admin/").get_data(as_text=True)
    if ending == "logout":
        assert user.post("/admin/logout", page="/admin/").status_code == 302
    elif ending == "password_reset":
        page = admin.post(f"/admin/users/{user.user_id}/reset-link", page="/admin/users")
        link = re.search(r'id="reset-link" value="([^"]+)"', page.get_data(as_text=True))
        assert link is not None
        path = "/admin/" + link[1].split("/admin/", 1)[1]
        client = app.test_client()
        form = client.get(path).get_data(as_text=True)
        done = client.post(
            path, data={"password": "a new long password", "csrf_token": csrf_token(form)}
        )
        assert done.status_code == 302
    elif ending == "deactivation":
        done = admin.post(
            f"/admin/users/{user.user_id}/active", {"active": "0"}, page="/admin/users"
        )
        assert done.status_code == 302
    else:
        edit = f"/admin/users/{user.user_id}"
        done = admin.post(f"{edit}/sessions", page=edit)
        assert done.status_code == 302
        assert "signed out everywhere" in admin.get("/admin/users").get_data(as_text=True)
        with app.app_context():
            actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "user.sessions_ended" in actions
    for session in (thief, user):
        response = session.get("/admin/")
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert "Subscribers by county" in admin.get("/admin/").get_data(as_text=True)
    if ending in ("logout", "everywhere"):  # they log in again as before
        assert Admin(app.test_client()).login("musyoka@hmk.example").status_code == 302


def test_only_an_admin_signs_a_user_out_everywhere(app: Flask, admin_as) -> None:
    """Is a coordinator refused the Users page's "sign out everywhere" button?"""
    admin = admin_as("admin")
    coordinator = admin_as("coordinator", counties=("Kitui",))
    refused = coordinator.post(f"/admin/users/{admin.user_id}/sessions", page="/admin/")
    assert refused.status_code == 403
    assert "Subscribers by county" in admin.get("/admin/").get_data(as_text=True)


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

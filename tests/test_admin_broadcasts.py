"""The admin UI's Broadcasts pages through HTTP: the composer's live estimate (encoding, the
characters that force UCS-2, the fix, segments, reach, cost, budget), sending, following and
cancelling, with real RQ workers and the Africa's Talking emulator."""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from factories import joined_contact
from sqlalchemy import select

from gateway.broadcasts.models import Broadcast
from gateway.extensions import db
from gateway.sms.models import Message
from gateway.users.models import AuditEvent

EAT = ZoneInfo("Africa/Nairobi")
NEW = "/admin/broadcasts/new"
GSM_EN = "Meeting on the Mui coal blocks at Mui Primary School, Saturday 10:00."  # 69 chars
# 96 characters: two UCS-2 segments because of the curly quote, one GSM-7 segment without it.
CURLY_SW = (
    "Mkutano wa wananchi utafanyika Jumamosi saa nne asubuhi katika ukumbi wa kaunti. "
    "Karibuni nyote\N{RIGHT SINGLE QUOTATION MARK}"
)


@pytest.fixture(autouse=True)
def daytime():
    """Mid-morning in Nairobi (outside the quiet hours); the clock ticks on from there."""
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=EAT), tick=True):
        yield


def add(app, phone: str, language: str, county: str, consent=True, opted_out=False) -> None:
    joined_contact(app, phone, language, county, "Mui", consent=consent, opted_out=opted_out)


@pytest.fixture
def people(app) -> None:
    """Kitui: three English and two Kiswahili speakers with consent, one without consent, one
    opted out. Kwale: two English speakers."""
    for n in range(3):
        add(app, f"+25471100000{n}", "en", "Kitui")
    for n in range(2):
        add(app, f"+25472200000{n}", "sw", "Kitui")
    add(app, "+254755000001", "en", "Kitui", consent=False)
    add(app, "+254755000002", "sw", "Kitui", opted_out=True)
    for n in range(2):
        add(app, f"+25474400000{n}", "en", "Kwale")


def form(**fields) -> dict:
    base = {"name": "Mui meeting", "text_en": "", "text_sw": "", "text_kam": "", "when": "now"}
    return {**base, **fields}


def text(response) -> str:
    """The page's visible text, tags dropped and whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(body))


def section(response, language: str) -> str:
    page = response.get_data(as_text=True)
    found = re.search(
        rf'id="estimate-{language}">(.*?)</div>\s*(<div class="lang"|<div class="totals")',
        page,
        re.S,
    )
    assert found, page
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))))


def test_the_estimate_fragment_gives_gsm7_figures(app, admin_as, people) -> None:
    admin = admin_as("admin")
    response = admin.post("/admin/broadcasts/estimate", form(text_en=GSM_EN), page=NEW)
    assert response.status_code == 200
    en = section(response, "en")
    # As sent: the text and, since it still fits one SMS, the way out (69 + 14 characters).
    assert "GSM-7" in en and "1 SMS (83 characters)" in en
    assert "Saturday 10:00. STOP to 22384" in en
    # The Kiswahili speakers have no Kiswahili text: they get the English one too.
    assert "7 recipients get this text · KES 5.60" in en
    assert "Empty" in section(response, "sw")
    page = text(response)
    assert "Total: 7 recipients · KES 5.60" in page
    assert "Left out: 1 without consent, 1 opted out." in page
    assert 'id="send"' in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)  # a fragment, not a page


def test_the_estimate_names_what_forces_ucs2_and_the_fix_makes_it_gsm7(
    app, admin_as, people
) -> None:
    admin = admin_as("admin")
    draft = form(text_en=GSM_EN, text_sw=CURLY_SW)
    response = admin.post("/admin/broadcasts/estimate", draft, page=NEW)
    sw = section(response, "sw")
    assert "UCS-2" in sw and "2 SMS (111 characters)" in sw and "ACHA kwa 22384" in sw
    assert "\N{RIGHT SINGLE QUOTATION MARK}" in sw and "Fix" in sw and "(as GSM-7: 1 SMS)" in sw
    assert "2 recipients get this text · KES 3.20" in sw  # 2 people x 2 segments x 0.80
    assert "Total: 7 recipients · KES 7.20" in text(response)  # 5 x 0.80 + 3.20

    fixed = admin.post("/admin/broadcasts/fix/sw", draft, page=NEW)
    body = fixed.get_data(as_text=True)
    textarea = re.search(r'<textarea name="text_sw"[^>]*>(.*?)</textarea>', body, re.S)
    assert textarea and html.unescape(textarea.group(1)) == CURLY_SW.replace("\u2019", "'")
    sw = section(fixed, "sw")
    assert "GSM-7" in sw and "1 SMS (111 characters)" in sw and "Fix" not in sw
    assert "2 recipients get this text · KES 1.60" in sw
    assert "Total: 7 recipients · KES 5.60" in text(fixed)
    # The English text is kept as it was.
    assert GSM_EN in html.unescape(body)


def test_the_audience_count_follows_the_picker(app, admin_as, people) -> None:
    admin = admin_as("admin")
    kwale = admin.post(
        "/admin/broadcasts/estimate", form(text_en=GSM_EN, counties=["Kwale"]), page=NEW
    )
    assert "Total: 2 recipients · KES 1.60" in text(kwale)
    assert "Left out: 0 without consent, 0 opted out." in text(kwale)
    either = admin.post(
        "/admin/broadcasts/estimate",
        form(text_en=GSM_EN, counties=["Kwale"], languages=["sw"], match="any"),
        page=NEW,
    )
    assert "Total: 4 recipients" in text(either)
    both = admin.post(
        "/admin/broadcasts/estimate",
        form(text_en=GSM_EN, counties=["Kwale"], languages=["sw"], match="all"),
        page=NEW,
    )
    assert "Total: 0 recipients" in text(both)
    assert "No one in this audience can receive it." in text(both)
    # The composer offers the counties that contacts live in.
    composer = admin.get(NEW).get_data(as_text=True)
    assert 'name="counties" value="Kitui"' in composer and 'value="Kwale"' in composer


def test_sending_creates_the_broadcast_audits_it_and_delivers(
    app, admin_as, people, workers, emulator
) -> None:
    admin = admin_as("admin", email="officer@hmk.example")
    response = admin.post(NEW, form(text_en=GSM_EN, text_sw=CURLY_SW, counties=["Kitui"]))
    assert response.status_code == 302
    with app.app_context():
        broadcast = db.session.scalars(select(Broadcast)).one()
        assert broadcast.texts == {"en": GSM_EN, "sw": CURLY_SW}
        assert broadcast.audience["counties"] == ["Kitui"]
        assert broadcast.created_by == "officer@hmk.example"
        assert str(broadcast.estimated_cost_kes) == "5.6000"  # 3 x 0.80 + 2 x 2 x 0.80
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "broadcast.send")
        ).one()
        assert event.actor == "officer@hmk.example" and event.target_id == str(broadcast.id)
        assert event.details["recipients"] == 5
        broadcast_id = broadcast.id
    assert response.headers["Location"].endswith(f"/admin/broadcasts/{broadcast_id}")

    workers.drain()
    assert workers.failed() == []
    got = Counter(m["to"] for m in emulator.messages() if m["status"] == "Success")
    assert set(got) == {f"+25471100000{n}" for n in range(3)} | {"+254722000000", "+254722000001"}
    assert all(count == 1 for count in got.values())
    by_phone = {m["to"]: m["text"] for m in emulator.messages()}
    assert by_phone["+254711000000"] == GSM_EN + "\nSTOP to 22384"
    assert by_phone["+254722000000"] == CURLY_SW + "\nACHA kwa 22384"

    page = admin.get(f"/admin/broadcasts/{broadcast_id}")
    shown = text(page)
    assert "+2547••••••00" in shown and "+254711000000" not in page.get_data(as_text=True)
    assert "5 of 5 messages handled" in shown
    assert 'hx-trigger="every 1s"' not in page.get_data(as_text=True)  # finished: no polling
    listing = text(admin.get("/admin/broadcasts"))
    assert "Mui meeting" in listing and "Sent" in listing and "01 Dec 2026 10:0" in listing


def test_a_viewer_sees_the_composer_but_cannot_send(app, admin_as, people) -> None:
    viewer = admin_as("viewer")
    composer = viewer.get(NEW)
    assert "Only an administrator can send a broadcast." in text(composer)
    assert 'id="send"' not in composer.get_data(as_text=True)
    estimate = viewer.post("/admin/broadcasts/estimate", form(text_en=GSM_EN), page=NEW)
    assert "Total: 7 recipients" in text(estimate)
    refused = viewer.post(NEW, form(text_en=GSM_EN))
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Broadcast)).all() == []
        assert db.session.scalars(select(Message)).all() == []
    # A coordinator does not even see the page.
    assert admin_as("coordinator", counties=("Kitui",)).get(NEW).status_code == 403


def test_over_budget_is_refused_and_says_why(app, admin_as, people) -> None:
    app.config["GATEWAY"] = replace(app.config["GATEWAY"], monthly_budget_kes=5.0)
    admin = admin_as("admin")
    estimate = admin.post("/admin/broadcasts/estimate", form(text_en=GSM_EN), page=NEW)
    page = estimate.get_data(as_text=True)
    assert "cannot be sent" in text(estimate) and "KES 0.60 over the budget" in text(estimate)
    assert re.search(r'<button type="submit" id="send" disabled', page)
    refused = admin.post(NEW, form(text_en=GSM_EN))
    assert refused.status_code == 409
    assert "cannot be sent" in text(refused) and GSM_EN in html.unescape(
        refused.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.scalars(select(Broadcast)).all() == []
        assert (
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "broadcast.send")
            ).all()
            == []
        )


def test_urgent_needs_a_reason(app, admin_as, people) -> None:
    admin = admin_as("admin")
    response = admin.post(NEW, form(text_en=GSM_EN, urgent="1"))
    assert response.status_code == 400
    assert "Say why this broadcast may break the quiet hours." in text(response)
    with app.app_context():
        assert db.session.scalars(select(Broadcast)).all() == []


def test_a_scheduled_broadcast_is_cancelled_from_its_page(
    app, admin_as, people, workers, emulator
) -> None:
    admin = admin_as("admin")
    later = form(text_en=GSM_EN, when="later", send_at="2026-12-02T09:30")
    assert admin.post(NEW, later).status_code == 302
    with app.app_context():
        broadcast = db.session.scalars(select(Broadcast)).one()
        assert broadcast.send_at == datetime(2026, 12, 2, 6, 30, tzinfo=ZoneInfo("UTC"))
        broadcast_id = broadcast.id
    page = f"/admin/broadcasts/{broadcast_id}"
    shown = admin.get(page)
    assert "02 Dec 2026 09:30 EAT" in text(shown) and "Scheduled" in text(shown)
    assert 'hx-trigger="every 1s"' in shown.get_data(as_text=True)

    assert admin_as("viewer").post(f"{page}/cancel", page=page).status_code == 403
    done = admin.post(f"{page}/cancel", page=page)
    assert done.status_code == 302
    after = text(admin.get(page))
    assert "Broadcast cancelled" in after and "Cancelled" in after
    with app.app_context():
        assert db.session.get(Broadcast, broadcast_id).status == "cancelled"
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "broadcast.cancel")
        ).one().target_id == str(broadcast_id)
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=EAT), tick=True):
        workers.drain()
    assert emulator.messages() == []


def test_the_pages_read_in_kiswahili(app, admin_as, people) -> None:
    admin = admin_as("admin", language="sw")
    composer = text(admin.get(NEW))
    assert "Tangazo jipya" in composer and "Gharama na ufikiaji" in composer
    estimate = admin.post("/admin/broadcasts/estimate", form(text_sw=CURLY_SW), page=NEW)
    assert "Rekebisha" in text(estimate) and "Jumla: wapokeaji 2" in text(estimate)
    assert "wapokeaji 5 hawatapata chochote" in text(estimate)  # English has no text
    chosen = form(text_sw=CURLY_SW, uncovered="sw")
    estimate = admin.post("/admin/broadcasts/estimate", chosen, page=NEW)
    assert "Jumla: wapokeaji 7" in text(estimate)
    assert admin.post(NEW, chosen).status_code == 302
    listing = text(admin.get("/admin/broadcasts"))
    assert "Mui meeting" in listing and "Limepangwa" in listing


def test_one_recipient_is_counted_in_the_singular(app, admin_as) -> None:
    """Does the estimate say "1 recipient" (not "1 recipients"), in Kiswahili too?"""
    add(app, "+254744000009", "en", "Kwale")
    english = admin_as("admin").post("/admin/broadcasts/estimate", form(text_en=GSM_EN), page=NEW)
    assert "1 recipient gets this text · KES 0.80" in text(english)
    assert "Total: 1 recipient · KES 0.80" in text(english)
    kiswahili = admin_as("admin", language="sw").post(
        "/admin/broadcasts/estimate", form(text_en=GSM_EN), page=NEW
    )
    assert "Mpokeaji 1 anapata maandishi haya · KES 0.80" in text(kiswahili)
    assert "Jumla: mpokeaji 1 · KES 0.80" in text(kiswahili)


KAM = "Mbunge wa kaunti ukwenda kwisunga kisomo kya makaa mwai ya Mui, Wakyumwamosi."


def test_a_kikamba_only_text_asks_what_the_others_get(
    app, admin_as, people, workers, emulator
) -> None:
    """With a text only in Kikamba, does the composer say the English and Kiswahili speakers
    would get nothing (not "a fallback"), refuse to send until the officer chooses, and, once
    they choose to leave them out, send the Kikamba text to the Kikamba speaker alone."""
    add(app, "+254733000001", "kam", "Kitui")
    admin = admin_as("admin")
    fresh = text(admin.get(NEW))  # nothing written yet: nothing to choose
    assert "would get nothing" not in fresh and "Leave them out" not in fresh
    assert "Total: 8 recipients" in fresh  # everyone with consent
    draft = form(text_kam=KAM, counties=["Kitui"])
    estimate = admin.post("/admin/broadcasts/estimate", draft, page=NEW)
    en, sw = section(estimate, "en"), section(estimate, "sw")
    assert "No text in its chain: 3 recipients would get nothing." in en
    assert "No text in its chain: 2 recipients would get nothing." in sw
    assert "fallback" not in en + sw
    page = text(estimate)
    assert "Total: 1 recipient · KES 0.80" in page
    assert "Leave them out" in page and "Send them the Kamba text" in page
    assert re.search(r'<button type="submit" id="send" disabled', estimate.get_data(as_text=True))

    refused = admin.post(NEW, draft)
    assert refused.status_code == 409
    assert "Some recipients have no text in their language" in text(refused)
    with app.app_context():
        assert db.session.scalars(select(Broadcast)).all() == []

    assert admin.post(NEW, {**draft, "uncovered": "skip"}).status_code == 302
    with app.app_context():
        broadcast = db.session.scalars(select(Broadcast)).one()
        assert broadcast.uncovered == "skip"
    workers.drain()
    sent = KAM + "\nTuma ACHA kwa 22384"
    assert [(m["to"], m["text"]) for m in emulator.messages()] == [("+254733000001", sent)]
    shown = text(admin.get(f"/admin/broadcasts/{broadcast.id}"))
    assert "No text in their language Left out" in shown
    assert "5 with no text in their language" in shown


def test_the_officer_may_send_a_named_language_to_those_without_a_text(
    app, admin_as, people, workers, emulator
) -> None:
    """With only a Kikamba text, can the officer choose to send it to everyone in Kitui."""
    add(app, "+254733000001", "kam", "Kitui")
    admin = admin_as("admin")
    draft = form(text_kam=KAM, counties=["Kitui"], uncovered="kam")
    estimate = admin.post("/admin/broadcasts/estimate", draft, page=NEW)
    assert "its speakers get the Kamba text, as chosen below" in section(estimate, "en")
    assert "Total: 6 recipients · KES 4.80" in text(estimate)
    assert admin.post(NEW, draft).status_code == 302
    workers.drain()
    assert len(emulator.messages()) == 6
    assert {m["text"].split("\n")[0] for m in emulator.messages()} == {KAM}
    with app.app_context():
        broadcast_id = db.session.scalars(select(Broadcast.id)).one()
    shown = text(admin.get(f"/admin/broadcasts/{broadcast_id}"))
    assert "No text in their language Send them the Kamba text" in shown


def test_a_broadcast_sent_now_in_the_quiet_hours_says_it_waits(
    app, admin_as, people, workers, emulator
) -> None:
    """At 20:00 EAT, does the composer say before sending that a broadcast sent now waits until
    07:00 EAT and offer urgent (and say an urgent one goes at once); does the broadcast's page
    say why it is waiting, until it goes at 07:00."""
    draft = form(text_en=GSM_EN, counties=["Kwale"])
    with time_machine.travel(datetime(2026, 12, 1, 20, 0, tzinfo=EAT), tick=False):
        admin = admin_as("admin")  # a login lasts 8 hours: one for each time of day
        estimate = text(admin.post("/admin/broadcasts/estimate", draft, page=NEW))
        assert (
            "Quiet hours (19:00-07:00 EAT): this broadcast will wait until 02 Dec 2026 "
            "07:00 EAT." in estimate
        )
        assert "To send it at once, tick Urgent and say why." in estimate
        urgent = text(admin.post("/admin/broadcasts/estimate", {**draft, "urgent": "1"}, page=NEW))
        assert "will wait" not in urgent and "Urgent: it goes at once" in urgent
        assert admin.post(NEW, draft).status_code == 302
        with app.app_context():
            broadcast_id = db.session.scalars(select(Broadcast.id)).one()
        workers.drain()
        page = text(admin.get(f"/admin/broadcasts/{broadcast_id}"))
        assert (
            "Waiting for the quiet hours (19:00-07:00 EAT) to end: sending starts at "
            "02 Dec 2026 07:00 EAT." in page
        )
        assert "02 Dec 2026 07:00 EAT, after the quiet hours" in text(
            admin.get("/admin/broadcasts")
        )
    assert emulator.messages() == []
    with time_machine.travel(datetime(2026, 12, 2, 7, 0, 1, tzinfo=EAT), tick=False):
        admin = admin_as("admin")
        workers.drain()
        page = text(admin.get(f"/admin/broadcasts/{broadcast_id}"))
    assert "Waiting for the quiet hours" not in page and "2 of 2 messages handled" in page
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=EAT), tick=False):
        admin = admin_as("admin")
        daytime = text(admin.post("/admin/broadcasts/estimate", draft, page=NEW))
    assert "Quiet hours" not in daytime


def test_a_sent_broadcast_shows_what_was_spent_for_whom_and_its_audience(
    app, admin_as, people, workers, emulator
) -> None:
    """Once sent, does the broadcast's page show what was spent (segments handed to Africa's
    Talking x the price), per language, for how many, beside the estimate made before, and the
    audience it was aimed at; not the draft's estimate as if it were the cost."""
    admin = admin_as("admin")
    later = form(
        text_en=GSM_EN,
        text_sw=CURLY_SW,
        counties=["Kitui"],
        when="later",
        send_at="2026-12-01T11:00",
    )
    assert admin.post(NEW, later).status_code == 302
    with app.app_context():
        broadcast_id = db.session.scalars(select(Broadcast.id)).one()
    page = f"/admin/broadcasts/{broadcast_id}"
    before = text(admin.get(page))
    assert "about KES 5.60 (estimate)" in before  # 3 x 1 SMS + 2 x 2 SMS, at KES 0.80
    assert "Counties: Kitui" in before
    # Before it goes, two more Kiswahili speakers join, and one English number is blocked.
    add(app, "+254722000002", "sw", "Kitui")
    add(app, "+254722000003", "sw", "Kitui")
    emulator.set_recipient_status("+254711000000", "UserInBlacklist")
    with time_machine.travel(datetime(2026, 12, 1, 11, 0, 5, tzinfo=EAT), tick=True):
        workers.drain()
        after = text(admin.get(page))
        listing = text(admin.get("/admin/broadcasts"))
    assert "Spent: KES 8.00" in after  # 2 x 1 SMS + 4 x 2 SMS, at KES 0.80
    assert "English 2 2 KES 1.60" in after and "Swahili 4 8 KES 6.40" in after
    assert "Estimated before sending: KES 5.60" in after
    assert "about KES 5.60 (estimate)" not in after
    assert "Counties: Kitui" in after
    assert "KES 8.00" in listing and "(estimate)" not in listing

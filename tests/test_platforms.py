"""Community platforms: joining by SMS and USSD, the admin's platforms, members and leaders,
platforms as an audience and as a dimension of results, the import's platform column, and
erasure."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import factories
import pytest
import time_machine
from helpers import received, send_confirmed, text
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.contacts.models import ConsentEvent, Contact
from gateway.extensions import db
from gateway.platforms.models import LEADER, MEMBER, Membership, MiningSite, Platform
from gateway.sms.models import Message
from gateway.users.models import AuditEvent

PHONE = "+254712345678"
OTHER = "+254722000333"


@pytest.fixture
def platforms(app) -> dict[str, int]:
    """Two Kitui platforms (MUI, KANZIKU) and one in Kwale (VANGA); their ids by code."""
    with app.app_context():
        made = [
            Platform(
                name="Mui Basin Community Platform",
                code="MUI",
                county="Kitui",
                wards=["Mui", "Nuu"],
            ),
            Platform(name="Kanziku Community Platform", code="KANZIKU", county="Kitui"),
            Platform(name="Vanga Community Platform", code="VANGA", county="Kwale"),
        ]
        db.session.add_all(made)
        db.session.commit()
        return {p.code: p.id for p in made}


def contact(app, phone: str = PHONE) -> Contact:
    with app.app_context():
        found = db.session.scalar(select(Contact).where(Contact.phone == phone))
        assert found is not None
        db.session.expunge(found)
        return found


def members(app, platform_id: int) -> dict[str, tuple[str, str]]:
    """The platform's members: number -> (role, joined via)."""
    with app.app_context():
        rows = db.session.execute(
            select(Contact.phone, Membership.role, Membership.joined_via)
            .join(Membership, Membership.contact_id == Contact.id)
            .where(Membership.platform_id == platform_id)
        )
        return {phone: (role, via) for phone, role, via in rows}


# -- joining by SMS ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sms", "language"), [("JOIN MUI", "en"), ("jiunge mui", "sw"), ("Jiunge Mui.", "sw")]
)
def test_join_a_platform_by_sms_in_english_and_kiswahili(
    at, app, workers, emulator, platforms, sms, language
):
    """Can a person text JOIN MUI or JIUNGE MUI (any case) to join the Mui Basin platform, with
    their consent recorded, and be welcomed to it in the language of their keyword; does a
    second JOIN MUI change nothing but say they are in already."""
    at.sms(PHONE, sms)
    workers.drain()
    joined = contact(app)
    assert (joined.language, joined.county) == (language, "Kitui")
    assert joined.has_consent and joined.consent_channel == "sms"
    assert members(app, platforms["MUI"]) == {PHONE: (MEMBER, "sms")}
    name = "Mui Basin Community Platform"
    assert received(emulator, PHONE) == [text(app, "sms.platform.joined", language, platform=name)]
    assert ("Welcome to" if language == "en" else "Karibu") in received(emulator, PHONE)[0]

    at.sms(PHONE, sms)
    workers.drain()
    assert members(app, platforms["MUI"]) == {PHONE: (MEMBER, "sms")}
    assert received(emulator, PHONE)[-1] == text(
        app, "sms.platform.already", language, platform=name
    )
    with app.app_context():  # consent once: the second JOIN MUI found it recorded
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 1


@pytest.mark.parametrize(("sms", "language"), [("JOIN MUII", "en"), ("JIUNGE KWALE", "sw")])
def test_an_unknown_code_gets_the_codes_of_the_senders_county(
    at, app, workers, emulator, platforms, sms, language
):
    """Is a code no platform has answered, in the sender's language, with the codes of their
    county's platforms (not another county's), and nobody joined to anything."""
    factories.joined_contact(app, PHONE, language=language, county="Kitui")
    at.sms(PHONE, sms)
    workers.drain()
    [answer] = received(emulator, PHONE)
    code = sms.split()[1]
    assert answer == text(app, "sms.platform.unknown", language, code=code, codes="KANZIKU, MUI")
    assert "VANGA" not in answer
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0


def test_join_alone_is_unchanged_when_platforms_exist(at, app, workers, emulator, platforms):
    """Does JOIN alone still record consent and send the gateway's own welcome, with no
    platform joined."""
    at.sms(PHONE, "JOIN")
    workers.drain()
    joined = contact(app)
    assert joined.has_consent and joined.consent_wording == "sms.join"
    assert received(emulator, PHONE) == [text(app, "sms.join", "en")]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
        kinds = db.session.scalars(select(Message.kind).where(Message.direction == "in")).all()
    assert kinds == ["keyword:join"]


# -- joining by USSD -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_join_a_county_then_one_of_its_platforms_by_ussd(
    phone, app, workers, emulator, platforms, lang
):
    """After choosing Kitui and agreeing, is a caller offered Kitui's platforms (and none), and
    does choosing Mui Basin make them a member with the county's consent and welcome SMS."""
    phone.dial()
    phone.choose("Kiswahili" if lang == "sw" else "English")
    phone.choose(phone.text("ussd.main.join", lang))
    phone.choose("Kitui")
    phone.choose("Mui")
    offer = phone.press("1")  # the consent question: yes
    assert offer.startswith("CON " + phone.text("ussd.platform.pick", lang))
    assert "Kanziku Community Platform" in offer and "Mui Basin Community Platform" in offer
    assert "Vanga" not in offer and phone.text("ussd.platform.none", lang) in offer
    done = phone.choose("Mui Basin Community Platform")
    assert done == "END " + phone.text(
        "ussd.platform.joined", lang, platform="Mui Basin Community Platform"
    )
    assert members(app, platforms["MUI"]) == {PHONE: (MEMBER, "ussd")}
    joined = contact(app)
    assert joined.consent_channel == "ussd" and (joined.county, joined.ward) == ("Kitui", "Mui")
    workers.drain()
    assert received(emulator, PHONE) == [text(app, "sms.welcome", lang, county="Kitui")]


def test_a_ussd_caller_may_join_no_platform(phone, app, workers, platforms):
    """Can a caller join their county and choose no platform, and get the county's screen."""
    phone.dial()
    phone.choose("English")
    phone.choose(phone.text("ussd.main.join", "en"))
    phone.choose("Kitui")
    phone.choose("Mui")
    phone.press("1")
    done = phone.choose(phone.text("ussd.platform.none", "en"))
    assert done == "END " + phone.text("ussd.join.done", "en", county="Kitui")
    assert contact(app).has_consent
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0


def test_a_county_without_platforms_is_joined_as_before(phone, app, platforms):
    """Is a Migori caller (no platform there) not offered any platform."""
    phone.dial()
    phone.choose("English")
    phone.choose(phone.text("ussd.main.join", "en"))
    phone.choose("Migori")
    phone.choose("Kaler")
    done = phone.press("1")
    assert done == "END " + phone.text("ussd.join.done", "en", county="Migori")


# -- the admin: platforms, sites, members, leaders -------------------------------------------


def test_admin_creates_edits_a_platform_with_sites(admin_as, app):
    """Can an admin create a platform, give it wards and a mining site, change the site, and
    remove it; is a bad form refused with its reasons and the typed values kept."""
    admin = admin_as("admin")
    refused = admin.post(
        "/admin/platforms", {"name": "", "code": "9x", "county": "Nowhere"}, page="/admin/platforms"
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    for key in ("error_name", "error_code", "error_county"):
        assert text(app, f"admin.platforms.{key}", "en") in page
    made = admin.post(
        "/admin/platforms",
        {"name": "Mui Basin Community Platform", "code": "mui", "county": "Kitui"},
    )
    assert made.status_code == 302
    with app.app_context():
        platform = db.session.scalar(select(Platform))
        assert (platform.code, platform.county, platform.wards) == ("MUI", "Kitui", [])
        url = f"/admin/platforms/{platform.id}"
    taken = admin.post("/admin/platforms", {"name": "Other", "code": "MUI", "county": "Kitui"})
    assert taken.status_code == 400
    assert text(app, "admin.platforms.error_code_taken", "en", code="MUI") in taken.get_data(
        as_text=True
    )

    edited = admin.post(
        url,
        {
            "name": "Mui Basin Community Platform",
            "code": "MUI",
            "county": "Kitui",
            "wards": ["Mui", "Nuu", "Not a ward"],
            "monthly_allowance": "2",
        },
    )
    assert edited.status_code == 302
    admin.post(
        f"{url}/sites",
        {"site_name": "Mui Basin coal blocks", "mineral": "coal", "licence_holder": "Fenxi"},
        page=url,
    )
    with app.app_context():
        platform = db.session.scalar(select(Platform))
        assert platform.wards == ["Mui", "Nuu"] and platform.monthly_allowance == 2
        [site] = platform.sites
        assert (site.name, site.mineral, site.licence_holder) == (
            "Mui Basin coal blocks",
            "coal",
            "Fenxi",
        )
        site_id = site.id
    shown = admin.get(url).get_data(as_text=True)
    assert "Mui Basin coal blocks" in shown and 'value="Nuu" checked' in shown
    admin.post(
        f"{url}/sites/{site_id}",
        {"site_name": "Block C", "mineral": "coal", "licence_number": "ML/2010/01"},
        page=url,
    )
    with app.app_context():
        site = db.session.get(MiningSite, site_id)
        assert (site.name, site.licence_number, site.licence_holder) == (
            "Block C",
            "ML/2010/01",
            None,
        )
    admin.post(f"{url}/sites/{site_id}/delete", page=url)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MiningSite)) == 0
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("platform.")] == [
        "platform.create",
        "platform.update",
        "platform.site_save",
        "platform.site_save",
        "platform.site_delete",
    ]
    listed = admin.get("/admin/platforms").get_data(as_text=True)
    assert "Mui Basin Community Platform" in listed and "Block C" not in listed


def test_admin_adds_members_and_sets_a_leaders_pin(admin_as, app, platforms):
    """Can an admin add a member by number (shown masked), make them a leader with a PIN that is
    stored only as its hash (a new PIN clears a lock), refuse a bad PIN, and remove a member;
    is every change audited with masked numbers and never the PIN."""
    factories.joined_contact(app, PHONE)
    admin = admin_as("admin")
    url = f"/admin/platforms/{platforms['MUI']}"
    bad = admin.post(f"{url}/members", {"phone": "07123"}, page=url)
    assert bad.status_code == 400 and 'value="07123"' in bad.get_data(as_text=True)
    admin.post(f"{url}/members", {"phone": "0712 345 678"}, page=url)
    admin.post(f"{url}/members", {"phone": OTHER}, page=url)
    assert members(app, platforms["MUI"]) == {PHONE: (MEMBER, "admin"), OTHER: (MEMBER, "admin")}
    page = admin.get(url).get_data(as_text=True)
    assert PHONE not in page and "+2547" in page  # masked
    assert text(app, "admin.platforms.no_consent", "en") in page  # OTHER never joined himself

    with app.app_context():
        membership = db.session.scalar(
            select(Membership).join(Contact).where(Contact.phone == PHONE)
        )
        membership.failed_pins = 3
        membership.locked_until = func.now()
        db.session.commit()
        leader_url = f"{url}/members/{membership.id}"
        other_id = db.session.scalar(
            select(Membership.id).join(Contact).where(Contact.phone == OTHER)
        )
    refused = admin.post(f"{leader_url}/leader", {"pin": "12a4"}, page=url)
    assert refused.status_code == 400
    assert text(app, "admin.platforms.error_pin", "en") in refused.get_data(as_text=True)
    assert admin.post(f"{leader_url}/leader", {"pin": "4821"}, page=url).status_code == 302
    with app.app_context():
        led = db.session.scalar(select(Membership).join(Contact).where(Contact.phone == PHONE))
        assert led.role == LEADER and "4821" not in led.pin_hash
        assert check_password_hash(led.pin_hash, "4821")
        assert (led.failed_pins, led.locked_until) == (0, None)
    admin.post(f"{url}/members/{other_id}/remove", page=url)
    assert members(app, platforms["MUI"]) == {PHONE: (LEADER, "admin")}
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("platform.%")).order_by(AuditEvent.id)
        ).all()
        logged = [(e.action, e.details["phone"]) for e in events]
        assert all("4821" not in str(e.details) for e in events)
    assert logged == [
        ("platform.member_add", "+2547••••••78"),
        ("platform.member_add", "+2547••••••33"),
        ("platform.leader_make", "+2547••••••78"),
        ("platform.member_remove", "+2547••••••33"),
    ]


def test_viewers_read_platforms_and_change_nothing(admin_as, app, platforms):
    """Can a viewer open the platforms, but not add a member."""
    viewer = admin_as("viewer")
    url = f"/admin/platforms/{platforms['MUI']}"
    page = viewer.get(url).get_data(as_text=True)
    assert "Mui Basin Community Platform" in page and 'id="member-new"' not in page
    assert viewer.post(f"{url}/members", {"phone": PHONE}, page=url).status_code == 403
    assert members(app, platforms["MUI"]) == {}


# -- platforms as an audience ------------------------------------------------------------------

EAT = ZoneInfo("Africa/Nairobi")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=EAT)
# Kitui, all with consent unless said: two Mui Basin members (en, sw), a Kanziku member, one in
# no platform, and a Mui Basin member who never gave consent (added by the secretariat).
MUI_EN, MUI_SW, KANZIKU, NONE, MUI_NO_CONSENT = (
    "+254711000101",
    "+254711000102",
    "+254711000103",
    "+254711000104",
    "+254711000105",
)


@pytest.fixture
def kitui(app, platforms) -> None:
    for phone, language, code in (
        (MUI_EN, "en", "MUI"),
        (MUI_SW, "sw", "MUI"),
        (KANZIKU, "en", "KANZIKU"),
        (NONE, "en", None),
        (MUI_NO_CONSENT, "en", "MUI"),
    ):
        contact_id = factories.joined_contact(app, phone, language, consent=phone != MUI_NO_CONSENT)
        if code:
            with app.app_context():
                db.session.add(
                    Membership(platform_id=platforms[code], contact_id=contact_id, joined_via="sms")
                )
                db.session.commit()


def sent_to(emulator) -> set[str]:
    return {m["to"] for m in emulator.messages()}


def test_a_broadcast_to_a_platform_reaches_only_its_members(
    admin_as, app, workers, emulator, kitui, platforms
):
    """Can an officer choose a platform as a broadcast's audience in the composer, see the
    estimate count its members with consent only, and does the broadcast reach only them, each
    in their language; does the broadcast's page name the platform."""
    draft = {
        "name": "Mui water",
        "text_en": "Water meeting at Mui, Saturday.",
        "text_sw": "Mkutano wa maji Mui, Jumamosi.",
        "text_kam": "",
        "when": "now",
        "platforms": [str(platforms["MUI"])],
    }
    with time_machine.travel(MONDAY, tick=True):
        admin = admin_as("admin")
        composer = admin.get("/admin/broadcasts/new").get_data(as_text=True)
        assert f'name="platforms" value="{platforms["MUI"]}"' in composer
        shown = admin.post("/admin/broadcasts/estimate", draft, page="/admin/broadcasts/new")
        estimate = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shown.get_data(as_text=True)))
        assert "Total: 2 recipients" in estimate, estimate
        sent = admin.post("/admin/broadcasts/new", draft)
        assert sent.status_code == 302, sent.get_data(as_text=True)
        workers.drain()
        # Within the travel: the login is 8 hours old or more outside it.
        page = admin.get(sent.headers["Location"]).get_data(as_text=True)
    assert sent_to(emulator) == {MUI_EN, MUI_SW}
    texts = {m["to"]: m["text"] for m in emulator.messages()}
    assert texts[MUI_SW].startswith("Mkutano wa maji Mui")
    assert "Mui Basin Community Platform" in page


def test_a_platform_meeting_alerts_only_its_members(api, app, workers, emulator, kitui, platforms):
    """Is a meeting of the Mui Basin platform (through the API) estimated for and announced to
    its members with consent only; is a platform outside the meeting's county refused."""
    meeting = {
        "title": {"en": "Mui platform meeting", "sw": "Mkutano wa jukwaa la Mui"},
        "county": "Kitui",
        "place": "Mui Primary School",
        "starts_at": datetime(2026, 12, 10, 10, 0, tzinfo=EAT).isoformat(),
        "platform_id": platforms["MUI"],
    }
    with time_machine.travel(MONDAY):
        wrong = api.post("/meetings", {**meeting, "platform_id": platforms["VANGA"]})
        assert wrong.status_code == 400 and "platform_id" in wrong.json["errors"]["json"], (
            wrong.json
        )
        assert "Kwale" in str(wrong.json["errors"]["json"]["platform_id"]), wrong.json
        estimate = api.post("/meetings/estimate", meeting)
        assert estimate.status_code == 200, estimate.json
        assert estimate.json["recipients"] == 2 and estimate.json["skipped_no_consent"] == 1
        created = api.post("/meetings", meeting)
        assert created.status_code == 201, created.json
        assert created.json["platform_id"] == platforms["MUI"]
        workers.drain()
    assert sent_to(emulator) == {MUI_EN, MUI_SW}


def test_a_platform_poll_asks_only_its_members_and_its_results_are_by_platform(
    admin_as, app, at, workers, emulator, kitui, platforms
):
    """Does a poll made in the form for the Mui Basin platform send its question to its
    members only; are its results, on the page and in the CSV, also by platform (a voter in no
    platform in a group of their own)."""
    form = {
        "keyword": "maji",
        "question_en": "Is the Mui borehole working?",
        "question_sw": "Je, kisima cha Mui kinafanya kazi?",
        "option1_en": "Yes",
        "option1_sw": "Ndiyo",
        "option2_en": "No",
        "option2_sw": "Hapana",
        "county": "Kitui",
        "platform_id": str(platforms["MUI"]),
        "closes_at": "2026-12-09T18:00",
    }
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=EAT), tick=True):
        admin = admin_as("admin")
        created = admin.post("/admin/polls", form, page="/admin/polls/new")
        assert created.status_code == 302, created.get_data(as_text=True)
        path = created.headers["Location"]
        page = admin.get(path).get_data(as_text=True)
        assert "Mui Basin Community Platform" in page
        assert "2 people with consent will get the question" in page
        assert send_confirmed(admin, f"{path}/send", {}, path).status_code == 302
        workers.drain()
        assert sent_to(emulator) == {MUI_EN, MUI_SW}
        at.sms(MUI_EN, "MAJI 1")
        at.sms(MUI_SW, "MAJI 2")
        at.sms(KANZIKU, "MAJI 1")
        at.sms(NONE, "MAJI 1")
        workers.drain()
        results = admin.get(path).get_data(as_text=True)
        csv = admin.get(f"{path}/results.csv").get_data(as_text=True)
    assert 'id="by-platform"' in results
    assert text(app, "admin.polls.no_platform", "en") in results
    rows = [line.split(",") for line in csv.lstrip("\ufeff").splitlines()]
    by_platform = {(r[1], r[3]): int(r[5]) for r in rows if r[0] == "platform"}
    assert by_platform == {
        ("Kanziku Community Platform", "1"): 1,
        ("Kanziku Community Platform", "2"): 0,
        ("Mui Basin Community Platform", "1"): 1,
        ("Mui Basin Community Platform", "2"): 1,
        ("", "1"): 1,
        ("", "2"): 0,
    }


def test_survey_results_and_responses_csv_are_by_platform(
    admin_as, app, at, workers, kitui, platforms, api
):
    """Are a Kitui survey's respondents, on its page, in the API's results and in the responses
    CSV, counted by the platform they are in; is a survey made for the Mui Basin platform in the
    form kept with it, and one for a platform of another county refused."""
    form = {
        "keyword": "kisima",
        "title_en": "Borehole survey",
        "county": "Kitui",
        "platform_id": "",
        "closes_at": "2026-12-20T18:00",
        "q1_kind": "choice",
        "q1_prompt_en": "Does the borehole work?",
        "q1_options_en": "Yes\nNo",
        "q2_kind": "number",
        "q2_prompt_en": "How far is it, in minutes?",
    }
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=EAT), tick=True):
        admin = admin_as("admin")
        wrong = admin.post(
            "/admin/surveys",
            {**form, "platform_id": str(platforms["VANGA"])},
            page="/admin/surveys/new",
        )
        assert wrong.status_code == 422 and "VANGA is in Kwale" in wrong.get_data(as_text=True)
        created = admin.post("/admin/surveys", form, page="/admin/surveys/new")
        assert created.status_code == 302, created.get_data(as_text=True)
        path = created.headers["Location"]
        for phone in (MUI_EN, KANZIKU, NONE):
            for sms in ("KISIMA", "1", "20"):
                at.sms(phone, sms)
                workers.drain()
        page = admin.get(path).get_data(as_text=True)
        csv = admin.get(f"{path}/responses.csv").get_data(as_text=True)
        survey_id = int(path.rsplit("/", 1)[1])
        results = api.get(f"/surveys/{survey_id}/results").json
        mine = {**form, "keyword": "muikisima", "platform_id": str(platforms["MUI"])}
        made = admin.post("/admin/surveys", mine, page="/admin/surveys/new")
        assert made.status_code == 302, made.get_data(as_text=True)
        described = api.get(f"/surveys/{made.headers['Location'].rsplit('/', 1)[1]}").json
        platform_page = admin.get(made.headers["Location"]).get_data(as_text=True)
    assert described["platform_id"] == platforms["MUI"]
    assert "Mui Basin Community Platform" in platform_page
    assert 'id="by-platform"' in page and "Kanziku Community Platform" in page
    by_platform = {g["value"]: g["total"] for g in results["respondents"]["by"]["platform"]}
    assert by_platform == {
        "Kanziku Community Platform": 1,
        "Mui Basin Community Platform": 1,
        None: 1,
    }
    [choice] = [g for g in results["questions"][0]["by"]["platform"] if g["value"] is None]
    assert [c["count"] for c in choice["counts"]] == [1, 0]
    header, *rows = [line.split(",") for line in csv.lstrip("\ufeff").splitlines()]
    column = header.index("platforms")
    assert sorted(row[column] for row in rows) == [
        "",
        "Kanziku Community Platform",
        "Mui Basin Community Platform",
    ]


# -- the contacts import's platform column -----------------------------------------------------


def _upload(session, content: str):
    return session.post(
        "/admin/contacts/import",
        {"file": (io.BytesIO(content.encode("utf-8")), "people.csv")},
        page="/admin/contacts/import",
        content_type="multipart/form-data",
    )


def test_an_import_with_a_platform_column_makes_members_and_names_bad_codes(
    admin_as, app, workers, platforms
):
    """Does a file with a platform code per row (any case, or none) make the rows' contacts
    members of those platforms, joined by import; does an unknown code make a bad row named in
    the report, with nothing imported; is the column explained on the import page."""
    session = admin_as("admin")
    form = session.get("/admin/contacts/import").get_data(as_text=True)
    assert "<code>platform</code>" in form
    good = (
        "phone,language,county,ward,consent,platform\r\n"
        f"{PHONE},sw,Kitui,Mui,consent.v1,mui\r\n"
        f"{OTHER},en,Kitui,,consent.v1,KANZIKU\r\n"
        "+254733000444,en,Kitui,,,\r\n"
    )
    bad = good + "+254733000555,en,Kitui,,,MUII\r\n"
    refused = _upload(session, bad)
    workers.drain()
    import_id = refused.headers["Location"].rsplit("/", 1)[1]
    report = session.get(f"/admin/contacts/import/{import_id}/progress").get_data(as_text=True)
    report_text = " ".join(re.sub(r"<[^>]+>", " ", report).split())
    assert "Nothing was imported" in report_text
    assert "5 platform MUII " + text(app, "admin.contacts.why.platform", "en") in report_text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0

    assert _upload(session, good).status_code == 302
    workers.drain()
    assert members(app, platforms["MUI"]) == {PHONE: (MEMBER, "import")}
    assert members(app, platforms["KANZIKU"]) == {OTHER: (MEMBER, "import")}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 2
    assert contact(app).has_consent  # from the consent column


# -- personal data: export and erasure ---------------------------------------------------------


def test_a_members_export_holds_memberships_and_futa_erases_them(
    app, at, api, workers, emulator, platforms
):
    """Does a member's export list their platforms, role and how they joined (never the PIN or
    its hash), and after FUTA twice is the person in no platform, their leader PIN gone."""
    at.sms(PHONE, "JIUNGE MUI")
    at.sms(OTHER, "JOIN MUI")
    workers.drain()
    with app.app_context():
        led = db.session.scalar(select(Membership).join(Contact).where(Contact.phone == PHONE))
        led.role, led.pin_hash = LEADER, generate_password_hash("1234")
        pin_hash = led.pin_hash
        db.session.commit()
    held = api.get(f"/contacts/{PHONE}/export").json
    [membership] = held["platform_memberships"]
    assert membership["platform"] == "Mui Basin Community Platform"
    assert (membership["code"], membership["role"], membership["joined_via"]) == (
        "MUI",
        LEADER,
        "sms",
    )
    assert membership["pin_set"] is True and pin_hash not in str(held)
    for word in ("FUTA", "futa"):
        at.sms(PHONE, word)
        workers.drain()
    assert workers.failed() == []
    assert received(emulator, PHONE)[-1] == text(app, "sms.delete.done", "sw")
    with app.app_context():
        left = db.session.execute(select(Membership.contact_id, Membership.pin_hash)).all()
        other_id = db.session.scalar(select(Contact.id).where(Contact.phone == OTHER))
    assert left == [(other_id, None)]  # the other member stays; nothing of the leader's


def test_the_demo_has_two_kitui_platforms_with_a_leader_each(runner, app):
    """Does `flask demo load` add the Mui Basin and Kanziku platforms, each with a mining site,
    members and one leader whose PIN is 1234 (stored hashed), and nothing more the second
    time."""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert runner.invoke(args=["demo", "load"]).output.strip() == "demo content: already loaded"
    with app.app_context():
        found = {p.code: p for p in db.session.scalars(select(Platform))}
        assert set(found) == {"MUI", "KANZIKU"}
        assert {p.county for p in found.values()} == {"Kitui"}
        assert [(s.name, s.mineral) for s in found["MUI"].sites] == [
            ("Mui Basin coal blocks", "coal")
        ]
        assert found["KANZIKU"].sites[0].mineral == "limestone"
        for platform in found.values():
            rows = db.session.scalars(
                select(Membership).where(Membership.platform_id == platform.id)
            ).all()
            [leader] = [m for m in rows if m.role == LEADER]
            assert len(rows) >= 2 and check_password_hash(leader.pin_hash, "1234")


def test_the_api_lists_platforms_with_their_sites_and_counts(api, app, platforms, kitui):
    """Can an API client read the platforms (ids for audiences), their sites and how many
    members and leaders each has, and no member's number."""
    with app.app_context():
        db.session.add(MiningSite(platform_id=platforms["MUI"], name="Block C", mineral="coal"))
        led = db.session.scalar(select(Membership).join(Contact).where(Contact.phone == MUI_EN))
        led.role = LEADER
        db.session.commit()
    listed = api.get("/platforms")
    assert listed.status_code == 200
    by_code = {p["code"]: p for p in listed.json}
    assert [p["code"] for p in listed.json] == ["KANZIKU", "MUI", "VANGA"]
    mui = by_code["MUI"]
    assert (mui["id"], mui["county"], mui["wards"]) == (platforms["MUI"], "Kitui", ["Mui", "Nuu"])
    assert (mui["members"], mui["leaders"]) == (3, 1)
    assert mui["sites"] == [
        {
            "name": "Block C",
            "mineral": "coal",
            "licence_holder": None,
            "licence_number": None,
            "ward": None,
        }
    ]
    assert (by_code["KANZIKU"]["members"], by_code["VANGA"]["members"]) == (1, 0)
    assert "+2547" not in listed.get_data(as_text=True)
    refused = api.post(
        "/broadcasts/estimate", {"texts": {"en": "x"}, "audience": {"platforms": [999]}}
    )
    assert refused.status_code == 400 and "999" in str(refused.json["errors"])


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_my_platform_in_settings_joins_another_of_the_county(phone, app, platforms, lang):
    """Does a joined Kitui caller find "My platform" in the settings, see the platforms they
    are in, join another of their county's there, and then be told they are in all of them."""
    contact_id = factories.joined_contact(app, PHONE, language=lang)
    with app.app_context():
        db.session.add(
            Membership(platform_id=platforms["MUI"], contact_id=contact_id, joined_via="sms")
        )
        db.session.commit()
    phone.dial()
    phone.choose(phone.text("ussd.main.settings", lang))
    listed = phone.choose(phone.text("ussd.settings.platform", lang))
    title = phone.text("ussd.platform.mine", lang, platforms="Mui Basin Community Platform")
    assert listed.startswith("CON " + title)
    assert "Kanziku Community Platform" in listed and "Vanga" not in listed
    done = phone.choose("Kanziku Community Platform")
    assert done == "END " + phone.text(
        "ussd.platform.joined", lang, platform="Kanziku Community Platform"
    )
    assert members(app, platforms["KANZIKU"]) == {PHONE: (MEMBER, "ussd")}
    phone.dial()
    phone.choose(phone.text("ussd.main.settings", lang))
    every = phone.choose(phone.text("ussd.settings.platform", lang))
    assert (
        phone.text(
            "ussd.platform.all_joined",
            lang,
            county="Kitui",
            platforms="Kanziku Community Platform, Mui Basin Community Platform",
        )
        in every
    )


def test_my_platform_is_not_offered_where_there_is_none(phone, app, platforms):
    """Is "My platform" left out of the settings of a caller whose county has no platform."""
    factories.joined_contact(app, PHONE, county="Migori", ward=None)
    phone.dial()
    settings = phone.choose(phone.text("ussd.main.settings", "en"))
    assert phone.text("ussd.settings.platform", "en") not in settings


def test_a_coordinator_reads_only_their_countys_platforms(admin_as, app, platforms):
    """Does a Kwale coordinator see Kwale's platform and not open Kitui's."""
    coordinator = admin_as("coordinator", counties=("Kwale",))
    listed = coordinator.get("/admin/platforms").get_data(as_text=True)
    assert "Vanga Community Platform" in listed and "Mui Basin" not in listed
    assert coordinator.get(f"/admin/platforms/{platforms['MUI']}").status_code == 404
    assert coordinator.get(f"/admin/platforms/{platforms['VANGA']}").status_code == 200


def _platform_survey(app, platform_id: int) -> int:
    from gateway.surveys.models import Survey, SurveyQuestion

    with app.app_context():
        survey = Survey(
            keyword="MUIMAJI",
            title={"en": "Mui water survey", "sw": "Utafiti wa maji Mui"},
            county="Kitui",
            platform_id=platform_id,
            opens_at=datetime(2026, 12, 1, tzinfo=EAT),
            closes_at=datetime(2027, 1, 1, tzinfo=EAT),
            questions=[
                SurveyQuestion(
                    position=1,
                    kind="choice",
                    prompt={"en": "Is the water safe?", "sw": "Je, maji ni salama?"},
                    options=[{"en": "Yes", "sw": "Ndiyo"}, {"en": "No", "sw": "Hapana"}],
                ),
                SurveyQuestion(
                    position=2, kind="number", prompt={"en": "How far, in minutes?"}, options=[]
                ),
            ],
        )
        db.session.add(survey)
        db.session.commit()
        return survey.id


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_platform_survey_is_for_its_members_only(
    at, phone, app, workers, emulator, kitui, platforms, language
):
    """Is a Mui Basin survey started by a member's keyword, refused to a Kanziku member in
    their language (told how to join), and listed on USSD to members only."""
    _platform_survey(app, platforms["MUI"])
    with app.app_context():
        for number in (MUI_SW, KANZIKU):
            db.session.scalar(select(Contact).where(Contact.phone == number)).language = language
        db.session.commit()
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=EAT), tick=True):
        at.sms(MUI_SW, "MUIMAJI")
        at.sms(KANZIKU, "MUIMAJI")
        workers.drain()
        title = "Mui water survey" if language == "en" else "Utafiti wa maji Mui"
        [refused] = received(emulator, KANZIKU)
        assert refused == text(
            app,
            "sms.survey.other_platform",
            language,
            title=title,
            platform="Mui Basin Community Platform",
            platform_code="MUI",
        )
        [asked] = received(emulator, MUI_SW)
        assert ("Is the water safe?" if language == "en" else "Je, maji ni salama?") in asked

        def surveys_listed(number: str) -> str:
            caller = type(phone)(phone.at, app, number)
            caller.dial()
            return caller.choose(caller.text("ussd.main.polls", language))

        assert "Mui water survey" not in surveys_listed(KANZIKU)
        member = type(phone)(phone.at, app, MUI_EN)
        member.dial()
        member.choose(member.text("ussd.main.polls", "en"))
        assert "Mui water survey" in member.choose(member.text("ussd.surveys.take", "en"))

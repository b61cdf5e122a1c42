"""The demo's community platforms (Mui Basin, Kanziku), their leaders and a leader's
announcement waiting for approval (``make run``)."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from gateway.contacts.service import add_demo_contact, find_contact
from gateway.extensions import db
from gateway.platforms.models import LEADER, MiningSite, Platform
from gateway.platforms.service import join

DEMO_PLATFORMS = (
    (
        "Mui Basin Community Platform",
        "MUI",
        ["Mui", "Nuu", "Nguni", "Waita", "Kivou"],
        (("Mui Basin coal blocks", "coal", "Mui"),),
        # (phone, language, ward, leader?)
        (("+254700100011", "kam", "Mui", True), ("+254700100012", "sw", "Nuu", False)),
    ),
    (
        "Kanziku Community Platform",
        "KANZIKU",
        ["Kanziku", "Mutomo", "Ikutha"],
        (("Kanziku limestone deposits", "limestone", "Kanziku"),),
        (("+254700100021", "sw", "Kanziku", True), ("+254700100022", "en", "Mutomo", False)),
    ),
)
DEMO_LEADER_PIN = "1234"


def load_demo_platforms() -> int:
    """The demo platforms, once (a platform of that code already there: left as it is)."""
    added = 0
    for name, code, wards, sites, people in DEMO_PLATFORMS:
        if db.session.scalar(select(Platform.id).where(Platform.code == code)) is not None:
            continue
        platform = Platform(name=name, code=code, county="Kitui", wards=wards, monthly_allowance=2)
        platform.sites = [
            MiningSite(name=site, mineral=mineral, ward=ward) for site, mineral, ward in sites
        ]
        db.session.add(platform)
        db.session.flush()
        for phone, language, ward, leader in people:
            contact = find_contact(phone)
            if contact is None:
                contact = add_demo_contact(phone, language, "Kitui", ward)
            membership, _ = join(platform, contact, via="admin")
            if leader:
                membership.role = LEADER
                membership.pin_hash = generate_password_hash(DEMO_LEADER_PIN)
        added += 1
    return added


def load_demo_announcements() -> int:
    """A leader's announcement waiting for approval on each demo platform that has a leader
    (the platforms and their leaders are the platforms' demo content; none: nothing here)."""
    from gateway.platforms.models import LEADER, Announcement, Membership, Platform

    added = 0
    for platform in db.session.scalars(select(Platform).order_by(Platform.id)):
        leader = db.session.scalar(
            select(Membership)
            .where(Membership.platform_id == platform.id, Membership.role == LEADER)
            .order_by(Membership.id)
            .limit(1)
        )
        waiting = db.session.scalar(
            select(Announcement.id).where(Announcement.platform_id == platform.id).limit(1)
        )
        if leader is None or waiting is not None:
            continue
        db.session.add(
            Announcement(
                platform_id=platform.id,
                leader_id=leader.contact_id,
                text="Mkutano wa jukwaa Jumamosi saa nne asubuhi kambi ya chifu. Karibuni wote.",
                language="sw",
                translations={},
                channel="sms",
            )
        )
        added += 1
    return added

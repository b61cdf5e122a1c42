"""A leader verifies a report from their platform's area, or marks it not verified, with a note.

A report is from the platform's area when its county is the platform's and the platform covers
no particular wards or the report's ward is one of them. Verified moves the report to
``verified`` through :func:`gateway.reports.service.set_status` (the case history, and the SMS
to a named reporter); not verified adds a note only (the secretariat decides what follows).
Both keep the leader's note in the case, in the leader's name.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy import func, select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.leaders.access import acting_as, audit
from gateway.platforms.models import Platform
from gateway.reports.cases import add_note
from gateway.reports.models import Report
from gateway.reports.service import set_status
from gateway.settings import current_settings

VERIFIED = "verified"
NOTE_MAX = 300


class Found(Enum):
    OK = "ok"
    UNKNOWN = "unknown"  # no report has that reference
    ELSEWHERE = "elsewhere"  # a report from outside the platform's area


def normal_reference(text: str) -> str:
    """``r-7k3m9p``, ``R7K3M9P`` → ``R-7K3M9P`` (as typed on a keypad or in an SMS)."""
    plain = "".join(char for char in text.upper() if char.isalnum())
    return f"R-{plain[1:]}" if plain.startswith("R") else f"R-{plain}"


def find(platform: Platform, reference: str) -> tuple[Found, Report | None]:
    report = db.session.scalar(
        select(Report).where(func.upper(Report.reference) == normal_reference(reference))
    )
    if report is None:
        return Found.UNKNOWN, None
    if not in_area(platform, report):
        return Found.ELSEWHERE, None
    return Found.OK, report


def in_area(platform: Platform, report: Report) -> bool:
    if (report.county or "").casefold() != platform.county.casefold():
        return False
    wards = [ward.casefold() for ward in platform.wards or []]
    return not wards or (report.ward or "").casefold() in wards


def decide(report: Report, leader: Contact, verified: bool, note: str, channel: str) -> None:
    """Verified (the reporter told) or not verified, with the leader's note in the case."""
    note = " ".join(note.split())[:NOTE_MAX]
    with acting_as(leader):
        if verified:
            set_status(report, VERIFIED)
        add_note(report, _note_text(verified, note))
    audit(
        leader,
        "leader.verify" if verified else "leader.not_verified",
        "report",
        report.id,
        reference=report.reference,
        note=note,
        channel=channel,
    )


def _note_text(verified: bool, note: str) -> str:
    # Stored once, in the gateway's default language, like the secretariat's own notes; the
    # leader's words follow as written.
    key = "report.leader_note." + ("verified" if verified else "not_verified")
    return catalogs().text(key, current_settings().default_language, note=note or "-")

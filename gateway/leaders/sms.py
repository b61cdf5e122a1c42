"""A platform leader's SMS commands, and a meeting's attendance code texted by a member.

Commands (the words are the catalogs' ``keyword.leader_*``, every language's for everyone):
``TANGAZA``/``ANNOUNCE <text>``, ``HUDHURIA``/``ATTEND <code> <numbers>``,
``THIBITISHA``/``VERIFY <reference> <note>`` and ``KATAA``/``REJECT <reference> <note>``.

No PIN by SMS, on purpose: an SMS is kept in clear in the phone's sent folder and in the
gateway's inbox, so a PIN typed there would be read by whoever opens either, and would then
open the USSD menu too. The sender's number, which the network vouches for, is the check; what
a command can do is bounded (an announcement beyond the allowance waits for the secretariat),
audited with the masked number, and refused while three wrong USSD PINs keep the menu locked.

A non-leader's command is kept in the inbox like any unread SMS, and answered "not a leader".
"""

from __future__ import annotations

from datetime import datetime

from gateway.contacts.models import Contact
from gateway.extensions import utcnow
from gateway.i18n import catalogs
from gateway.leaders import announce, attendance, verify
from gateway.leaders.access import leadership, locked_until
from gateway.leaders.access import platform_of as platform_of_membership
from gateway.localized import pick, when
from gateway.meetings.models import Meeting
from gateway.platforms.models import Membership
from gateway.sms.keywords import KeywordMatch, fold
from gateway.sms.models import Message
from gateway.sms.router import Route, keyword_in
from gateway.sms.texts import language_of, render, reply, reply_text

COMMANDS = ("leader_announce", "leader_attend", "leader_verify", "leader_reject")
KIND = "leader_answer"


def _answer(contact: Contact, key: str, **values: object) -> None:
    reply_text(contact, render(contact, key, **values), kind=KIND)


def _leader_command(message: Message, contact: Contact, command: KeywordMatch | None) -> str:
    assert command is not None
    if contact.language is None:
        contact.language = command.language
    membership = leadership(contact)
    if membership is None:
        message.kind = "inbox"  # kept for the secretariat, as any SMS no route reads
        _answer(contact, "sms.leader.not_leader")
        return "not a leader: kept in the inbox"
    message.kind = f"keyword:{command.name}"
    until = locked_until(membership)
    if until is not None:
        _answer(
            contact,
            "sms.leader.locked",
            until=when(until, "sms.leader.locked", language_of(contact)),
        )
        return "leader menu locked: refused"
    handle = {
        "leader_announce": _announce,
        "leader_attend": _attend,
        "leader_verify": _verify,
        "leader_reject": _verify,
    }[command.name]
    return handle(membership, contact, command)


def _announce(membership: Membership, contact: Contact, command: KeywordMatch) -> str:
    text = " ".join(command.rest.split())
    if len(text) < 3:
        _answer(contact, "sms.leader.announce.usage")
        return "announce: no text"
    platform = platform_of_membership(membership)
    found = announce.estimate_for(
        platform, {language_of(contact): text[: announce.TEXT_MAX]}, language_of(contact)
    )
    made = announce.submit(membership, contact, text, channel="sms")
    values = {
        "members": found.recipients,
        "segments": max((e.segments for e in found.languages), default=1),
        "cost": f"{found.cost_kes:.2f}",
    }
    if made.status == announce.SENT:
        _answer(contact, "sms.leader.announce.sent", **values)
    else:
        _answer(contact, "sms.leader.announce.pending", **values)
    return f"announcement {made.id}: {made.status}"


def _attend(membership: Membership, contact: Contact, command: KeywordMatch) -> str:
    parts = command.rest.split(maxsplit=1)
    if len(parts) < 2:
        _answer(contact, "sms.leader.attend.usage")
        return "attend: no code or numbers"
    meeting = attendance.meeting_by_code(parts[0])
    if meeting is None or meeting.platform_id != membership.platform_id:
        _answer(contact, "sms.leader.attend.unknown_code", code=fold(parts[0]).upper())
        return "attend: not a meeting of the leader's platform"
    entered = attendance.enter(meeting, parts[1], contact, "sms")
    _answer(
        contact,
        "sms.leader.attend.done",
        code=attendance.code_of(meeting) or "",
        recorded=len(entered.recorded),
        already=len(entered.already),
        unreadable=", ".join(entered.unreadable) or "-",
    )
    return f"attendance at meeting {meeting.id}: {len(entered.recorded)} recorded"


def _verify(membership: Membership, contact: Contact, command: KeywordMatch) -> str:
    verified = command.name == "leader_verify"
    parts = command.rest.split(maxsplit=1)
    if not parts:
        _answer(contact, "sms.leader.verify.usage")
        return "verify: no reference"
    reference = verify.normal_reference(parts[0])
    found, report = verify.find(platform_of_membership(membership), parts[0])
    if report is None:
        key = "unknown" if found is verify.Found.UNKNOWN else "elsewhere"
        _answer(contact, f"sms.leader.verify.{key}", reference=reference)
        return f"verify: {key} reference"
    verify.decide(report, contact, verified, parts[1] if len(parts) > 1 else "", channel="sms")
    outcome = "verified" if verified else "not_verified"
    _answer(contact, f"sms.leader.verify.{outcome}", reference=report.reference)
    return f"report {report.id}: {outcome}"


# -- A member texts a meeting's code ---------------------------------------------------------


def _code_meeting(message: Message) -> Meeting | None:
    words = message.text.split()
    if len(words) != 1:
        return None
    return attendance.meeting_by_code(words[0])


def _is_code(message: Message, contact: Contact, keyword: KeywordMatch | None) -> bool:
    return keyword is None and len(message.text.split()) == 1


def _meeting_code(message: Message, contact: Contact, keyword: KeywordMatch | None) -> str | None:
    meeting = _code_meeting(message)
    if meeting is None:
        return None  # not a code: another route, or the inbox
    message.kind = "attendance_code"
    language = language_of(contact)
    title = pick(meeting.title, catalogs().chain(language))
    if not attendance.in_window(meeting):
        opens, closes = attendance.window(meeting)
        key = "sms.attend.too_early" if utcnow() < opens else "sms.attend.closed"
        _answer_window(contact, key, title, opens if key.endswith("early") else closes)
        return f"meeting {meeting.id} code outside its window"
    counted = attendance.record(meeting, contact, attendance.CODE, None)
    key = "sms.attend.thanks" if counted else "sms.attend.already"
    reply(contact, key, kind="attendance", title=title)
    return f"attendance at meeting {meeting.id}" + ("" if counted else " (already counted)")


def _answer_window(contact: Contact, key: str, title: str, moment: datetime) -> None:
    reply(
        contact, key, kind="attendance", title=title, when=when(moment, key, language_of(contact))
    )


# The inbound routes (see gateway.wiring.inbound_routes).
LEADER_COMMANDS = Route(
    "leader commands: TANGAZA, HUDHURIA, THIBITISHA, KATAA",
    _leader_command,
    keyword_in(*COMMANDS),
)
MEETING_CODE = Route("meeting code (MUI12): attendance", _meeting_code, _is_code)

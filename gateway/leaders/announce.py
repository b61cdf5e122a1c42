"""A leader's announcement to their platform's members.

Within the platform's monthly allowance (``Platform.monthly_allowance``, set by the
secretariat) it goes straight out as a broadcast to the members; beyond it, or when it would
take the month over the SMS budget, it waits in the secretariat's approval queue
(:mod:`gateway.admin.platform_announcements`). Members get it in their language when the
secretariat added a translation (or one exists in their language's fallback chain), otherwise
the leader's text as written: the broadcast's ``uncovered`` choice is the leader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, select

from gateway.broadcasts.dispatch import OverBudget, create_broadcast
from gateway.broadcasts.estimate import Estimate, estimate
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.leaders.access import audit
from gateway.platforms.models import Announcement, Membership, Platform
from gateway.platforms.service import member_ids
from gateway.settings import current_settings
from gateway.sms.texts import language_of, reply
from gateway.spend import month_start

PLATFORMS = "platforms"  # the audience criterion: a platform's members (ids)
WITHIN_ALLOWANCE = "allowance"  # ``decided_by`` of an announcement sent without approval
PENDING, SENT, REJECTED = "pending", "sent", "rejected"
TEXT_MAX = 300  # two SMS' worth, with the opt-out hint


def members_condition(platform_ids: list[Any]) -> ColumnElement[bool]:
    """The audience criterion ``platforms``: contacts who are members (or leaders) of them."""
    return Contact.id.in_(member_ids([int(v) for v in platform_ids if str(v).isdigit()]))


def audience_of(platform: Platform) -> dict[str, object]:
    return {PLATFORMS: [platform.id]}


def texts_of(announcement: Announcement) -> dict[str, str]:
    """The leader's text in their language, and the secretariat's translations."""
    language = announcement.language or current_settings().default_language
    texts = {code: text for code, text in (announcement.translations or {}).items() if text}
    texts[language] = announcement.text
    return texts


def estimate_for(
    platform: Platform, texts: Mapping[str, str], language: str, exclude: int | None = None
) -> Estimate:
    """Who it reaches, in which language, and what it costs (members only)."""
    return estimate(
        texts, audience_of(platform), current_settings(), catalogs(), exclude, uncovered=language
    )


def sent_this_month(platform: Platform) -> int:
    """Announcements the platform's leaders sent this month without approval."""
    since = month_start(utcnow(), current_settings())
    return int(
        db.session.scalar(
            select(func.count()).where(
                Announcement.platform_id == platform.id,
                Announcement.status == SENT,
                Announcement.decided_by == WITHIN_ALLOWANCE,
                Announcement.created_at >= since,
            )
        )
        or 0
    )


def within_allowance(platform: Platform) -> bool:
    return sent_this_month(platform) < platform.monthly_allowance


def submit(membership: Membership, leader: Contact, text: str, channel: str) -> Announcement:
    """Keep the leader's announcement and send it now when the allowance has room (and the
    budget: over it, it waits for the secretariat like one beyond the allowance)."""
    platform = db.session.get(Platform, membership.platform_id)
    assert platform is not None
    announcement = Announcement(
        platform_id=platform.id,
        leader_id=leader.id,
        text=" ".join(text.split())[:TEXT_MAX],
        language=language_of(leader),
        translations={},
        channel=channel,
        status=PENDING,
    )
    db.session.add(announcement)
    db.session.flush()
    if within_allowance(platform):
        try:
            send(announcement, platform, decided_by=WITHIN_ALLOWANCE)
        except OverBudget:
            pass  # the secretariat decides: the month's budget has no room for it
    audit(
        leader,
        "leader.announce",
        "platform_announcement",
        announcement.id,
        platform=platform.code,
        status=announcement.status,
        channel=channel,
    )
    return announcement


def send(announcement: Announcement, platform: Platform, *, decided_by: str) -> Estimate:
    """Send it as a broadcast to the members (paced and opt-outs honoured as any broadcast).

    Raises:
        OverBudget: the month's SMS budget has no room for it (nothing is changed).
    """
    texts = texts_of(announcement)
    broadcast, found = create_broadcast(
        name=f"{platform.name}: announcement {announcement.id}",
        texts=texts,
        audience=audience_of(platform),
        send_at=None,
        urgent=False,
        urgent_reason=None,
        created_by=decided_by[:80],
        uncovered=announcement.language or current_settings().default_language,
    )
    announcement.status, announcement.broadcast_id = SENT, broadcast.id
    announcement.decided_by, announcement.decided_at = decided_by, utcnow()
    return found


def reject(announcement: Announcement, decided_by: str) -> None:
    """Refuse it; the leader is told by SMS in their language."""
    announcement.status = REJECTED
    announcement.decided_by, announcement.decided_at = decided_by, utcnow()
    leader = db.session.get(Contact, announcement.leader_id) if announcement.leader_id else None
    if leader is not None and leader.anonymised_at is None:
        reply(
            leader,
            "sms.leader.announce.rejected",
            kind="leader_announcement",
            by_staff=True,
            text=_short(announcement.text),
        )


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

"""The secretariat's approval queue for platform leaders' announcements.

An announcement beyond its platform's monthly allowance waits here with its estimate (members
reached by language, SMS, cost). The secretariat may add a translation per language (members
whose language has none get the leader's text as written), then approve it (the estimate and a
confirmation first, as for any send: it goes out as a broadcast to the platform's members) or
reject it (the leader is told by SMS). A coordinator handles their own counties' platforms.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.broadcast_composer import language_codes
from gateway.admin.send_estimate import confirm_page, confirmed
from gateway.admin.templating import t
from gateway.broadcasts.dispatch import OverBudget
from gateway.broadcasts.estimate import Estimate
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.leaders import announce
from gateway.phones import mask_phone
from gateway.platforms.models import Announcement, Platform
from gateway.settings import current_settings
from gateway.sms.estimate import Planned, Reach, SendEstimate, estimate_send
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER

READERS = (ADMIN, COORDINATOR, VIEWER)
WRITERS = (ADMIN, COORDINATOR)
KIND = "platform_announcement"
DECIDED_SHOWN = 30


def _visible(platform: Platform) -> bool:
    return principal().sees_county(platform.county)


def _announcement_or_404(announcement_id: int) -> tuple[Announcement, Platform]:
    announcement = db.session.get(Announcement, announcement_id)
    platform = db.session.get(Platform, announcement.platform_id) if announcement else None
    if announcement is None or platform is None or not _visible(platform):
        abort(404)
    return announcement, platform


def send_estimate(announcement: Announcement, platform: Platform) -> tuple[SendEstimate, Estimate]:
    """The announcement's broadcast estimate, as the confirmation page shows it."""
    found = announce.estimate_for(
        platform, announce.texts_of(announcement), announcement.language or "en"
    )
    planned = [
        Planned(KIND, line.language, line.text, line.recipients)
        for line in found.languages
        if line.text_language
    ]
    reach = Reach(
        {line.language: line.recipients for line in found.languages},
        found.skipped_no_consent,
        found.skipped_opted_out,
    )
    return estimate_send(planned, reach, current_settings(), found.recipients), found


def _row(announcement: Announcement, platform: Platform) -> dict[str, Any]:
    leader = db.session.get(Contact, announcement.leader_id) if announcement.leader_id else None
    row: dict[str, Any] = {
        "a": announcement,
        "platform": platform,
        "leader": mask_phone(leader.phone) if leader else "-",
    }
    if announcement.status == announce.PENDING:
        row["estimate"] = announce.estimate_for(
            platform, announce.texts_of(announcement), announcement.language or "en"
        )
    return row


def _rows(status: str, limit: int | None = None) -> list[dict[str, Any]]:
    query = (
        select(Announcement, Platform)
        .join(Platform, Platform.id == Announcement.platform_id)
        .where(
            Announcement.status == status
            if status == announce.PENDING
            else Announcement.status != announce.PENDING
        )
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
    )
    counties = principal().visible_counties()
    if counties is not None:
        query = query.where(Platform.county.in_(counties))
    if limit:
        query = query.limit(limit)
    return [_row(a, p) for a, p in db.session.execute(query)]


@bp.route("/platforms/announcements")
@require_role(*READERS)
def platform_announcements() -> str:
    return render_template(
        "admin/platform_announcements/list.html",
        pending=_rows(announce.PENDING),
        decided=_rows("decided", DECIDED_SHOWN),
        languages=language_codes(),
        can_write=principal().has_role(*WRITERS),
    )


@bp.post("/platforms/announcements/<int:announcement_id>/translations")
@require_role(*WRITERS, write=True)
def platform_announcement_translations(announcement_id: int) -> Response:
    announcement, _ = _announcement_or_404(announcement_id)
    if announcement.status != announce.PENDING:
        flash(t("admin.platform_announcements.decided_already"), "error")
        return redirect(url_for("admin.platform_announcements"))
    translations = {}
    for code in language_codes():
        text = " ".join(request.form.get(f"text_{code}", "").split())
        if text and code != announcement.language:
            translations[code] = text[: announce.TEXT_MAX]
    announcement.translations = translations
    audit.record(
        "platform_announcement.translations",
        "platform_announcement",
        announcement.id,
        languages=sorted(translations),
    )
    db.session.commit()
    flash(t("admin.platform_announcements.translations_saved"))
    return redirect(url_for("admin.platform_announcements") + f"#announcement-{announcement.id}")


@bp.post("/platforms/announcements/<int:announcement_id>/approve")
@require_role(*WRITERS, write=True)
def platform_announcement_approve(announcement_id: int) -> Response | tuple[str, int]:
    announcement, platform = _announcement_or_404(announcement_id)
    if announcement.status != announce.PENDING:
        flash(t("admin.platform_announcements.decided_already"), "error")
        return redirect(url_for("admin.platform_announcements"))
    found, _ = send_estimate(announcement, platform)
    if not confirmed(found):  # nothing is sent before the officer has seen what it costs
        return confirm_page(
            found,
            title=t("admin.platform_announcements.approve_title", platform=platform.name),
            action=url_for("admin.platform_announcement_approve", announcement_id=announcement.id),
            back=url_for("admin.platform_announcements"),
        )
    who = principal().name
    try:
        announce.send(announcement, platform, decided_by=who)
    except OverBudget:
        db.session.rollback()
        flash(t("admin.platform_announcements.over_budget"), "error")
        return redirect(url_for("admin.platform_announcements"))
    audit.record(
        "platform_announcement.approve",
        "platform_announcement",
        announcement.id,
        broadcast_id=announcement.broadcast_id,
        recipients=found.recipients,
        cost_kes=str(found.cost_kes),
    )
    db.session.commit()  # the broadcast's start job is enqueued after this commit
    flash(t("admin.platform_announcements.approved", n=found.recipients))
    return redirect(url_for("admin.platform_announcements"))


@bp.post("/platforms/announcements/<int:announcement_id>/reject")
@require_role(*WRITERS, write=True)
def platform_announcement_reject(announcement_id: int) -> Response:
    announcement, _ = _announcement_or_404(announcement_id)
    if announcement.status != announce.PENDING:
        flash(t("admin.platform_announcements.decided_already"), "error")
        return redirect(url_for("admin.platform_announcements"))
    announce.reject(announcement, principal().name)
    audit.record("platform_announcement.reject", "platform_announcement", announcement.id)
    db.session.commit()
    flash(t("admin.platform_announcements.rejected"))
    return redirect(url_for("admin.platform_announcements"))

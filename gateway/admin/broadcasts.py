"""The Broadcasts pages: the list, the composer (a live estimate per language, the audience's
reach, the budget, a basic-phone preview) and a broadcast's progress, outcomes and cancel.

The composer creates broadcasts through :func:`gateway.broadcasts.dispatch.create_broadcast`,
the function the JSON API's create calls; the estimate is :func:`~gateway.broadcasts.estimate.
estimate`, the API's too. Admins send and cancel; viewers see everything and change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.broadcast_composer import (
    LIST_FIELDS,
    Draft,
    gateway_settings,
    language_codes,
    language_views,
)
from gateway.admin.templating import language_name, t
from gateway.broadcasts.dispatch import (
    OverBudget,
    Uncovered,
    cancel_broadcast,
    create_broadcast,
    progress,
)
from gateway.broadcasts.estimate import estimate
from gateway.broadcasts.models import Broadcast
from gateway.broadcasts.pacing_rule import pacing_rule
from gateway.broadcasts.spent import spent, spent_totals
from gateway.broadcasts.timing import held_until, quiet_hours, waits_until
from gateway.contacts.models import Contact, ContactTag
from gateway.encoding import transliterate
from gateway.extensions import db
from gateway.guides.models import GuideSubscription
from gateway.i18n import catalogs
from gateway.phones import mask_phone
from gateway.platforms.service import platform_names, platforms_in
from gateway.sms.models import DONE, STATUSES, Message
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, VIEWER

OUTCOMES_SHOWN = 500  # per-recipient rows on a broadcast's page


def _choices() -> dict[str, list[tuple[str, str]]]:
    def distinct(column: Any) -> list[tuple[str, str]]:
        values = db.session.scalars(select(column).where(column.is_not(None)).distinct())
        return [(str(v), str(v)) for v in sorted(values)]

    return {
        "counties": distinct(Contact.county),
        "languages": [(lang.code, language_name(lang.code)) for lang in catalogs().languages()],
        "tags": distinct(ContactTag.tag),
        "guides": distinct(GuideSubscription.guide),
        "platforms": [(str(p.id), p.name) for p in platforms_in(None)],
    }


def _estimate_context(draft: Draft) -> dict[str, Any]:
    settings = gateway_settings()
    try:
        asked = draft.send_at()
    except ValueError:  # the form says so; meanwhile, as if now
        asked = None
    found = estimate(
        draft.filled or {"en": ""},
        draft.audience,
        gateway_settings(),
        catalogs(),
        uncovered=draft.uncovered_choice,
    )
    return {
        "draft": draft,
        "found": found,
        "language_names": {lang.code: language_name(lang.code) for lang in catalogs().languages()},
        "views": language_views(draft, found),
        # Nothing written yet: the audience's size, not "no one gets a text".
        "reached": found.recipients + (0 if draft.filled else found.skipped_no_text),
        "total_after": found.spent_this_month_kes + found.committed_kes + found.cost_kes,
        "can_send": principal().is_admin,
        # Said before sending: a broadcast for the quiet hours waits for their end.
        "held_until": held_until(asked, settings),
        "quiet": quiet_hours(settings),
        "pacing": pacing_rule(settings, draft.urgent),
    }


def _composer(draft: Draft, errors: list[str] | None = None, status: int = 200) -> Any:
    context = _estimate_context(draft)
    return (
        render_template(
            "admin/broadcasts/new.html", choices=_choices(), errors=errors or [], **context
        ),
        status,
    )


@bp.route("/broadcasts")
@require_role(ADMIN, VIEWER)
def broadcasts() -> str:
    rows = db.session.scalars(select(Broadcast).order_by(Broadcast.created_at.desc())).all()
    ids = [b.id for b in rows]
    done: dict[int, int] = dict.fromkeys(ids, 0)
    if ids:
        for found_id, status, count in db.session.execute(
            select(Message.broadcast_id, Message.status, func.count())
            .where(Message.broadcast_id.in_(ids))
            .group_by(Message.broadcast_id, Message.status)
        ):
            if status in DONE:
                done[int(found_id or 0)] += int(count)
    # Once sending has started, what was spent, as on the broadcast's page; before, the estimate.
    cost = spent_totals(ids, gateway_settings())
    return render_template(
        "admin/broadcasts/list.html",
        rows=rows,
        done=done,
        cost=cost,
        waits={b.id: when for b in rows if (when := waits_until(b, gateway_settings()))},
        can_send=principal().is_admin,
    )


@bp.route("/broadcasts/new", methods=["GET", "POST"])
@require_role(ADMIN, VIEWER)
def broadcast_new() -> Any:
    if request.method == "GET":
        return _composer(Draft.empty())
    who = principal()
    if not who.is_admin:
        abort(403)
    draft = Draft.read(request.form)
    errors = draft.errors()
    if errors:
        return _composer(draft, errors, 400)
    try:
        broadcast, found = create_broadcast(
            name=draft.name,
            texts=draft.filled,
            audience=draft.audience,
            send_at=draft.send_at(),
            urgent=draft.urgent,
            urgent_reason=draft.urgent_reason or None,
            created_by=who.name,
            uncovered=draft.uncovered_choice,
        )
    except Uncovered:
        db.session.rollback()
        return _composer(draft, [t("admin.broadcasts.error_uncovered")], 409)
    except OverBudget as exc:
        db.session.rollback()
        over = exc.estimate
        excess = over.spent_this_month_kes + over.committed_kes + over.cost_kes - over.budget_kes
        message = t("admin.broadcasts.over_budget", excess=f"KES {excess:,.2f}")
        return _composer(draft, [message], 409)
    audit.record(
        "broadcast.send",
        "broadcast",
        broadcast.id,
        name=broadcast.name,
        recipients=found.recipients,
        cost_kes=str(found.cost_kes),
        languages=sorted(draft.filled),
        audience=draft.audience,
        send_at=broadcast.send_at.isoformat() if broadcast.send_at else None,
        urgent=broadcast.urgent,
        urgent_reason=broadcast.urgent_reason,
        uncovered=broadcast.uncovered,
    )
    db.session.commit()
    flash(t("admin.broadcasts.created", name=broadcast.name), "ok")
    return redirect(url_for("admin.broadcast", broadcast_id=broadcast.id))


@bp.route("/broadcasts/estimate", methods=["POST"])
@require_role(ADMIN, VIEWER)
def broadcast_estimate() -> str:
    """The composer's live figures, as a fragment (htmx swaps it in as one types)."""
    return render_template(
        "admin/broadcasts/_estimate.html", **_estimate_context(Draft.read(request.form))
    )


@bp.route("/broadcasts/fix/<language>", methods=["POST"])
@require_role(ADMIN, VIEWER)
def broadcast_fix(language: str) -> Any:
    """The composer again, with ``language``'s text replaced by its GSM-7 transliteration."""
    if language not in language_codes():
        abort(404)
    draft = Draft.read(request.form)
    draft.texts[language] = transliterate(draft.texts[language])
    return render_template(
        "admin/broadcasts/_form.html", choices=_choices(), errors=[], **_estimate_context(draft)
    )


def _progress_context(broadcast: Broadcast) -> dict[str, Any]:
    counts = progress(broadcast)
    total = sum(counts[s] for s in STATUSES)
    finished = broadcast.status in ("sent", "cancelled") and not (
        counts["queued"] or counts["sending"]
    )
    messages = db.session.scalars(
        select(Message)
        .where(Message.broadcast_id == broadcast.id)
        .order_by(Message.id)
        .limit(OUTCOMES_SHOWN)
    ).all()
    spend = spent(broadcast.id, gateway_settings())
    names = {language.code: language_name(language.code) for language in catalogs().languages()}
    return {
        "broadcast": broadcast,
        "outcomes": [
            (mask_phone(m.phone), m.language, m.status, m.error, m.contact_id) for m in messages
        ],
        "shown": OUTCOMES_SHOWN,
        "counts": counts,
        "statuses": STATUSES,
        "total": total,
        "done": sum(counts[s] for s in DONE),
        "finished": finished,
        "can_send": principal().is_admin,
        "held_until": waits_until(broadcast, gateway_settings()),
        "quiet": quiet_hours(gateway_settings()),
        "spend": spend,
        "spent_total": sum((row.cost_kes for row in spend), Decimal(0)),
        "audience": audience_lines(broadcast.audience),
        "language_names": names,
    }


def audience_lines(audience: Mapping[str, Any]) -> list[str]:
    """The audience a broadcast was aimed at, as the composer's picker names it."""
    names = {language.code: language_name(language.code) for language in catalogs().languages()}
    lines = []
    for field in (*LIST_FIELDS, "wards"):
        values = [str(value) for value in audience.get(field) or []]
        if field == "languages":
            values = [names.get(value, value) for value in values]
        if field == "platforms":
            values = platform_names(values)
        if values:
            lines.append(f"{t(f'admin.broadcasts.field_{field}')}: {', '.join(values)}")
    if len(lines) > 1:
        match = "any" if audience.get("match") == "any" else "all"
        lines.append(f"{t('admin.broadcasts.match')} {t(f'admin.broadcasts.match_{match}')}")
    return lines or [t("admin.broadcasts.audience_everyone")]


@bp.route("/broadcasts/<int:broadcast_id>")
@require_role(ADMIN, VIEWER)
def broadcast(broadcast_id: int) -> str:
    found = db.get_or_404(Broadcast, broadcast_id)
    return render_template("admin/broadcasts/show.html", **_progress_context(found))


@bp.route("/broadcasts/<int:broadcast_id>/progress")
@require_role(ADMIN, VIEWER)
def broadcast_progress(broadcast_id: int) -> str:
    return render_template(
        "admin/broadcasts/_progress.html",
        **_progress_context(db.get_or_404(Broadcast, broadcast_id)),
    )


@bp.route("/broadcasts/<int:broadcast_id>/cancel", methods=["POST"])
@require_role(ADMIN, write=True)
def broadcast_cancel(broadcast_id: int) -> Response:
    found = db.get_or_404(Broadcast, broadcast_id)
    if found.status in ("sent", "cancelled"):
        flash(t("admin.broadcasts.cannot_cancel"), "warning")
        return redirect(url_for("admin.broadcast", broadcast_id=found.id))
    audit.record("broadcast.cancel", "broadcast", found.id, name=found.name, was=found.status)
    held = cancel_broadcast(found)  # commits, with the audit event
    flash(t("admin.broadcasts.cancelled", held=held), "ok")
    return redirect(url_for("admin.broadcast", broadcast_id=found.id))

"""The Broadcasts pages: the list, the composer (a live estimate per language, the audience's
reach, the budget, a basic-phone preview) and a broadcast's progress, outcomes and cancel.

The composer creates broadcasts through :func:`gateway.broadcasts.dispatch.create_broadcast`,
the function the JSON API's create calls; the estimate is :func:`~gateway.broadcasts.estimate.
estimate`, the API's too. Admins send and cancel; viewers see everything and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.templating import t, tn
from gateway.broadcasts.dispatch import (
    OverBudget,
    Uncovered,
    cancel_broadcast,
    create_broadcast,
    progress,
)
from gateway.broadcasts.estimate import SKIP, Estimate, estimate, in_chain
from gateway.broadcasts.models import Broadcast
from gateway.contacts.models import Contact, ContactTag
from gateway.encoding import TextInfo, analyse, transliterate
from gateway.extensions import db
from gateway.guides.models import GuideSubscription
from gateway.i18n import catalogs
from gateway.phones import mask_phone
from gateway.settings import Settings
from gateway.sms.models import Message
from gateway.sms.texts import with_optout_hint
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, VIEWER

LIST_FIELDS = ("counties", "languages", "tags", "guides")
DONE = ("sent", "submitted", "buffered", "delivered", "failed", "unsent", "unknown")
OUTCOMES_SHOWN = 500  # per-recipient rows on a broadcast's page


def _settings() -> Settings:
    settings: Settings = current_app.config["GATEWAY"]
    return settings


def _codes() -> list[str]:
    return [language.code for language in catalogs().languages()]


@dataclass
class Draft:
    """The composer's form, read back."""

    name: str
    texts: dict[str, str]
    audience: dict[str, Any]
    when: str  # "now" or "later"
    send_at_local: str  # as typed, "YYYY-MM-DDTHH:MM" in EAT
    urgent: bool
    urgent_reason: str
    uncovered: str = ""  # for those with no text in their chain: "skip", a language, or unsaid

    @classmethod
    def empty(cls) -> Draft:
        audience: dict[str, Any] = {name: [] for name in (*LIST_FIELDS, "wards")}
        return cls(
            "", dict.fromkeys(_codes(), ""), {**audience, "match": "all"}, "now", "", False, ""
        )

    @classmethod
    def read(cls, form: MultiDict[str, str]) -> Draft:
        texts = {code: form.get(f"text_{code}", "").replace("\r\n", "\n") for code in _codes()}
        audience: dict[str, Any] = {name: form.getlist(name) for name in LIST_FIELDS}
        audience["wards"] = [w.strip() for w in form.get("wards", "").split(",") if w.strip()]
        audience["match"] = "any" if form.get("match") == "any" else "all"
        return cls(
            name=form.get("name", "").strip(),
            texts=texts,
            audience=audience,
            when="later" if form.get("when") == "later" else "now",
            send_at_local=form.get("send_at", ""),
            urgent=form.get("urgent") == "1",
            urgent_reason=form.get("urgent_reason", "").strip(),
            uncovered=form.get("uncovered", ""),
        )

    @property
    def filled(self) -> dict[str, str]:
        return {code: text for code, text in self.texts.items() if text.strip()}

    @property
    def uncovered_choice(self) -> str | None:
        """The choice, if it still holds (a language chosen whose text was since emptied does
        not)."""
        ok = self.uncovered == SKIP or self.uncovered in self.filled
        return self.uncovered if ok else None

    def send_at(self) -> datetime | None:
        if self.when != "later":
            return None
        local = datetime.fromisoformat(self.send_at_local)  # ValueError when not a time
        return local.replace(tzinfo=_settings().timezone)

    def errors(self) -> list[str]:
        found = []
        if not self.name:
            found.append(t("admin.broadcasts.error_name"))
        if not self.filled:
            found.append(t("admin.broadcasts.error_text"))
        if any(len(text) > 1000 for text in self.texts.values()):
            found.append(t("admin.broadcasts.error_long"))
        if self.urgent and not self.urgent_reason:
            found.append(t("admin.broadcasts.error_reason"))
        try:
            self.send_at()
        except ValueError:
            found.append(t("admin.broadcasts.error_time"))
        return found


@dataclass(frozen=True)
class LanguageView:
    """One language's text in the composer: how it is encoded and who gets it."""

    code: str
    name: str
    text: str
    info: TextInfo
    fixed_segments: int | None  # the GSM-7 version's segments, when UCS-2
    recipients: int  # contacts who get this text (their own language or by fallback)
    cost_kes: Decimal
    pages: list[str]  # the text as a basic phone shows it, one SMS segment a page
    empty_note: str  # for an empty text: what its speakers get instead (or that they get none)


def phone_pages(text: str, info: TextInfo) -> list[str]:
    """The text cut where its SMS segments end (a segment never splits a GSM-7 escape pair)."""
    if info.segments <= 1:
        return [text] if text else []
    part = 153 if info.encoding == "GSM-7" else 67
    pages, current, used = [], "", 0
    for char in text:
        cost = 2 if info.encoding == "GSM-7" and analyse(char).length == 2 else 1
        if info.encoding == "UCS-2" and ord(char) > 0xFFFF:
            cost = 2
        if used + cost > part:
            pages.append(current)
            current, used = "", 0
        current, used = current + char, used + cost
    pages.append(current)
    return pages


def _empty_note(draft: Draft, code: str, found: Estimate) -> str:
    """What the speakers of ``code``, which has no text, get: a fallback's text, the language
    the officer chose for them, or nothing."""
    names = {language.code: language.english_name for language in catalogs().languages()}
    fallback = in_chain(draft.filled, code, catalogs())
    if fallback:
        return t("admin.broadcasts.gets_fallback", language=names.get(fallback, fallback))
    choice = found.uncovered_choice
    if choice and choice != SKIP:
        return t("admin.broadcasts.gets_chosen", language=names.get(choice, choice))
    count = found.uncovered.get(code, 0)
    return tn("admin.broadcasts.no_text_in_chain", count, recipients=count)


def language_views(draft: Draft, found: Estimate) -> list[LanguageView]:
    views = []
    for language in catalogs().languages():
        text = draft.texts.get(language.code, "")
        sent = with_optout_hint(text, language.code)  # as its own speakers get it
        info = analyse(sent)
        getting = [e for e in found.languages if e.text_language == language.code and text]
        views.append(
            LanguageView(
                code=language.code,
                name=language.english_name,
                text=text,
                info=info,
                fixed_segments=analyse(
                    with_optout_hint(transliterate(text), language.code)
                ).segments
                if info.encoding == "UCS-2"
                else None,
                recipients=sum(e.recipients for e in getting),
                cost_kes=sum((e.cost_kes for e in getting), Decimal(0)),
                pages=phone_pages(sent, info),
                empty_note="" if text else _empty_note(draft, language.code, found),
            )
        )
    return views


def _choices() -> dict[str, list[tuple[str, str]]]:
    def distinct(column: Any) -> list[tuple[str, str]]:
        values = db.session.scalars(select(column).where(column.is_not(None)).distinct())
        return [(str(v), str(v)) for v in sorted(values)]

    return {
        "counties": distinct(Contact.county),
        "languages": [(lang.code, lang.english_name) for lang in catalogs().languages()],
        "tags": distinct(ContactTag.tag),
        "guides": distinct(GuideSubscription.guide),
    }


def _estimate_context(draft: Draft) -> dict[str, Any]:
    found = estimate(
        draft.filled or {"en": ""},
        draft.audience,
        _settings(),
        catalogs(),
        uncovered=draft.uncovered_choice,
    )
    return {
        "draft": draft,
        "found": found,
        "language_names": {lang.code: lang.english_name for lang in catalogs().languages()},
        "views": language_views(draft, found),
        "total_after": found.spent_this_month_kes + found.committed_kes + found.cost_kes,
        "can_send": principal().is_admin,
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
    cost: dict[int, Decimal] = {}
    if ids:
        for found_id, status, count, spent in db.session.execute(
            select(Message.broadcast_id, Message.status, func.count(), func.sum(Message.cost))
            .where(Message.broadcast_id.in_(ids))
            .group_by(Message.broadcast_id, Message.status)
        ):
            broadcast_id = int(found_id or 0)
            if status in DONE:
                done[broadcast_id] += int(count)
            if spent is not None:
                cost[broadcast_id] = cost.get(broadcast_id, Decimal(0)) + Decimal(str(spent))
    return render_template(
        "admin/broadcasts/list.html",
        rows=rows,
        done=done,
        cost=cost,
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
    if language not in _codes():
        abort(404)
    draft = Draft.read(request.form)
    draft.texts[language] = transliterate(draft.texts[language])
    return render_template(
        "admin/broadcasts/_form.html", choices=_choices(), errors=[], **_estimate_context(draft)
    )


def _progress_context(broadcast: Broadcast) -> dict[str, Any]:
    counts = progress(broadcast)
    total = sum(counts[s] for s in ("queued", "sending", *DONE))
    finished = broadcast.status in ("sent", "cancelled") and not (
        counts["queued"] or counts["sending"]
    )
    messages = db.session.scalars(
        select(Message)
        .where(Message.broadcast_id == broadcast.id)
        .order_by(Message.id)
        .limit(OUTCOMES_SHOWN)
    ).all()
    return {
        "broadcast": broadcast,
        "outcomes": [(mask_phone(m.phone), m.language, m.status, m.error) for m in messages],
        "shown": OUTCOMES_SHOWN,
        "counts": counts,
        "total": total,
        "done": sum(counts[s] for s in DONE),
        "finished": finished,
        "can_send": principal().is_admin,
    }


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

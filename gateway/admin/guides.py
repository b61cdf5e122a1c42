"""Guides and texts: the Community Guides' chapters per language, and an editor for a title
or an excerpt that checks it as the message lint does (GSM-7 after transliteration, length,
placeholders) while one types, and saves it as a :class:`TextOverride` that the USSD menus and
the weekly series then serve (within :data:`~gateway.guides.overrides.REFRESH_S` seconds in
every process; at once in the one that saved it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from flask.sansio.blueprints import BlueprintSetupState
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from gateway.admin import bp
from gateway.admin.templating import t
from gateway.extensions import db, utcnow
from gateway.guides import content
from gateway.guides.models import TextOverride
from gateway.guides.overrides import REFRESH_S, attach, check_text, reload_now
from gateway.i18n import DEFAULT_LANGUAGE, MissingText, catalogs
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, VIEWER


@bp.record_once
def _attach_overrides(state: BlueprintSetupState) -> None:
    attach(
        cast(Flask, state.app)
    )  # the catalogs serve the admin UI's edits (gateway.guides.overrides)


@dataclass(frozen=True)
class Entry:
    key: str
    text: str  # what the gateway serves now in the language
    overridden: bool


def _editable_keys() -> set[str]:
    keys = set()
    for guide in content.guides().values():
        keys.add(guide.title)
        for chapter in guide.chapters:
            keys.update((chapter.title, chapter.text))
    return keys


def _language() -> str:
    codes = [language.code for language in catalogs().languages()]
    asked = request.values.get("language", DEFAULT_LANGUAGE)
    if asked not in codes:
        abort(404)
    return asked


def _override(key: str, language: str) -> TextOverride | None:
    found: TextOverride | None = db.session.scalar(
        select(TextOverride).where(TextOverride.key == key, TextOverride.language == language)
    )
    return found


def _entry(key: str, language: str, overridden: set[str]) -> Entry:
    try:
        text = catalogs().raw(key, language)[0]
    except MissingText:
        text = ""
    return Entry(key, text, key in overridden)


@bp.route("/guides")
@require_role(ADMIN, VIEWER)
def guides() -> str:
    language = _language()
    overridden = set(
        db.session.scalars(select(TextOverride.key).where(TextOverride.language == language))
    )
    listing = [
        (
            _entry(guide.title, language, overridden),
            [
                (_entry(c.title, language, overridden), _entry(c.text, language, overridden))
                for c in guide.chapters
            ],
        )
        for guide in content.guides().values()
    ]
    return render_template(
        "admin/guides/list.html",
        listing=listing,
        language=language,
        languages=catalogs().languages(),
        refresh_s=int(REFRESH_S),
    )


def _english(key: str) -> str:
    return catalogs().variants(key).get(DEFAULT_LANGUAGE, "")


@bp.route("/guides/check", methods=["POST"])
@require_role(ADMIN, write=True)
def guides_check() -> str:
    """The checks of the text being typed (htmx swaps this into the editor)."""
    key = request.form.get("key", "")
    if key not in _editable_keys():
        abort(404)
    check = check_text(key, request.form.get("text", ""), _english(key), t)
    return render_template("admin/guides/_check.html", check=check)


@bp.route("/guides/edit", methods=["GET", "POST"])
@require_role(ADMIN, VIEWER)
def guides_edit() -> str | BaseResponse | tuple[str, int]:
    key = request.values.get("key", "")
    if key not in _editable_keys():
        abort(404)
    language = _language()
    override = _override(key, language)
    catalog_text = catalogs().variants(key).get(language, "")
    text = override.text if override is not None else catalog_text
    if request.method == "POST":
        who = principal()
        if not (who.is_admin and who.can_write):
            abort(403)
        text = request.form.get("text", "")
        if request.form.get("action") == "revert":
            if override is not None:
                db.session.delete(override)
                audit.record("guides.text_reverted", "text", key, language=language)
                db.session.commit()
                reload_now()
            flash(t("admin.guides.reverted"))
            return redirect(url_for("admin.guides", language=language))
        check = check_text(key, text, _english(key), t)
        if check.ok:
            text = text.strip()
            if override is None:
                override = TextOverride(key=key, language=language, text=text)
                db.session.add(override)
            override.text = text
            override.updated_by_id = who.user_id
            override.updated_at = utcnow()
            audit.record("guides.text_saved", "text", key, language=language, length=len(text))
            db.session.commit()
            reload_now()
            flash(t("admin.guides.saved", seconds=int(REFRESH_S)))
            return redirect(url_for("admin.guides", language=language))
        page = render_template(
            "admin/guides/edit.html",
            key=key,
            language=language,
            text=text,
            catalog_text=catalog_text,
            english=_english(key),
            check=check,
            overridden=override is not None,
            refresh_s=int(REFRESH_S),
        )
        return page, 422
    return render_template(
        "admin/guides/edit.html",
        key=key,
        language=language,
        text=text,
        catalog_text=catalog_text,
        english=_english(key),
        check=check_text(key, text, _english(key), t),
        overridden=override is not None,
        refresh_s=int(REFRESH_S),
    )

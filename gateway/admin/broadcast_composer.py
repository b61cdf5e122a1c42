"""The broadcast composer's form and what it shows per language: the text as sent, its
encoding and segments, who gets it, a basic-phone preview, and for an empty text what its
speakers get instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import MultiDict

from gateway.admin.templating import language_name, t, tn
from gateway.broadcasts.estimate import SKIP, Estimate, in_chain
from gateway.encoding import TextInfo, analyse, transliterate
from gateway.i18n import catalogs
from gateway.settings import Settings, current_settings
from gateway.sms.estimate import figures
from gateway.sms.texts import with_optout_hint

LIST_FIELDS = ("counties", "languages", "tags", "guides", "platforms")


def gateway_settings() -> Settings:
    settings = current_settings()
    return settings


def language_codes() -> list[str]:
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
            "",
            dict.fromkeys(language_codes(), ""),
            {**audience, "match": "all"},
            "now",
            "",
            False,
            "",
        )

    @classmethod
    def read(cls, form: MultiDict[str, str]) -> Draft:
        texts = {
            code: form.get(f"text_{code}", "").replace("\r\n", "\n") for code in language_codes()
        }
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
        return local.replace(tzinfo=gateway_settings().timezone)

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
    cut_to_fit: int  # characters to cut (of the text as sent) for it to fit one SMS
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
    if not draft.filled:  # nothing written yet
        return t("admin.broadcasts.empty")
    names = {language.code: language_name(language.code) for language in catalogs().languages()}
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
                name=language_name(language.code),
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
                cut_to_fit=figures(sent).cut_to_fit,
                empty_note="" if text else _empty_note(draft, language.code, found),
            )
        )
    return views

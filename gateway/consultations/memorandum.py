"""The memorandum a consultation answers its draft with, in one language: a cover, the method
statement, each clause's positions, main themes and representative quotes, and an annex of the
full tables. :func:`memorandum_data` gives what the printable HTML page shows;
:func:`memorandum_docx` the same as a Word file (the coalition edits it before it goes in).

Every number is a figure of :mod:`gateway.consultations.tallies` and can be recomputed from the
CSV export; every word is an ``admin.memo.*`` text of ``messages/``. Quotes are only comments
their authors let be quoted, the secretariat picked, and not erased; masked, five per clause.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from gateway.consultations.document import (
    Memorandum,
    Quote,
    Section,
    Table,
    Writer,
)
from gateway.consultations.export import places, quotable
from gateway.consultations.models import STANCES, Clause, Comment, Consultation
from gateway.consultations.quotes import mask_quote
from gateway.consultations.tallies import Figures, figures
from gateway.consultations.word import write_docx
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.localized import pick
from gateway.settings import current_settings

MAIN_THEMES = 5  # per clause in the body; the annex has them all
QUOTES = 5  # per clause


def _by_count(counter: Counter[object]) -> list[tuple[object, int]]:
    """Most first; ties in the order of their written value, so the order never changes."""
    return sorted(counter.items(), key=lambda item: (-item[1], str(item[0] or "")))


def _participation(w: Writer, found: Figures) -> list[Table]:
    people = w.t("col.people")
    tables = []
    for key, heading, label in (
        ("county", w.t("col.county"), w.unknown),
        ("language", w.t("col.language"), w.language_name),
        ("channel", w.t("col.channel"), w.channel),
    ):
        rows = [
            [label(value), w.n(n), w.pct(n, found.participants)]  # type: ignore[arg-type]
            for value, n in _by_count(found.took_part[key])
        ]
        tables.append(
            Table(
                f"participants-{key}",
                w.t(f"table.by_{key}"),
                [heading, people, w.t("col.percent")],
                rows,
            )
        )
    return tables


def _positions(w: Writer, clause: Clause, stances: Counter[str]) -> Table:
    total = sum(stances.values())
    rows = [[w.stance(s), w.n(stances[s]), w.pct(stances[s], total)] for s in STANCES]
    rows.append([w.t("col.total"), w.n(total), w.pct(total, total)])
    return Table(
        f"clause-{clause.number}-positions",
        w.t("table.positions", number=clause.number),
        [w.t("col.position"), w.t("col.people"), w.t("col.percent")],
        rows,
    )


def _themes(
    w: Writer, clause: Clause, themes: Counter[str], comments: int, top: int | None
) -> Table:
    shown = _by_count(themes)  # type: ignore[arg-type]
    if top is not None:
        shown = shown[:top]
    key = "themes" if top is not None else "all_themes"
    return Table(
        f"clause-{clause.number}-{key}",
        w.t(f"table.{key}", number=clause.number),
        [w.t("col.theme"), w.t("col.comments"), w.t("col.percent_comments")],
        [[str(name), w.n(n), w.pct(n, comments)] for name, n in shown],
    )


def _quotes(w: Writer, clause: Clause) -> list[Quote]:
    """The first five comments of the clause that may be quoted, masked."""
    known = places()
    rows = db.session.scalars(
        select(Comment)
        .where(
            Comment.clause_id == clause.id,
            Comment.quoted.is_(True),
            Comment.quote_ok.is_(True),
            Comment.erased_at.is_(None),
            Comment.text.is_not(None),
            func.trim(Comment.text) != "",
        )
        .order_by(Comment.id)
        .limit(QUOTES)
    )
    return [
        Quote(mask_quote(c.text or "", known), f"{w.unknown(c.county)}, {w.channel(c.channel)}")
        for c in rows
        if quotable(c.text, c.quote_ok, c.quoted, c.erased_at is not None)
    ]


def _by_county(w: Writer, clause: Clause, counts: dict[str | None, Counter[str]]) -> Table:
    rows = []
    for county, stances in sorted(counts.items(), key=lambda item: item[0] or "~"):
        total = sum(stances.values())
        rows.append([w.unknown(county), *(w.n(stances[s]) for s in STANCES), w.n(total)])
    return Table(
        f"clause-{clause.number}-counties",
        w.t("table.positions_by_county", number=clause.number),
        [w.t("col.county"), *(w.stance(s) for s in STANCES), w.t("col.total")],
        rows,
    )


def _wards(w: Writer, found: Figures) -> Table:
    rows = [
        [w.unknown(county), w.unknown(ward), w.n(n), w.pct(n, found.participants)]
        for (county, ward), n in sorted(
            found.took_part["ward"].items(),
            key=lambda item: (item[0][0] or "~", item[0][1] or "~"),
        )
    ]
    return Table(
        "participants-ward",
        w.t("table.by_ward"),
        [w.t("col.county"), w.t("col.ward"), w.t("col.people"), w.t("col.percent")],
        rows,
    )


def _audience(w: Writer, consultation: Consultation) -> str:
    audience = consultation.audience or {}
    places_named = [str(p) for p in [*audience.get("counties", []), *audience.get("wards", [])]]  # type: ignore[misc]
    platforms = len(audience.get("platforms", []) or [])  # type: ignore[arg-type]
    if not places_named and not platforms:
        return w.t("audience.everyone")
    parts = [w.listing(places_named)] if places_named else []
    if platforms:
        parts.append(w.t("audience.platforms", count=platforms))
    return "; ".join(parts)


def _method(w: Writer, consultation: Consultation, found: Figures) -> list[str]:
    channels = [w.channel(c) for c, _ in _by_count(found.took_part["channel"])]  # type: ignore[arg-type]
    languages = [w.language_name(c) for c, _ in _by_count(found.took_part["language"])]  # type: ignore[arg-type]
    invited = (
        w.t(
            "method.invited",
            date=w.date(consultation.invited_at),
            audience=_audience(w, consultation),
            keyword=consultation.keyword,
        )
        if consultation.invited_at
        else w.t("method.not_invited", keyword=consultation.keyword)
    )
    return [
        w.t(
            "method.dates",
            opens=w.date(consultation.opens_at),
            closes=w.date(consultation.closes_at),
            draft=consultation.draft_name,
            body=consultation.issuing_body,
        ),
        invited,
        w.t(
            "method.took_part",
            people=w.n(found.participants),
            positions=w.n(found.positions),
            clauses=w.n(len(consultation.clauses)),
            comments=w.n(found.comments),
            channels=w.listing(channels) or w.t("unknown"),
            languages=w.listing(languages) or w.t("unknown"),
        ),
        w.t(
            "method.coding",
            coded=w.n(found.coded),
            comments=w.n(found.comments),
            coders=w.n(found.coders),
            double=w.n(found.double_coded),
        ),
        w.t("method.quotes"),
    ]


def memorandum_data(consultation: Consultation, language: str | None = None) -> Memorandum:
    """The memorandum of ``consultation`` written in ``language`` (default: the gateway's)."""
    w = Writer(language or current_settings().default_language)
    found = figures(consultation)
    chain = catalogs().chain(w.language)
    sections, annex = [], [_wards(w, found)]
    for clause in consultation.clauses:
        stances = found.stances.get(clause.id, Counter())
        themes = found.themes_by_clause.get(clause.id, Counter())
        comments = found.comments_by_clause.get(clause.id, 0)
        sections.append(
            Section(
                heading=w.t("clause", number=clause.number, reference=clause.reference),
                summary=pick(clause.summary, chain),
                comments=w.t("clause_comments", comments=w.n(comments)),
                positions=_positions(w, clause, stances),
                themes=_themes(w, clause, themes, comments, MAIN_THEMES),
                quotes=_quotes(w, clause),
            )
        )
        annex.append(_by_county(w, clause, found.stances_by_county.get(clause.id, {})))
        annex.append(_themes(w, clause, themes, comments, None))
    title = pick(consultation.title, chain) or consultation.draft_name
    return Memorandum(
        language=w.language,
        title=w.t("title", draft=consultation.draft_name),
        cover=[
            (w.t("cover.consultation"), title),
            (w.t("cover.to"), consultation.addressed_to or consultation.issuing_body),
            (w.t("cover.from"), consultation.submitted_by),
            (w.t("cover.date"), w.date(consultation.submitted_at or utcnow())),
        ],
        sample=w.t("sample") if consultation.sample else "",
        method_heading=w.t("method.heading"),
        method=_method(w, consultation, found),
        participation=_participation(w, found),
        sections=sections,
        annex_heading=w.t("annex"),
        annex=annex,
        notes=[w.t("reproducible")],
        labels={"quotes": w.t("quotes"), "no_quotes": w.t("no_quotes")},
    )


def memorandum_docx(consultation: Consultation, language: str | None = None) -> bytes:
    """The memorandum as a Word file (python-docx), the same as :func:`memorandum_data`."""
    return write_docx(memorandum_data(consultation, language))

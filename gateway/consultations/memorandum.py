"""The memorandum a consultation answers its draft with, in one language: a cover, the method
statement, each clause's positions, main themes and representative quotes, and an annex of the
full tables. :func:`memorandum_data` gives what the printable HTML page shows;
:func:`memorandum_docx` the same as a Word file (the coalition edits it before it goes in).

Every number is a figure of :mod:`gateway.consultations.tallies` and can be recomputed from the
CSV export; every word is an ``admin.memo.*`` text of ``messages/``. Quotes are only comments
their authors let be quoted, the secretariat picked, and not erased; masked, five per clause.

The secretariat's memorandum (the one submitted) is complete. The public site's (``min_group``
given) passes every table of groups of people (by county, ward, language, channel; positions
by county) through the public site's small-group rule (:mod:`gateway.small_groups`): a group of
fewer than ``min_group`` people is folded into "other", or not shown; a clause's positions or
themes are shown only once ``min_group`` people took a position or commented, as the site's
charts; and a quote names its author's county only when that county is shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

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
from gateway.small_groups import fold_small, total_shown

MAIN_THEMES = 5  # per clause in the body; the annex has them all
QUOTES = 5  # per clause
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Groups:
    """How the tables of groups of people are written: every group (``min_group`` None, the
    secretariat's memorandum), or the public site's rule (see the module's docstring)."""

    min_group: int | None = None

    def fold(
        self, groups: Mapping[K, Counter[Any]]
    ) -> tuple[list[tuple[K, Counter[Any]]], Counter[Any] | None]:
        """The groups shown, in the order given, and the folded rest (None: no "other" row)."""
        items = [(key, Counter(counts)) for key, counts in groups.items()]
        if self.min_group is None:
            return items, None
        folded = fold_small(items, self.min_group)
        shown = {key for key, _ in folded.shown}
        return [(key, counts) for key, counts in items if key in shown], folded.other

    def fold_counts(self, counts: Mapping[K, int]) -> tuple[list[tuple[K, int]], int | None]:
        """:meth:`fold` of groups that are one number each (people)."""
        shown, other = self.fold({key: Counter({"people": n}) for key, n in counts.items()})
        return [(key, c["people"]) for key, c in shown], (other["people"] if other else None)

    def whole(self, people: int) -> bool:
        """May a whole of ``people`` (a clause's positions, its comments) be shown?"""
        return self.min_group is None or total_shown({"people": people}, self.min_group) is not None

    def too_few(self, w: Writer, columns: int) -> list[str]:
        """The row a table shows instead of rows of too few people."""
        return [w.t("too_few", min_group=self.min_group or 0), *[""] * (columns - 1)]


def _by_count(counter: Counter[object]) -> list[tuple[object, int]]:
    """Most first; ties in the order of their written value, so the order never changes."""
    return sorted(counter.items(), key=lambda item: (-item[1], str(item[0] or "")))


def _participation(w: Writer, found: Figures, groups: Groups) -> list[Table]:
    people = w.t("col.people")
    tables = []
    for key, heading, label in (
        ("county", w.t("col.county"), w.unknown),
        ("language", w.t("col.language"), w.language_name),
        ("channel", w.t("col.channel"), w.channel),
    ):
        shown, other = groups.fold_counts(dict(_by_count(found.took_part[key])))
        rows = [
            [label(value), w.n(n), w.pct(n, found.participants)]  # type: ignore[arg-type]
            for value, n in shown
        ]
        if other is not None:
            rows.append([w.t("other_groups"), w.n(other), w.pct(other, found.participants)])
        if not rows and groups.min_group is not None:
            rows.append(groups.too_few(w, 3))
        tables.append(
            Table(
                f"participants-{key}",
                w.t(f"table.by_{key}"),
                [heading, people, w.t("col.percent")],
                rows,
            )
        )
    return tables


def _positions(w: Writer, clause: Clause, stances: Counter[str], groups: Groups) -> Table:
    total = sum(stances.values())
    rows = [[w.stance(s), w.n(stances[s]), w.pct(stances[s], total)] for s in STANCES]
    rows.append([w.t("col.total"), w.n(total), w.pct(total, total)])
    if not groups.whole(total):
        rows = [groups.too_few(w, 3)]
    return Table(
        f"clause-{clause.number}-positions",
        w.t("table.positions", number=clause.number),
        [w.t("col.position"), w.t("col.people"), w.t("col.percent")],
        rows,
    )


def _themes(
    w: Writer,
    clause: Clause,
    themes: Counter[str],
    comments: int,
    top: int | None,
    groups: Groups,
) -> Table:
    shown = _by_count(themes)  # type: ignore[arg-type]
    if top is not None:
        shown = shown[:top]
    key = "themes" if top is not None else "all_themes"
    rows = [[str(name), w.n(n), w.pct(n, comments)] for name, n in shown]
    if rows and not groups.whole(comments):
        rows = [groups.too_few(w, 3)]
    return Table(
        f"clause-{clause.number}-{key}",
        w.t(f"table.{key}", number=clause.number),
        [w.t("col.theme"), w.t("col.comments"), w.t("col.percent_comments")],
        rows,
    )


def _quotes(w: Writer, clause: Clause, counties: set[str | None] | None) -> list[Quote]:
    """The first five comments of the clause that may be quoted, masked; the author's county
    named only when it is among ``counties`` (None: any)."""
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
        Quote(
            mask_quote(c.text or "", known),
            f"{w.unknown(c.county)}, {w.channel(c.channel)}"
            if counties is None or c.county in counties
            else w.channel(c.channel),
        )
        for c in rows
        if quotable(c.text, c.quote_ok, c.quoted, c.erased_at is not None)
    ]


def _by_county(
    w: Writer, clause: Clause, counts: dict[str | None, Counter[str]], groups: Groups
) -> Table:
    shown, other = groups.fold(dict(sorted(counts.items(), key=lambda item: item[0] or "~")))
    named: list[tuple[str, Counter[Any]]] = [(w.unknown(c), stances) for c, stances in shown]
    if other is not None:
        named.append((w.t("other_groups"), other))
    rows = []
    for name, stances in named:
        total = sum(stances.values())
        rows.append([name, *(w.n(stances[s]) for s in STANCES), w.n(total)])
    if not rows and groups.min_group is not None and counts:
        rows.append(groups.too_few(w, len(STANCES) + 2))
    return Table(
        f"clause-{clause.number}-counties",
        w.t("table.positions_by_county", number=clause.number),
        [w.t("col.county"), *(w.stance(s) for s in STANCES), w.t("col.total")],
        rows,
    )


def _wards(w: Writer, found: Figures, groups: Groups, counties: set[str | None] | None) -> Table:
    """Every ward; or, by the public rule, the wards of the shown ``counties`` only, each
    folded within its county (else "the county minus its shown wards" gives a small ward back),
    and everything else in one "other" row when it is not small itself."""
    ordered = sorted(
        found.took_part["ward"].items(),
        key=lambda item: (item[0][0] or "~", item[0][1] or "~"),
    )
    per_county: dict[str | None, dict[tuple[str | None, str | None], int]] = {}
    leftover = 0
    for (county, ward), n in ordered:
        if counties is None or county in counties:
            per_county.setdefault(county, {})[(county, ward)] = n
        else:
            leftover += n
    rows = []
    for in_county in per_county.values():
        shown, other = groups.fold_counts(in_county)
        rows += [
            [w.unknown(county), w.unknown(ward), w.n(n), w.pct(n, found.participants)]
            for (county, ward), n in shown
        ]
        leftover += sum(in_county.values()) - sum(n for _, n in shown)
    if groups.min_group is not None:
        if groups.whole(leftover) and leftover:
            rows.append(
                [w.t("other_groups"), "", w.n(leftover), w.pct(leftover, found.participants)]
            )
        if not rows:
            rows.append(groups.too_few(w, 4))
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


def _method(w: Writer, consultation: Consultation, found: Figures, groups: Groups) -> list[str]:
    # Only the channels and languages of groups the tables show: naming one a few people used
    # would tell what the tables fold away.
    channel_groups, _ = groups.fold_counts(dict(_by_count(found.took_part["channel"])))
    language_groups, _ = groups.fold_counts(dict(_by_count(found.took_part["language"])))
    channels = [w.channel(c) for c, _ in channel_groups]  # type: ignore[arg-type]
    languages = [w.language_name(c) for c, _ in language_groups]  # type: ignore[arg-type]
    took_part = (
        w.t(
            "method.took_part",
            people=w.n(found.participants),
            positions=w.n(found.positions),
            clauses=w.n(len(consultation.clauses)),
            comments=w.n(found.comments),
            channels=w.listing(channels) or w.t("unknown"),
            languages=w.listing(languages) or w.t("unknown"),
        )
        if groups.whole(found.participants)
        else w.t("too_few", min_group=groups.min_group or 0)
    )
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
        took_part,
        w.t(
            "method.coding",
            coded=w.n(found.coded),
            comments=w.n(found.comments),
            coders=w.n(found.coders),
            double=w.n(found.double_coded),
        ),
        w.t("method.quotes"),
    ]


def memorandum_data(
    consultation: Consultation, language: str | None = None, min_group: int | None = None
) -> Memorandum:
    """The memorandum of ``consultation`` written in ``language`` (default: the gateway's);
    complete, or with ``min_group`` the public site's (see the module's docstring)."""
    w = Writer(language or current_settings().default_language)
    groups = Groups(min_group)
    found = figures(consultation)
    chain = catalogs().chain(w.language)
    counties: set[str | None] | None = None
    if min_group is not None:
        shown, _ = groups.fold_counts(dict(found.took_part["county"]))
        counties = {county for county, _ in shown}
    sections, annex = [], [_wards(w, found, groups, counties)]
    for clause in consultation.clauses:
        stances = found.stances.get(clause.id, Counter())
        themes = found.themes_by_clause.get(clause.id, Counter())
        comments = found.comments_by_clause.get(clause.id, 0)
        sections.append(
            Section(
                heading=w.t("clause", number=clause.number, reference=clause.reference),
                summary=pick(clause.summary, chain),
                comments=w.t("clause_comments", comments=w.n(comments)),
                positions=_positions(w, clause, stances, groups),
                themes=_themes(w, clause, themes, comments, MAIN_THEMES, groups),
                quotes=_quotes(w, clause, counties),
            )
        )
        annex.append(_by_county(w, clause, found.stances_by_county.get(clause.id, {}), groups))
        annex.append(_themes(w, clause, themes, comments, None, groups))
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
        method=_method(w, consultation, found, groups),
        participation=_participation(w, found, groups),
        sections=sections,
        annex_heading=w.t("annex"),
        annex=annex,
        notes=[w.t("reproducible")]
        if min_group is None
        else [w.t("small_groups", min_group=min_group), w.t("reproducible")],
        labels={"quotes": w.t("quotes"), "no_quotes": w.t("no_quotes")},
    )


def memorandum_docx(
    consultation: Consultation, language: str | None = None, min_group: int | None = None
) -> bytes:
    """The memorandum as a Word file (python-docx), the same as :func:`memorandum_data`."""
    return write_docx(memorandum_data(consultation, language, min_group))

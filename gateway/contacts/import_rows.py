"""Reading and checking a CSV file of contacts, every row, before anything is imported.

The file has a header row naming its columns (any order, any case; only ``phone`` is required):

- ``phone``: the number in any common Kenyan form (``0712345678``, ``+254712345678``).
- ``language``: ``en``, ``sw`` or ``kam``, or the language's name as people write it in any
  of them (``Kiswahili``, ``Swahili``, ``Kikamba``, ``English``).
- ``county`` and ``ward``: as in ``flows/areas.yaml``, whatever the case, spaces, hyphens and
  apostrophes (``Taita-Taveta``, ``taita taveta``); a ward must be one of its county's, or the
  one the contact has already, listed or not: an exported file imports back.
- ``tags``: labels separated by ``;`` (``youth;farmers``); added to the contact's tags.
- ``consent``: the version of the consent wording the person agreed to, one the gateway knows
  (:mod:`gateway.contacts.wordings`: ``consent.v1``, ``sms.join``); left empty, no consent is
  recorded. Anything else (``yes``, ``no``, ``1``) is a bad row: an answer is never taken for
  consent. Consent is recorded with the channel ``import``.

Areas may add optional columns of their own (:func:`register_import_column`; a community
platform's ``platform`` code): a value none of theirs is a bad row.

The export's own columns (``created_at``, ``consent_at``, ...) are passed over, except that a
row whose ``opted_out_at`` is filled records no consent: there its consent is history.

A cell may start with an apostrophe (as the export writes ``'+254712345678`` so that Excel
keeps it as text): it is dropped.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from gateway.areas import County, areas
from gateway.contacts.models import Contact
from gateway.contacts.wordings import accepted_wordings, known_wording
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.phones import InvalidPhone, mask_phone, normalise_phone
from gateway.users.access import Principal

COLUMNS = ("phone", "language", "county", "ward", "tags", "consent")
# Columns the export adds, which an import of an exported file passes over.
EXPORT_ONLY = ("created_at", "consent_at", "consent_channel", "opted_out_at")
MAX_ROWS = 50_000
TAG_LENGTH = 40


@dataclass(frozen=True)
class ImportColumn:
    """An area's optional column: the values it knows (read once per file, compared as
    :func:`name_key` compares names), the reason a value it does not know is reported with
    (``admin.contacts.why.<reason>``), and what a known value does to the row's contact (after
    the contact is written, inside the batch's transaction)."""

    known: Callable[[], Collection[str]]
    reason: str
    apply: Callable[[Contact, str], None]


IMPORT_COLUMNS: dict[str, ImportColumn] = {}


def register_import_column(name: str, column: ImportColumn) -> None:
    """Add (or, the same again, keep) an area's optional column ``name``."""
    IMPORT_COLUMNS[name] = column


@dataclass
class Row:
    """One good row, ready to write."""

    number: int  # the line's row number in the file, the header being row 1
    phone: str
    language: str | None = None
    county: str | None = None
    ward: str | None = None
    tags: list[str] = field(default_factory=list)
    consent: str | None = None
    opted_out: bool = False  # the file says so (an export's opted_out_at): its consent is history
    extra: dict[str, str] = field(default_factory=dict)  # the areas' columns, values as known


def problem(number: int, column: str, value: str, reason: str) -> dict[str, Any]:
    """A line of the error report; ``reason`` names the text ``admin.contacts.why.<reason>``."""
    return {"row": number, "column": column, "value": value[:80], "reason": reason}


def parse_tags(text: str) -> list[str]:
    """``"youth; Farmers"`` as ``["youth", "farmers"]``: separated by ``;`` or ``,``,
    lower case, each once."""
    seen: list[str] = []
    for part in text.replace(",", ";").split(";"):
        tag = part.strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def name_key(text: str) -> str:
    """A name as people write it, reduced to what tells it apart: ``Taita-Taveta``,
    ``taita taveta`` and ``TAITA TAVETA`` are one county, ``Murang'a`` and ``Muranga`` one."""
    plain = unicodedata.normalize("NFKD", text)
    return re.sub(
        r"[^a-z0-9]", "", "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    )


def language_names() -> dict[str, str]:
    """Every way of naming a language the file may use (its code, its name in each language),
    as :func:`name_key` gives it, to its code."""
    loaded = catalogs()
    codes = [lang.code for lang in loaded.languages()]
    names = {name_key(code): code for code in codes}
    for code in codes:
        for written_in in codes:
            names.setdefault(name_key(loaded.language_name(code, written_in)), code)
    return names


def _unquoted(cell: str) -> str:
    """A cell without the apostrophe that keeps Excel from reading it as a formula or number
    (an export's ``'+254712345678``, or one typed by hand)."""
    text = cell.strip()
    return text[1:].strip() if text.startswith("'") else text


@dataclass
class _Checker:
    """What every row is checked against, and what the rows so far have found."""

    who: Principal | None
    languages: dict[str, str]  # name_key of a code or name: the code
    counties: dict[str, County]
    rows: list[Row] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    first_row: dict[str, int] = field(default_factory=dict)
    # Rows whose ward is not on the list: good only if it is their contact's ward already.
    unlisted: list[tuple[int, str, str, str]] = field(default_factory=list)
    # The areas' columns: each one's known values by name_key.
    extra_known: dict[str, dict[str, str]] = field(default_factory=dict)

    def row(self, number: int, values: dict[str, str]) -> None:
        """Check one row: a good one joins ``rows``, a bad one's problems join ``problems``."""
        bad = len(self.problems)
        phone = self._phone(number, values["phone"])
        written = values.get("language", "")
        language = self.languages.get(name_key(written)) if written else None
        if written and language is None:
            self.problems.append(problem(number, "language", written, "language"))
        county = self._county(number, values.get("county", ""))
        ward = self._ward(number, phone, county, values.get("county", ""), values.get("ward", ""))
        tags = parse_tags(values.get("tags", ""))
        long_tag = next((tag for tag in tags if len(tag) > TAG_LENGTH), None)
        if long_tag is not None:
            self.problems.append(problem(number, "tags", long_tag, "tag_length"))
        consent_text = values.get("consent", "")
        consent = known_wording(consent_text) if consent_text else None
        if consent_text and consent is None:
            line = problem(number, "consent", consent_text, "consent")
            self.problems.append({**line, "accepted": accepted_wordings()})
        opted_out = bool(values.get("opted_out_at"))
        extra = self._extra(number, values)
        if len(self.problems) == bad:
            self.rows.append(
                Row(number, phone, language, county, ward, tags, consent, opted_out, extra)
            )

    def _extra(self, number: int, values: dict[str, str]) -> dict[str, str]:
        found = {}
        for name, column in IMPORT_COLUMNS.items():
            written = values.get(name, "")
            if not written:
                continue
            if name not in self.extra_known:
                self.extra_known[name] = {name_key(v): v for v in column.known()}
            value = self.extra_known[name].get(name_key(written))
            if value is None:
                self.problems.append(problem(number, name, written, column.reason))
            else:
                found[name] = value
        return found

    def _phone(self, number: int, raw: str) -> str:
        try:
            phone = normalise_phone(raw)
        except InvalidPhone:
            self.problems.append(problem(number, "phone", raw, "phone"))
            return ""
        if phone in self.first_row:
            line = problem(number, "phone", mask_phone(phone), "duplicate")
            self.problems.append({**line, "first": self.first_row[phone]})
        else:
            self.first_row[phone] = number
        return phone

    def _county(self, number: int, text: str) -> str | None:
        county = next((c for c in self.counties if name_key(c) == name_key(text)), None)
        visible = self.who.visible_counties() if self.who is not None else None
        if text and county is None:
            self.problems.append(problem(number, "county", text, "county"))
        elif county is not None and visible is not None and county not in visible:
            self.problems.append(problem(number, "county", text, "not_your_county"))
        elif county is None and visible is not None:
            self.problems.append(problem(number, "county", "", "county_needed"))
        return county

    def _ward(
        self, number: int, phone: str, county: str | None, county_text: str, text: str
    ) -> str | None:
        if not text:
            return None
        if county is None:
            if county_text == "":
                self.problems.append(problem(number, "ward", text, "ward_without_county"))
            return None
        wards = self.counties[county].wards
        ward = next((w for w in wards if name_key(w) == name_key(text)), None)
        if ward is None:
            self.unlisted.append((number, phone, county, text))
        return ward or text

    def settle_unlisted(self) -> None:
        """A ward not on the list is good in the row of a contact who has it already, in the
        same county (as an export writes it); any other is a bad row."""
        phones = {phone for _, phone, _, _ in self.unlisted if phone}
        held = {
            phone: (county, ward)
            for phone, county, ward in db.session.execute(
                select(Contact.phone, Contact.county, Contact.ward).where(Contact.phone.in_(phones))
            )
        }
        bad: set[int] = set()
        for number, phone, county, text in self.unlisted:
            had_county, had_ward = held.get(phone, (None, None))
            if had_county == county and had_ward is not None and had_ward.lower() == text.lower():
                for row in self.rows:
                    if row.number == number:
                        row.ward = had_ward  # as the contact has it
            else:
                self.problems.append(problem(number, "ward", text, "ward"))
                bad.add(number)
        self.rows = [row for row in self.rows if row.number not in bad]
        self.problems.sort(key=lambda line: int(line["row"]))


def check(content: str, who: Principal | None) -> tuple[list[Row], list[dict[str, Any]]]:
    """Every row of the file checked: the good rows and the report of bad ones."""
    text = content.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error):
        return [], [problem(1, "phone", "", "no_header")]
    if "phone" not in header:
        return [], [problem(1, "phone", ",".join(header), "no_header")]
    unknown = [name for name in header if name not in (*COLUMNS, *EXPORT_ONLY, *IMPORT_COLUMNS)]
    if unknown:
        return [], [problem(1, unknown[0], unknown[0], "unknown_column")]
    try:
        lines = list(reader)
    except csv.Error:
        return [], [problem(1, "phone", "", "not_csv")]
    if len(lines) > MAX_ROWS:
        return [], [problem(MAX_ROWS + 2, "phone", "", "too_many")]
    checker = _Checker(who, language_names(), areas())
    for number, cells in enumerate(lines, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        checker.row(
            number,
            {name: _unquoted(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)},
        )
    if checker.unlisted:
        checker.settle_unlisted()
    if not checker.rows and not checker.problems:
        checker.problems.append(problem(2, "phone", "", "empty"))
    return checker.rows, checker.problems


def check_row(
    values: dict[str, str], who: Principal | None
) -> tuple[Row | None, list[dict[str, Any]]]:
    """One contact typed into a form, checked as a file's row is (the same names accepted,
    the same rules): the good row or the problems (each with ``row`` 1)."""
    checker = _Checker(who, language_names(), areas())
    checker.row(1, {name: values.get(name, "").strip() for name in COLUMNS})
    if checker.unlisted:
        checker.settle_unlisted()
    return (checker.rows[0] if checker.rows else None), checker.problems

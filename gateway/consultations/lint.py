"""The clause lint: a clause's summary, in every language given, must reach a basic phone whole.

By SMS (``MAONI`` sends the clause) it fits at most two segments, as every SMS text of the
catalogs does (:data:`gateway.messages_lint.SMS_SEGMENT_LIMIT`). On USSD it is shown paged (a
long text split at spaces over screens with "98 More", as :mod:`gateway.ussd.screens` does),
each page beside the clause's heading, the three answers and the navigation; it must take at
most :data:`USSD_MAX_PAGES` pages, and no word may be longer than a page (it would be cut).
Characters that transliteration to GSM-7 cannot save are refused too.

The admin form shows each problem beside its field; ``flask messages lint`` runs
:func:`lint_consultations` over every consultation kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import inspect, select

from gateway.consultations.models import Consultation
from gateway.encoding import analyse, is_gsm7, transliterate
from gateway.extensions import db
from gateway.i18n import Catalogs, MissingText
from gateway.messages_lint import SMS_SEGMENT_LIMIT, Problem
from gateway.ussd.screens import SCREEN_LIMIT

USSD_MAX_PAGES = 5  # screens of "98 More": a two-SMS summary takes four or five
# The three answers under each page of the summary, as long as the longest language's.
ANSWER_LINES = ("1. Ninakubali", "2. Sikubaliani", "3. Sina uhakika")


@dataclass(frozen=True)
class SummaryProblem:
    """One reason a summary does not fit: an ``admin`` text key and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)

    def text(self, catalogs: Catalogs, language: str) -> str:
        return catalogs.text(self.key, language, **self.values)


def _nav(catalogs: Catalogs, language: str) -> list[str]:
    lines = []
    for number, key in (("98", "nav.more"), ("0", "nav.back")):
        try:
            lines.append(f"{number}. {catalogs.text(key, language)}")
        except MissingText:
            lines.append(f"{number}. {'x' * 10}")
    return lines


def page_room(reference: str, number: int, catalogs: Catalogs, language: str) -> int:
    """The characters of summary a USSD screen has room for beside what surrounds it."""
    fixed = [f"{number}. {reference}", *ANSWER_LINES, *_nav(catalogs, language)]
    return SCREEN_LIMIT - len(transliterate("\n".join(fixed))) - 1


def ussd_pages(text: str, room: int) -> int:
    """How many screens ``text`` takes split at spaces into pieces of at most ``room``."""
    pages, current = 0, 0
    for word in text.split():
        if current and current + 1 + len(word) <= room:
            current += 1 + len(word)
        else:
            pages += 1
            current = len(word)
    return max(pages, 1)


def summary_problems(
    summary: str, reference: str, number: int, catalogs: Catalogs, language: str
) -> list[SummaryProblem]:
    """Why ``summary`` (of clause ``number``, ``reference``, in ``language``) would not reach
    a basic phone whole; empty if it does."""
    problems: list[SummaryProblem] = []
    sent = transliterate(summary)
    if sent.count("?") > summary.count("?") or not is_gsm7(sent):
        lost = "".join(dict.fromkeys(c for c in summary if c != "?" and transliterate(c) == "?"))
        problems.append(SummaryProblem("admin.consultations.lint.characters", {"chars": lost}))
    segments = analyse(sent).segments
    if segments > SMS_SEGMENT_LIMIT:
        problems.append(
            SummaryProblem(
                "admin.consultations.lint.sms",
                {"segments": segments, "limit": SMS_SEGMENT_LIMIT, "length": len(sent)},
            )
        )
    room = page_room(reference, number, catalogs, language)
    long_words = [word for word in sent.split() if len(word) > room]
    if long_words:
        problems.append(
            SummaryProblem("admin.consultations.lint.ussd_word", {"word": long_words[0][:40]})
        )
    pages = ussd_pages(sent, room)
    if pages > USSD_MAX_PAGES:
        problems.append(
            SummaryProblem(
                "admin.consultations.lint.ussd_pages", {"pages": pages, "limit": USSD_MAX_PAGES}
            )
        )
    return problems


def lint_consultations(catalogs: Catalogs) -> list[Problem]:
    """Every clause summary of every consultation kept, a check of ``flask messages lint``
    (reported in English, the CLI's language)."""
    if not inspect(db.engine).has_table(Consultation.__tablename__):
        return []  # a database not yet migrated holds no consultation
    problems = []
    for consultation in db.session.scalars(select(Consultation).order_by(Consultation.id)):
        for clause in consultation.clauses:
            for language, summary in sorted(clause.summary.items()):
                where = f"consultation {consultation.keyword} clause {clause.number}"
                for problem in summary_problems(
                    summary, clause.reference, clause.number, catalogs, language
                ):
                    problems.append(Problem(language, where, problem.text(catalogs, "en")))
    return problems

"""Coding comments by theme, and how well two coders agree (Cohen's kappa per theme).

A coder's coding of a comment is one :class:`Coding` row plus the themes they ticked
(:class:`CommentTheme`); coding the comment again replaces that coder's themes and leaves the
other coders' alone. Agreement is measured per theme over the comments both coders coded: a
theme ticked is a "yes", left off a "no". When neither coder varies (both said "no" to every
comment, say) chance agreement is total and kappa is undefined: it is reported as such, not
as a number nor as a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import delete, func, select

from gateway.consultations.models import Coding, Comment, CommentTheme, Theme
from gateway.extensions import db, utcnow

NO_COMMENTS, NO_VARIATION = "no_comments", "no_variation"


class UnknownTheme(ValueError):
    """A theme that is not in the comment's consultation's codebook."""


@dataclass(frozen=True)
class Kappa:
    """Agreement of two coders on one yes/no question over ``comments`` comments."""

    comments: int
    both: int  # both said yes
    first_only: int
    second_only: int
    neither: int
    value: float | None  # None: undefined (see ``undefined``)
    undefined: str | None = None  # NO_COMMENTS, NO_VARIATION

    @property
    def observed(self) -> float | None:
        """The share of comments both coders treated alike."""
        return None if not self.comments else (self.both + self.neither) / self.comments


def cohen_kappa(pairs: Iterable[tuple[bool, bool]]) -> Kappa:
    """Cohen's kappa of two raters' yes/no answers, one pair per item: (po - pe) / (1 - pe),
    po the observed agreement, pe the agreement expected from each rater's own rate of yes."""
    both = first_only = second_only = neither = 0
    for first, second in pairs:
        if first and second:
            both += 1
        elif first:
            first_only += 1
        elif second:
            second_only += 1
        else:
            neither += 1
    n = both + first_only + second_only + neither
    counts = (n, both, first_only, second_only, neither)
    if n == 0:
        return Kappa(*counts, value=None, undefined=NO_COMMENTS)
    observed = Fraction(both + neither, n)
    first_yes, second_yes = both + first_only, both + second_only
    expected = Fraction(first_yes * second_yes + (n - first_yes) * (n - second_yes), n * n)
    if expected == 1:
        return Kappa(*counts, value=None, undefined=NO_VARIATION)
    return Kappa(*counts, value=float((observed - expected) / (1 - expected)))


@dataclass(frozen=True)
class ThemeAgreement:
    theme: Theme
    kappa: Kappa


def code_comment(comment: Comment, coder_id: int, theme_ids: Iterable[int]) -> list[int]:
    """Record ``coder_id``'s themes for ``comment`` (none is a coding too: "no theme"),
    replacing that coder's earlier ones; the sorted theme ids kept. Not committed.

    Raises:
        UnknownTheme: a theme id that is not in the comment's consultation's codebook.
    """
    wanted = sorted(set(theme_ids))
    known = set(
        db.session.scalars(
            select(Theme.id).where(
                Theme.consultation_id == comment.consultation_id, Theme.id.in_(wanted)
            )
        )
    )
    if known != set(wanted):
        raise UnknownTheme(sorted(set(wanted) - known))
    coding = db.session.scalar(
        select(Coding).where(Coding.comment_id == comment.id, Coding.coder_id == coder_id)
    )
    if coding is None:
        db.session.add(Coding(comment_id=comment.id, coder_id=coder_id))
    else:
        coding.coded_at = utcnow()
    db.session.execute(
        delete(CommentTheme).where(
            CommentTheme.comment_id == comment.id, CommentTheme.coder_id == coder_id
        )
    )
    db.session.add_all(
        CommentTheme(comment_id=comment.id, theme_id=theme, coder_id=coder_id) for theme in wanted
    )
    return wanted


def themes_of(comment_ids: Sequence[int], coder_id: int) -> dict[int, set[int]]:
    """The themes ``coder_id`` gave each of ``comment_ids`` (only the comments they coded)."""
    found: dict[int, set[int]] = {
        comment: set()
        for comment in db.session.scalars(
            select(Coding.comment_id).where(
                Coding.coder_id == coder_id, Coding.comment_id.in_(comment_ids)
            )
        )
    }
    for comment, theme in db.session.execute(
        select(CommentTheme.comment_id, CommentTheme.theme_id).where(
            CommentTheme.coder_id == coder_id, CommentTheme.comment_id.in_(comment_ids)
        )
    ):
        found.setdefault(comment, set()).add(theme)
    return found


def coders_of(consultation_id: int) -> list[int]:
    """The users who coded at least one of the consultation's comments."""
    return list(
        db.session.scalars(
            select(Coding.coder_id)
            .join(Comment, Comment.id == Coding.comment_id)
            .where(Comment.consultation_id == consultation_id)
            .group_by(Coding.coder_id)
            .order_by(Coding.coder_id)
        )
    )


def coded_by_both(consultation_id: int, first: int, second: int) -> list[int]:
    """The consultation's comments both coders coded."""
    return list(
        db.session.scalars(
            select(Coding.comment_id)
            .join(Comment, Comment.id == Coding.comment_id)
            .where(
                Comment.consultation_id == consultation_id,
                Coding.coder_id.in_((first, second)),
            )
            .group_by(Coding.comment_id)
            .having(func.count(func.distinct(Coding.coder_id)) == 2)
            .order_by(Coding.comment_id)
        )
    )


def agreement(consultation_id: int, first: int, second: int) -> list[ThemeAgreement]:
    """Cohen's kappa of two coders for each theme of the codebook, over the comments both
    coded."""
    comments = coded_by_both(consultation_id, first, second)
    given = {coder: themes_of(comments, coder) for coder in (first, second)}
    themes = db.session.scalars(
        select(Theme).where(Theme.consultation_id == consultation_id).order_by(Theme.name)
    )
    return [
        ThemeAgreement(
            theme,
            cohen_kappa(
                (theme.id in given[first][c], theme.id in given[second][c]) for c in comments
            ),
        )
        for theme in themes
    ]

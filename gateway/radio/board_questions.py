"""Callers' recorded questions on a show's live board (:mod:`gateway.radio.board`).

An episode has few questions, so each stream answer reads them all: the new ones (after the
last the board has seen) go out as they are, and when anything about those seen before changed
(their audio fetched, played on air, hidden: a digest of them differs from the board's) those
go out again, for the board to redraw. A board opened with the studio link gets only a hidden
question's id, to take it off the screen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.numbers import whole_number
from gateway.radio.questions import episode_questions

MARKS = ("id", "audio", "audio_url", "hidden", "played_on_air_at")  # what a digest covers


@dataclass(frozen=True)
class QuestionsSeen:
    """The last question a board has seen, and a digest of those it has seen."""

    last: int = 0
    digest: str = ""

    @classmethod
    def parse(cls, parts: Sequence[str]) -> QuestionsSeen | None:
        """From the cursor's last two parts (none: a board that has seen no question); None
        if they are not a cursor's."""
        if not parts:
            return cls()
        last = whole_number(parts[0])
        return cls(last, parts[1][:16]) if last is not None and len(parts) == 2 else None

    def __str__(self) -> str:
        return f"{self.last}.{self.digest}"


def _digest(questions: list[dict[str, Any]]) -> str:
    if not questions:
        return ""
    marks = [[q[name] for name in MARKS] for q in questions]
    return hashlib.sha256(json.dumps(marks).encode()).hexdigest()[:16]


def question_updates(
    show_id: int, episode: str | None, seen: QuestionsSeen, *, include_hidden: bool
) -> tuple[list[dict[str, Any]], QuestionsSeen]:
    """The questions a board at ``seen`` is to draw (oldest first), and what it has seen after."""
    if episode is None:
        return [], seen
    questions = episode_questions(show_id, episode)
    before = [q for q in questions if q["id"] <= seen.last]
    new = [q for q in questions if q["id"] > seen.last]
    out = before if _digest(before) != seen.digest else []
    out += [q for q in new if include_hidden or not q["hidden"]]
    if not include_hidden:
        out = [{"id": q["id"], "hidden": True} if q["hidden"] else q for q in out]
    last = questions[-1]["id"] if questions else seen.last
    return out, QuestionsSeen(last, _digest(questions))

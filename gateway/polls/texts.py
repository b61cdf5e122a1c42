"""What a poll says by SMS, in a language: its question with numbered options, and its results.

The secretariat writes the question and option labels per language (``pick`` falls back along
the language's chain); the words around them are catalog texts (``sms.poll.*``).
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.i18n import catalogs
from gateway.localized import pick, when
from gateway.polls.models import Poll, PollOption
from gateway.sms.texts import fits, say
from gateway.tallies import whole_percents


def question(poll: Poll, language: str) -> str:
    return pick(poll.question, catalogs().chain(language))


def label(option: PollOption, language: str) -> str:
    return pick(option.label, catalogs().chain(language))


def options_list(poll: Poll, language: str, separator: str = "\n") -> str:
    """``1 Yes`` / ``2 No`` / ``3 Not sure``: what a voter texts, beside what it means."""
    return separator.join(f"{o.position} {label(o, language)}" for o in poll.options)


def question_sms(poll: Poll, language: str) -> str:
    """The poll's question with its numbered options and how to answer."""
    return say(
        "sms.poll.question",
        language,
        question=question(poll, language),
        options=options_list(poll, language),
        keyword=poll.keyword,
    )


def invalid_sms(poll: Poll, language: str) -> str:
    """The answer to a vote that names no option of the poll."""
    return say(
        "sms.poll.invalid",
        language,
        keyword=poll.keyword,
        options=options_list(poll, language, separator=", "),
    )


def opening_sms(poll: Poll, language: str) -> str:
    key = "sms.poll.not_open"
    return say(key, language, keyword=poll.keyword, when=when(poll.opens_at, key, language))


def results_sms(poll: Poll, counts: Mapping[int, int], language: str) -> str:
    """``Results of <question>: Yes 62%, No 30%, Not sure 8%. Thank you for voting.``, with
    whole percentages that add up to 100; a question too long for 2 SMS is shortened."""
    options = list(poll.options)
    percents = whole_percents([counts.get(o.id, 0) for o in options])
    results = ", ".join(
        f"{label(o, language)} {p}%" for o, p in zip(options, percents, strict=True)
    )
    full = question(poll, language)
    cut = len(full)
    while True:
        asked = full if cut >= len(full) else full[:cut].rstrip() + "..."
        text = say("sms.poll.results", language, question=asked, results=results)
        if fits(text) or cut <= 20:
            return text
        cut -= 10

"""Phone numbers: one stored form (E.164) and never a whole number in a log line.

People type Kenyan numbers as ``0712345678``, ``712345678``, ``254712345678`` or
``+254 712 345 678``; :func:`normalise_phone` turns each into ``+254712345678`` using the
``phonenumbers`` library, so what counts as valid follows its metadata rather than a regex of ours.
:func:`install_log_masking` keeps the numbers that end up in log messages from being written whole.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

import phonenumbers

_MAX_INPUT_LENGTH = 32
_MASK = "\N{BULLET}"

# Besides digits and white space, the punctuation people put in a number they type. Letters are
# refused: phonenumbers would read "0712-CALL-ME" as a vanity number or "x12" as an extension.
_ALLOWED_PUNCTUATION = frozenset("+-().")

# Only for finding phone-like runs inside free log text, never for parsing: an optional "+" and
# 9 to 15 digits, single spaces allowed between digits, not part of a longer run of digits.
PHONE_PATTERN: re.Pattern[str] = re.compile(r"(?<![\d+])\+?\d(?: ?\d){8,14}(?!\d)")

# Runs that may be a number typed with the punctuation the API accepts (``0712-345-678``,
# ``(0712) 345.678``, ``+254 (712) 345 678``): only candidates; phonenumbers decides, so a
# date (``2026-11-29 10``) or an address stays as it is.
_PUNCTUATED_CANDIDATE = re.compile(r"(?<!\d)[(+]{0,2}\d(?:[\s\-.()]{0,4}\d){8,16}\)?")

# Characters that would end or rewrite a log line: C0 and C1 controls and Unicode line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class InvalidPhone(ValueError):
    """The text given is not a phone number we can send to; the message says what was wrong."""


def normalise_phone(raw: str, region: str = "KE") -> str:
    """Return ``raw`` as an E.164 number such as ``+254712345678``.

    Accepts a number with or without its country code (``0712345678``, ``712345678``,
    ``254712345678``, ``+254 712 345 678``), surrounding white space, and a leading ``%2B`` left by
    a caller that did not URL-decode. An E.164 number is returned unchanged.

    Args:
        raw: The number as typed or received.
        region: ISO 3166 region assumed for a number given without its country code.

    Returns:
        The number in E.164 form.

    Raises:
        InvalidPhone: When ``raw`` is longer than 32 characters (checked before parsing), holds
            letters or other characters no phone number has, cannot be parsed, has an extension,
            or is a number that ``phonenumbers`` does not consider valid.
    """
    text = raw.strip()
    if len(text) > _MAX_INPUT_LENGTH:
        raise InvalidPhone(f"{_shown(text)} is too long to be a phone number")
    if text[:3].upper() == "%2B":
        text = "+" + text[3:]
    if not text or not all(_may_appear_in_number(char) for char in text):
        raise InvalidPhone(f"{_shown(text)} is not a phone number")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{_shown(text)} is not a phone number") from exc
    if number.extension:
        raise InvalidPhone(f"{_shown(text)} has an extension, which an SMS cannot reach")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{_shown(text)} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(phone: str) -> str | None:
    """The ISO 3166 region of an E.164 number (``+447911123456`` → ``GB``), None if unknown."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(number)


def _may_appear_in_number(char: str) -> bool:
    return char.isdecimal() or char.isspace() or char in _ALLOWED_PUNCTUATION


def _shown(text: str) -> str:
    """Quote ``text`` for an error message, cut short so a huge input is not echoed whole."""
    if len(text) > _MAX_INPUT_LENGTH:
        return repr(text[:_MAX_INPUT_LENGTH] + "…")
    return repr(text)


def mask_phone(phone: str) -> str:
    """Hide the middle of a phone number: ``+254712345678`` becomes ``+2547••••••78``.

    The first five characters (for E.164, the country code and the first digit) and the last two
    are kept; every digit between them becomes one ``•``, so the length is kept. At most seven
    digits are ever shown.

    Args:
        phone: A phone number, normally in E.164 form.

    Returns:
        The masked number, or ``•••`` when ``phone`` is shorter than 8 characters.
    """
    if len(phone) < 8:
        return _MASK * 3
    middle = "".join(_MASK if char.isdigit() else char for char in phone[5:-2])
    return phone[:5] + middle + phone[-2:]


def mask_phones_in(text: str) -> str:
    """Return ``text`` with every phone-like run (see :data:`PHONE_PATTERN`) masked, and every
    number written with dashes, dots, parentheses or other spacing that phonenumbers reads as a
    valid number (or that :func:`normalise_phone` accepts whole)."""
    text = PHONE_PATTERN.sub(lambda match: mask_phone(match.group()), text)
    return _PUNCTUATED_CANDIDATE.sub(_mask_punctuated, text)


def _mask_punctuated(candidate: re.Match[str]) -> str:
    raw = candidate.group()
    try:
        normalise_phone(raw)
    except InvalidPhone:
        pass
    else:
        return mask_phone(raw)
    # Tabs or line breaks inside stop the matcher; spaces of the same length keep the offsets.
    spaced = "".join(" " if char.isspace() else char for char in raw)
    found = phonenumbers.PhoneNumberMatcher(spaced, "KE", leniency=phonenumbers.Leniency.VALID)
    masked, end = [], 0
    for match in found:
        masked += [raw[end : match.start], mask_phone(raw[match.start : match.end])]
        end = match.end
    return "".join(masked) + raw[end:]


def escape_controls(text: str) -> str:
    """Return ``text`` with control characters and line breaks written as escapes (``\\n``,
    ``\\x1b``, ``\\u2028``), so text from outside (a URL's ``%0A``) cannot start a log line."""
    return _CONTROL.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


class PhoneMaskingFilter(logging.Filter):
    """Masks phone numbers in a log record's message and string arguments, and escapes control
    characters in the message they make (one record, one line); drops no record.

    Only ``str`` arguments are masked: a number passed as an ``int`` would break a ``%d``
    placeholder if it became text, so pass numbers as strings. The message is then formatted
    once, here, and kept with no arguments; one that cannot be formatted keeps its arguments.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record.msg`` and ``record.args`` in place, then let the record through."""
        record.msg = mask_phones_in(record.msg if isinstance(record.msg, str) else str(record.msg))
        if isinstance(record.args, Mapping):
            if not isinstance(record.args, _MaskedMapping):
                record.args = _MaskedMapping(record.args)
        elif record.args:
            record.args = tuple(_masked_arg(value) for value in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # Logging reports the bad format itself when a handler formats the record.
            record.msg = escape_controls(record.msg)
            return True
        record.msg, record.args = escape_controls(message), None
        return True


def _masked_arg(value: object) -> object:
    return mask_phones_in(value) if isinstance(value, str) else value


class _MaskedMapping(Mapping[str, object]):
    """A mapping argument whose text values are masked as they are read.

    Only the values the format names are read, so only those are masked: gunicorn's access
    log passes some fifty (every header and environ entry) and names six. The mapping itself is
    kept, so its own lookup rules (gunicorn's ``-`` for a missing atom) still apply.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: Mapping[str, object]) -> None:
        self._inner = inner

    def __getitem__(self, key: str) -> object:
        return _masked_arg(self._inner[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._inner)

    def __len__(self) -> int:
        return len(self._inner)

    # A mapping can also be the one value of a ``%s`` (``log.info("done: %s", counts)``).
    def __str__(self) -> str:
        return mask_phones_in(str(self._inner))

    def __repr__(self) -> str:
        return mask_phones_in(repr(self._inner))


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Add a :class:`PhoneMaskingFilter` to every handler of ``logger`` (the root by default).

    Safe to call more than once: a handler that already has the filter does not get a second.
    Handlers added to the logger afterwards are not covered; call it again after adding them.

    Args:
        logger: The logger whose handlers should mask numbers; the root logger when None.
    """
    target = logger if logger is not None else logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(existing, PhoneMaskingFilter) for existing in handler.filters):
            handler.addFilter(PhoneMaskingFilter())


_MASKING_FACTORY_INSTALLED = False


def mask_all_log_records() -> None:
    """Mask phone numbers in every log record this process makes, tracebacks included.

    Unlike :func:`install_log_masking`, this does not depend on which handlers exist: it wraps
    the log record factory, so records of loggers set up later (gunicorn's access and error
    logs, RQ's) are masked too. Safe to call more than once.
    """
    global _MASKING_FACTORY_INSTALLED
    if _MASKING_FACTORY_INSTALLED:
        return
    make_record = logging.getLogRecordFactory()
    masking = PhoneMaskingFilter()
    formatter = logging.Formatter()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        masking.filter(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_phones_in(formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = mask_phones_in(record.stack_info)
        return record

    logging.setLogRecordFactory(masked_record)
    _MASKING_FACTORY_INSTALLED = True

"""Phone number normalisation to E.164, masking, and masking in log output."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.phones import (
    PHONE_PATTERN,
    InvalidPhone,
    PhoneMaskingFilter,
    install_log_masking,
    mask_phone,
    normalise_phone,
)

# Allocated Kenyan mobile prefixes (Safaricom, Airtel, Telkom, Equitel), as in the reference notes.
MOBILE_PREFIXES = [
    *(f"{p}" for p in range(700, 730)),
    *(f"{p}" for p in range(740, 750)),
    *(f"{p}" for p in range(790, 800)),
    "757", "758", "759", "768", "769",
    *(f"{p}" for p in range(110, 116)),
    *(f"{p}" for p in range(730, 740)),
    *(f"{p}" for p in range(780, 790)),
    *(f"{p}" for p in range(750, 757)),
    "762",
    *(f"{p}" for p in range(100, 107)),
    *(f"{p}" for p in range(770, 780)),
    "763", "764", "765", "766",
]  # fmt: skip

kenyan_mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(MOBILE_PREFIXES),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
)


def spaced(nine: str) -> str:
    return f"{nine[:3]} {nine[3:6]} {nine[6:]}"


@given(kenyan_mobiles, st.sampled_from(["", " ", "  \t", "\n"]))
def test_every_kenyan_form_gives_the_same_e164(nine: str, padding: str) -> None:
    """A Kenyan mobile typed in any usual way is stored as +254 and nine digits."""
    forms = [
        "0" + nine,
        nine,
        "254" + nine,
        "+254" + nine,
        "+254 " + spaced(nine),
        "0" + spaced(nine),
        "%2B254" + nine,
    ]
    for form in forms:
        assert normalise_phone(padding + form + padding) == "+254" + nine, form


@given(kenyan_mobiles)
def test_normalising_is_idempotent(nine: str) -> None:
    """Normalising a stored number gives the same number back."""
    once = normalise_phone("0" + nine)
    assert normalise_phone(once) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0712345678", "+254712345678"),
        ("0110123456", "+254110123456"),
        ("712345678", "+254712345678"),
        ("254712345678", "+254712345678"),
        ("+254 712 345 678", "+254712345678"),
        ("  +254712345678\n", "+254712345678"),
        ("(0712) 345-678", "+254712345678"),
        ("+255 754 123 456", "+255754123456"),
    ],
)
def test_documented_forms(raw: str, expected: str) -> None:
    """The forms people type, and a number with another country code, are accepted."""
    assert normalise_phone(raw) == expected


def test_region_applies_to_numbers_without_country_code() -> None:
    """A national number is read in the region given."""
    assert normalise_phone("0754123456", region="TZ") == "+255754123456"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "+",
        "12ab",
        "0712",
        "07123",
        "071234567890123",
        "0" * 40,
        "0712345678" * 4,
        "0712-CALL-ME",
        "0712345678 ext 12",
        "tel:+254712345678",
        "0712345678'; DROP TABLE contacts;--",
        "' OR '1'='1",
        "0712345678\x00",
        "00254712345678",
    ],
)
def test_junk_is_refused(raw: str) -> None:
    """Letters, fragments, too short or too long input raise InvalidPhone."""
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_error_says_what_was_wrong() -> None:
    """The error message quotes the input and names the problem."""
    with pytest.raises(InvalidPhone, match=r"^'12ab' is not a phone number$"):
        normalise_phone("12ab")
    with pytest.raises(InvalidPhone, match="too long"):
        normalise_phone("1" * 33)
    with pytest.raises(InvalidPhone, match="not a valid phone number"):
        normalise_phone("0712")
    assert issubclass(InvalidPhone, ValueError)


def test_long_input_is_not_echoed_whole() -> None:
    """A huge input is refused without being copied into the message."""
    with pytest.raises(InvalidPhone) as info:
        normalise_phone("9" * 100_000)
    assert len(str(info.value)) < 100


@given(st.text(max_size=40))
def test_anything_gives_e164_or_invalid_phone(raw: str) -> None:
    """Any text either normalises to an E.164 number or raises InvalidPhone, nothing else."""
    try:
        result = normalise_phone(raw)
    except InvalidPhone:
        return
    assert result.startswith("+")
    assert result[1:].isdigit() and result.isascii()
    assert normalise_phone(result) == result


def test_mask_phone_shape() -> None:
    """A stored number keeps its country code, first digit and last two digits."""
    assert mask_phone("+254712345678") == "+2547••••••78"
    assert mask_phone("+254 712 345 678") == "+254 ••• ••• •78"
    assert mask_phone("1234567") == "•••"
    assert mask_phone("") == "•••"


@given(st.text(min_size=8))
def test_masking_reveals_at_most_seven_digits_and_keeps_length(phone: str) -> None:
    """Masking never shows more than seven digits and keeps the length."""
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert sum(char.isdigit() for char in masked) <= 7
    assert masked[:5] == phone[:5] and masked[-2:] == phone[-2:]


@given(st.text(max_size=7))
def test_short_strings_are_fully_masked(phone: str) -> None:
    """Anything shorter than eight characters shows nothing."""
    assert mask_phone(phone) == "•••"


@given(kenyan_mobiles)
def test_pattern_finds_numbers_in_text(nine: str) -> None:
    """Numbers inside free text are found in their usual forms."""
    for form in ["+254" + nine, "0" + nine, "+254 " + spaced(nine)]:
        match = PHONE_PATTERN.search(f"sent to {form}, ok")
        assert match is not None and match.group() == form


@pytest.fixture
def masked_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing to a StringIO through a handler with masking installed."""
    logger = logging.getLogger("tests.phones.masking")
    logger.propagate = False
    logger.disabled = False  # Alembic's fileConfig, run by a test before, disables old loggers
    logger.setLevel(logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    install_log_masking(logger)
    yield logger, stream
    logger.removeHandler(handler)


def test_log_lines_mask_numbers(masked_log: tuple[logging.Logger, io.StringIO]) -> None:
    """Numbers in a log message, its arguments or a mapping argument are written masked."""
    logger, stream = masked_log
    logger.info("SMS to %s failed: %s", "+254712345678", "UserInBlacklist")
    logger.info("callback from +254 722 000 111 with %d hops", 3)
    logger.info("contact %(phone)s opted out", {"phone": "0733123456"})
    logger.info(InvalidPhone("'0110123456' is blocked"))
    logger.info("recovery: %s", {"resent": 2, "to": "+254712345678"})
    output = stream.getvalue()
    assert output.splitlines() == [
        "INFO SMS to +2547••••••78 failed: UserInBlacklist",
        "INFO callback from +254 ••• ••• •11 with 3 hops",
        "INFO contact 07331•••56 opted out",
        "INFO '01101•••56' is blocked",
        "INFO recovery: {'resent': 2, 'to': '+2547••••••78'}",
    ]
    for secret in ["712345678", "722 000", "3123456"]:
        assert secret not in output


def test_log_masking_leaves_other_text_alone(
    masked_log: tuple[logging.Logger, io.StringIO],
) -> None:
    """Short numbers such as counts, codes and dates are not masked."""
    logger, stream = masked_log
    logger.info("session %s: %d hops, code *384*12#, on 2024-05-03", "ATXid_abc", 12345678)
    assert stream.getvalue() == (
        "INFO session ATXid_abc: 12345678 hops, code *384*12#, on 2024-05-03\n"
    )


def test_install_log_masking_is_idempotent() -> None:
    """Installing twice adds the filter to each handler once."""
    logger = logging.getLogger("tests.phones.idempotent")
    first, second = logging.StreamHandler(io.StringIO()), logging.NullHandler()
    logger.addHandler(first)
    logger.addHandler(second)
    try:
        install_log_masking(logger)
        install_log_masking(logger)
        for handler in (first, second):
            filters = [f for f in handler.filters if isinstance(f, PhoneMaskingFilter)]
            assert len(filters) == 1
    finally:
        logger.removeHandler(first)
        logger.removeHandler(second)


def test_install_log_masking_defaults_to_root() -> None:
    """Without a logger, the root logger's handlers are covered."""
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    try:
        install_log_masking()
        logging.getLogger("tests.phones.child").warning("call 0712345678 back")
    finally:
        root.removeHandler(handler)
    assert stream.getvalue() == "call 07123•••78 back\n"


def test_every_log_record_is_masked_tracebacks_too() -> None:
    """Once the gateway starts, no log line (of any logger, exceptions included) shows a whole
    phone number."""
    from gateway.phones import mask_all_log_records

    mask_all_log_records()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test.masking.everywhere")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("sent to %s", "+254712345678")
        try:
            raise ValueError("Invalid phone number: +254712345678")
        except ValueError:
            logger.exception("send failed for 0712345678")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "Invalid phone number" in written and "Traceback" in written
    assert "12345678" not in written.replace("•", "")
    assert "712345678" not in written


ACCEPTED_FORMS = (
    "0712-345-678",
    "0712.345.678",
    "(0712) 345 678",
    "+254-712-345-678",
    "+254 (712) 345.678",
    "254 712 345 678",
    "0712 345678",
)


@pytest.mark.e2e
def test_access_log_lines_cannot_be_forged_nor_show_a_number(
    database: str, redis_url: str, redis, tmp_path
) -> None:
    """An attacker's %0A in a URL cannot add a line to gunicorn's access log, and a number typed
    with dashes, dots or parentheses in an API path is written masked, in every form the API
    accepts."""
    import http.client
    import os
    import sys
    from pathlib import Path

    import requests
    from test_e2e import Processes, free_port, wait_for

    port = free_port()
    access = tmp_path / "access.log"
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "logs",
    }
    processes = Processes(env, tmp_path)
    processes.start(
        "web",
        f"gunicorn wsgi:app --bind 127.0.0.1:{port} --workers 1 --access-logfile {access}",
    )
    try:
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok)
        paths = ["/x%0Afake%20line%0D%0A127.0.0.1%20-%20forged"]
        paths += [f"/api/v1/contacts/{quote(form)}" for form in ACCEPTED_FORMS]
        for path in paths:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)  # sent as is, not re-encoded
            connection.getresponse().read()
            connection.close()
        wait_for(lambda: access.read_text().count("/contacts/") == len(ACCEPTED_FORMS))
    finally:
        processes.stop()
    lines = [line for line in access.read_text().splitlines() if "/healthz" not in line]
    assert len(lines) == len(paths), lines  # one line per request
    assert not any(line.startswith(("fake", "127.0.0.1 - forged")) for line in lines), lines
    assert "fake line" in lines[0] and "forged" in lines[0]
    digits = ["".join(c for c in line if c.isdigit()) for line in lines]
    for line, only_digits in zip(lines, digits, strict=True):
        assert "345678" not in only_digits, line  # the number's middle, in no form


def test_log_lines_escape_controls_and_mask_punctuated_numbers(
    masked_log: tuple[logging.Logger, io.StringIO],
) -> None:
    """A log record is one line whatever its text holds, numbers typed with punctuation are
    masked, and dates and addresses are left as they are."""
    logger, stream = masked_log
    logger.info("path %s", "/x\nINFO forged\r\x1b[2J\u2028")
    logger.info("contact %s at %s from %s", "(0712) 345.678", "2026-11-29 10:04:45", "10.0.0.12")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0] == "INFO path /x\\nINFO forged\\r\\x1b[2J\\u2028"
    assert lines[1] == "INFO contact (0712) •••.•78 at 2026-11-29 10:04:45 from 10.0.0.12"
    assert len(lines) == 2

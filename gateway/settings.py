"""The one place that reads the environment.

Every other module receives a :class:`Settings` (through ``app.config["GATEWAY"]``) and never
looks at ``os.environ`` itself. Unset values fall back to the embedded defaults a newcomer gets:
SQLite in the instance folder, an embedded Redis, and the bundled Africa's Talking emulator.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers

from gateway.numbers import whole_number

EMULATOR_URL = "http://127.0.0.1:8001"
# Words that make an inbox SMS admins-only (English and Kiswahili: threats, violence, abuse).
SENSITIVE_WORDS = (
    "threat,attack,beaten,rape,harass,abuse,kill,gun,tishio,kutishiwa,shambulio,kupigwa,"
    "ubakaji,unyanyasaji,kuua,bunduki"
)


def _str(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value or default


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _str(env, name)
    if raw is None:
        return default
    number = whole_number(raw)
    if number is None:
        raise ValueError(f"{name} must be a whole number, not {raw!r}")
    return number


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _str(env, name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _str(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0, not {raw!r}")


def _networks(name: str, raw: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """``"52.48.80.0/24, 3.8.1.2"`` → those networks; ``""`` → none (every address)."""
    try:
        return tuple(
            ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip()
        )
    except ValueError as exc:
        raise ValueError(
            f"{name} must list addresses or networks (a.b.c.d/nn), not {raw!r}"
        ) from exc


def _regions(name: str, raw: str) -> tuple[str, ...]:
    """``"KE, ug"`` → ("KE", "UG"): ISO 3166 region codes that phonenumbers knows."""
    regions = tuple(part.strip().upper() for part in raw.split(",") if part.strip())
    unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
    if not regions or unknown:
        raise ValueError(f"{name} must list ISO country codes such as KE,UG, not {raw!r}")
    return regions


def _reply_limit(name: str, raw: str) -> tuple[int, int]:
    """``"20/h,50/d"`` → (20 an hour, 50 a day); a part left out or 0 is no cap (``off`` or
    ``0``: none)."""
    limits = {"h": 0, "d": 0}
    if raw.strip().lower() in ("off", "0"):
        return 0, 0
    for part in raw.replace(" ", "").lower().split(","):
        number, _, unit = part.partition("/")
        count = whole_number(number)
        if unit not in limits or count is None:
            raise ValueError(f"{name} must look like 20/h,50/d, not {raw!r}")
        limits[unit] = count
    return limits["h"], limits["d"]


def _quiet_hours(raw: str) -> tuple[time, time]:
    """``"19:00-07:00"`` → (19:00, 07:00); ``"off"`` → no quiet hours (both the same)."""
    if raw.strip().lower() == "off":
        return time(0, 0), time(0, 0)
    try:
        start, end = (time.fromisoformat(part.strip()) for part in raw.split("-"))
    except ValueError as exc:
        raise ValueError(f"GATEWAY_QUIET_HOURS must look like 19:00-07:00, not {raw!r}") from exc
    return start, end


OPTOUT_HINTS = ("fit", "always", "off")


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (_str(env, name, default) or default).lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _bounded(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = _int(env, name, default)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, not {value}")
    return value


_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


def _offsets(name: str, raw: str) -> tuple[timedelta, ...]:
    """``"24h,2h"`` → (24 hours, 2 hours), longest first; ``"off"`` or ``""`` → none."""
    if raw.strip().lower() in ("", "off"):
        return ()
    offsets = set()
    for part in raw.split(","):
        part = part.strip().lower()
        number, unit = part[:-1], _UNITS.get(part[-1:])
        count = whole_number(number, low=1, high=10**6)
        if unit is None or count is None:
            raise ValueError(f"{name} must look like 24h,2h (d, h or m), not {raw!r}")
        offsets.add(count * unit)
    return tuple(sorted(offsets, reverse=True))


def _duration(name: str, raw: str) -> timedelta:
    """``"10m"`` → 10 minutes (d, h or m, as ``_offsets``); ``"off"``, ``"0"`` or ``""`` → none."""
    if raw.strip().lower() in ("", "off", "0"):
        return timedelta(0)
    found = _offsets(name, raw)
    if len(found) != 1:
        raise ValueError(f"{name} must be one duration such as 10m (d, h or m), not {raw!r}")
    return found[0]


def _followup(raw: str) -> timedelta:
    """``GATEWAY_COMMITMENT_FOLLOWUP``: whole days (``30d``); a round a day at the most, since
    rounds are dated."""
    found = _duration("GATEWAY_COMMITMENT_FOLLOWUP", raw)
    if found < timedelta(days=1) or found % timedelta(days=1):
        raise ValueError(f"GATEWAY_COMMITMENT_FOLLOWUP must be whole days such as 30d, not {raw!r}")
    return found


def database_url(raw: str) -> str:
    """Normalise a ``DATABASE_URL`` to a SQLAlchemy URL with the psycopg 3 driver.

    Platforms hand out ``postgres://`` and ``postgresql://``; SQLAlchemy wants a driver named.
    """
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


@dataclass(frozen=True)
class Settings:
    """Everything the gateway can be told from outside, already parsed."""

    database_url: str
    redis_url: str | None
    secret_key: str
    at_username: str
    at_api_key: str
    at_sender_id: str | None
    at_shortcode: str
    at_api_url: str | None
    at_webhook_secret: str | None
    timezone: ZoneInfo
    ussd_code: str = "*384*123#"
    default_language: str = "en"
    send_batch_size: int = 100
    auto_reply_interval_s: int = 3600
    price_per_segment_kes: float = 0.80
    monthly_budget_kes: float = 20000.0
    send_rate_per_s: float = 0.0  # 0: no cap of our own (Africa's Talking's contracted rate)
    quiet_start: time = time(19, 0)  # non-urgent messages wait from here ...
    quiet_end: time = time(7, 0)  # ... to here, in GATEWAY_TIMEZONE
    recovery_grace_s: int = 60  # work without a job for this long is enqueued again
    send_call_limit_s: int = 600  # a send call claimed this long ago died: its fate is unknown
    # An incoming SMS whose handling failed this many times is given up on (marked failed, its
    # sender sent the help text) instead of being tried again every minute for ever.
    inbound_attempts: int = 5
    retention_days: int = 365  # raw inbound text older than this is removed daily; 0: kept
    series_weekday: int = 1  # guide-series excerpts go on this weekday (0 = Monday) ...
    series_hour: int = 10  # ... from this hour, in GATEWAY_TIMEZONE
    # Meeting reminders go this long before the meeting starts, longest first.
    meeting_reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    # A radio show takes its keywords this long before its start and after its end.
    radio_margin: timedelta = timedelta(minutes=5)
    # A show's studio board link works this many days from when it was made (then renewed).
    radio_link_days: int = 7
    # Inbox SMS containing one of these (lower case, substring) are for admins only, as
    # sensitive reports are.
    inbox_sensitive_words: tuple[str, ...] = ()
    # The admin UI: the address people reach it at (for links printed by commands), whether its
    # cookies need HTTPS (off only for plain-HTTP development), how long a login lasts, and how
    # many wrong passwords one email may try from one address, and one address in all (many
    # people may share it behind a NAT), in 15 minutes.
    public_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = True
    session_hours: int = 8
    login_attempts: int = 5
    login_address_attempts: int = 50
    # Callbacks only from these networks (Africa's Talking's addresses), when any are given;
    # and how many proxies in front of the web process set X-Forwarded-For (0: none, trust
    # only the socket's address).
    at_allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    proxy_hops: int = 0
    # /metrics: a bearer token it asks for (None: open; keep it on the monitoring network), and
    # how long the database's counts are shared between scrapes (0: counted at each scrape).
    metrics_token: str | None = None
    metrics_cache_s: int = 10
    # Bulk SMS (broadcasts, poll questions, guide excerpts) end with "STOP to 22384": "fit"
    # only when it adds no segment, "always", or "off".
    optout_hint: str = "fit"
    # Replies (what the gateway sends on its own in answer to an SMS or a USSD session) go only
    # to numbers of these countries, and at most so many to one number an hour and a day (0: no
    # cap): forged or scripted requests must not turn the gateway into a paid SMS pump.
    reply_countries: tuple[str, ...] = ("KE",)
    reply_limit_per_hour: int = 20
    reply_limit_per_day: int = 50
    # The voice line: the number people call (a missed call there is answered with a call-back),
    # at most one call-back per number per cooldown, a recorded report or question at most so
    # long, and an audio file (a prompt, a recording) at most so big.
    at_voice_number: str = "+254711082300"
    callback_cooldown_s: int = 600
    voice_record_max_s: int = 120
    voice_audio_max_bytes: int = 5 * 1024 * 1024
    # Pacing for one person: at most so many scheduled messages (broadcasts, alerts, reminders,
    # poll questions, guide excerpts; not replies) to a contact a day, and none closer than the
    # spacing; the rest wait their turn. 0: no cap. Urgent broadcasts are exempt.
    max_per_contact_per_day: int = 3
    min_spacing: timedelta = timedelta(minutes=10)
    # The public site (gateway.public): the licence its open data is under, the smallest group
    # of people it shows (smaller ones are folded into "other" or hidden), and how long a page
    # is kept (browsers' max-age and each web process's cache of rendered pages; 0: none).
    public_licence: str = "CC BY 4.0"
    public_min_group: int = 10
    public_cache_s: int = 60

    # A commitment's follow-up: asked on its due date, then again every so long until closed.
    commitment_followup: timedelta = timedelta(days=30)
    instance_path: Path = field(default_factory=Path)

    @property
    def uses_emulator(self) -> bool:
        """True when no Africa's Talking account is configured: outbound SMS go to the emulator."""
        return not self.at_api_key or self.at_username == "emulator"

    @property
    def sms_api_url(self) -> str | None:
        """The base URL the SDK is pointed at, or None for the SDK's own."""
        if self.at_api_url:
            return self.at_api_url.rstrip("/")
        return EMULATOR_URL if self.uses_emulator else None


class OpenCallbacks(ValueError):
    """Real sending with callbacks anyone may post: refused at start."""


def refuse_open_callbacks(settings: Settings) -> None:
    """Raise :class:`OpenCallbacks` when the gateway sends through a real Africa's Talking
    account while its callbacks take posts from anyone (forged SMS would be answered, at HMK's
    cost, and could delete a contact's data). The emulator needs neither setting."""
    if settings.uses_emulator or settings.at_webhook_secret or settings.at_allowed_networks:
        return
    raise OpenCallbacks(
        "AT_API_KEY is set (real SMS are sent) but the Africa's Talking callbacks are open to "
        "anyone: set AT_WEBHOOK_SECRET (and add ?secret=<it> to every callback URL in the "
        "Africa's Talking dashboard) or AT_ALLOWED_IPS (Africa's Talking's addresses), or both"
    )


def load_settings(
    env: Mapping[str, str] | None = None, instance_path: Path | None = None
) -> Settings:
    """Read the settings from ``env`` (the process environment by default)."""
    env = os.environ if env is None else env
    instance = instance_path or Path.cwd() / "instance"
    default_db = f"sqlite:///{instance / 'gateway.sqlite3'}"
    api_key = _str(env, "AT_API_KEY", "") or ""
    quiet = _quiet_hours(_str(env, "GATEWAY_QUIET_HOURS", "19:00-07:00") or "19:00-07:00")
    reply_limit = _reply_limit(
        "GATEWAY_REPLY_LIMIT", _str(env, "GATEWAY_REPLY_LIMIT", "20/h,50/d") or ""
    )
    settings = Settings(
        database_url=database_url(_str(env, "DATABASE_URL", default_db) or default_db),
        redis_url=_str(env, "REDIS_URL"),
        secret_key=_str(env, "SECRET_KEY") or secrets.token_hex(32),
        at_username=_str(env, "AT_USERNAME", "emulator") or "emulator",
        at_api_key=api_key,
        at_sender_id=_str(env, "AT_SENDER_ID"),
        at_shortcode=_str(env, "AT_SHORTCODE", "22384") or "22384",
        at_api_url=_str(env, "AT_API_URL"),
        at_webhook_secret=_str(env, "AT_WEBHOOK_SECRET"),
        timezone=ZoneInfo(_str(env, "GATEWAY_TIMEZONE", "Africa/Nairobi") or "Africa/Nairobi"),
        ussd_code=_str(env, "GATEWAY_USSD_CODE", "*384*123#") or "*384*123#",
        default_language=_str(env, "GATEWAY_DEFAULT_LANGUAGE", "en") or "en",
        send_batch_size=_int(env, "GATEWAY_SEND_BATCH_SIZE", 100),
        auto_reply_interval_s=_int(env, "GATEWAY_AUTO_REPLY_INTERVAL", 3600),
        price_per_segment_kes=_float(env, "GATEWAY_PRICE_PER_SEGMENT_KES", 0.80),
        monthly_budget_kes=_float(env, "GATEWAY_MONTHLY_BUDGET_KES", 20000.0),
        send_rate_per_s=_float(env, "GATEWAY_SEND_RATE", 0.0),
        recovery_grace_s=_int(env, "GATEWAY_RECOVERY_GRACE", 60),
        send_call_limit_s=_int(env, "GATEWAY_SEND_CALL_LIMIT", 600),
        inbound_attempts=_bounded(env, "GATEWAY_INBOUND_ATTEMPTS", 5, 1, 100),
        retention_days=_bounded(env, "GATEWAY_RETENTION_DAYS", 365, 0, 36500),
        quiet_start=quiet[0],
        quiet_end=quiet[1],
        series_weekday=_bounded(env, "GATEWAY_SERIES_WEEKDAY", 1, 0, 6),
        series_hour=_bounded(env, "GATEWAY_SERIES_HOUR", 10, 0, 23),
        meeting_reminders=_offsets(
            "GATEWAY_MEETING_REMINDERS", _str(env, "GATEWAY_MEETING_REMINDERS", "24h,2h") or ""
        ),
        radio_margin=timedelta(minutes=_bounded(env, "GATEWAY_RADIO_MARGIN", 5, 0, 60)),
        radio_link_days=_bounded(env, "GATEWAY_RADIO_LINK_DAYS", 7, 1, 90),
        inbox_sensitive_words=tuple(
            word.strip().lower()
            for word in (_str(env, "GATEWAY_INBOX_SENSITIVE_WORDS", SENSITIVE_WORDS) or "").split(
                ","
            )
            if word.strip()
        ),
        public_url=(_str(env, "GATEWAY_PUBLIC_URL", "http://127.0.0.1:8000") or "").rstrip("/"),
        secure_cookies=_flag(env, "GATEWAY_SECURE_COOKIES", True),
        session_hours=_bounded(env, "GATEWAY_SESSION_HOURS", 8, 1, 24 * 30),
        login_attempts=_bounded(env, "GATEWAY_LOGIN_ATTEMPTS", 5, 1, 1000),
        login_address_attempts=_bounded(env, "GATEWAY_LOGIN_ADDRESS_ATTEMPTS", 50, 1, 100000),
        at_allowed_networks=_networks("AT_ALLOWED_IPS", _str(env, "AT_ALLOWED_IPS", "") or ""),
        proxy_hops=_bounded(env, "GATEWAY_PROXY_HOPS", 0, 0, 5),
        metrics_token=_str(env, "GATEWAY_METRICS_TOKEN"),
        metrics_cache_s=_bounded(env, "GATEWAY_METRICS_CACHE_SECONDS", 10, 0, 3600),
        at_voice_number=_str(env, "AT_VOICE_NUMBER", "+254711082300") or "+254711082300",
        callback_cooldown_s=_bounded(env, "GATEWAY_CALLBACK_COOLDOWN", 600, 0, 7 * 24 * 3600),
        voice_record_max_s=_bounded(env, "GATEWAY_VOICE_RECORD_MAX", 120, 5, 600),
        voice_audio_max_bytes=_bounded(
            env, "GATEWAY_VOICE_AUDIO_MAX_BYTES", 5 * 1024 * 1024, 64 * 1024, 50 * 1024 * 1024
        ),
        optout_hint=_choice(env, "GATEWAY_OPTOUT_HINT", "fit", OPTOUT_HINTS),
        reply_countries=_regions(
            "GATEWAY_REPLY_COUNTRIES", _str(env, "GATEWAY_REPLY_COUNTRIES", "KE") or ""
        ),
        reply_limit_per_hour=reply_limit[0],
        reply_limit_per_day=reply_limit[1],
        max_per_contact_per_day=_bounded(env, "GATEWAY_MAX_PER_CONTACT_PER_DAY", 3, 0, 1000),
        min_spacing=_duration("GATEWAY_MIN_SPACING", _str(env, "GATEWAY_MIN_SPACING", "10m") or ""),
        public_licence=_str(env, "GATEWAY_PUBLIC_LICENCE", "CC BY 4.0") or "CC BY 4.0",
        public_min_group=_bounded(env, "GATEWAY_PUBLIC_MIN_GROUP", 10, 2, 100000),
        public_cache_s=_bounded(env, "GATEWAY_PUBLIC_CACHE_SECONDS", 60, 0, 3600),
        commitment_followup=_followup(_str(env, "GATEWAY_COMMITMENT_FOLLOWUP", "30d") or ""),
        instance_path=instance,
    )
    refuse_open_callbacks(settings)
    return settings


def current_settings() -> Settings:
    """The running app's settings (inside an app context): the one way areas read them."""
    from flask import current_app

    found: Settings = current_app.config["GATEWAY"]
    return found

"""What the radio API and the live board read and write (the OpenAPI document comes from here).

Feed items carry listeners' texts as plain JSON strings: whoever shows them must escape them.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from gateway.i18n import catalogs
from gateway.numbers import MAX_ID, is_digits
from gateway.radio.schedule import Slot
from gateway.settings import current_settings
from gateway.sms.keywords import KEYWORDS, keyword_table, words

# With the longest name and station, the thank-you SMS (sms.radio.thanks) stays within 2 SMS.
NAME_MAX = 60
STATION_MAX = 40
TAG_MAX = 32
TAGS_MAX = 10


def _keyword(word: str) -> None:
    said = words(word)
    if len(said) != 1 or said[0] != word.casefold() or not 2 <= len(word) <= 20:
        raise ma.ValidationError("A keyword is one word of 2 to 20 letters or digits.")
    taken = keyword_table(catalogs(), KEYWORDS)
    if said[0] in taken:
        raise ma.ValidationError(
            f"{word.upper()} is the {taken[said[0]][0].upper()} keyword; choose another word."
        )


def _shortcode(code: str) -> None:
    if not is_digits(code) or not 3 <= len(code) <= 16:
        raise ma.ValidationError("A short code is 3 to 16 digits.")
    if code == current_settings().at_shortcode:
        raise ma.ValidationError(
            "That is the gateway's own short code: every SMS would be the show's. Give the "
            "show's own short code, or none and keywords."
        )


def _slots(schedule: list[dict[str, Any]]) -> None:
    for n, raw in enumerate(schedule):
        try:
            Slot.parse(raw)
        except ValueError as exc:
            raise ma.ValidationError(f"Slot {n + 1}: {exc}.") from exc


def _stored(raw: dict[str, Any]) -> dict[str, object]:
    """A slot as it is stored: only its three keys, times as ``HH:MM``."""
    slot = Slot.parse(raw)
    return {
        "weekday": slot.weekday,
        "start": slot.start.strftime("%H:%M"),
        "end": slot.end.strftime("%H:%M"),
    }


class ShowIn(ma.Schema):
    station = ma.fields.String(required=True, validate=ma.validate.Length(1, STATION_MAX))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, NAME_MAX))
    host = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(1, 120),
        metadata={"description": "The host's user (email) in the admin UI."},
    )
    keywords = ma.fields.List(
        ma.fields.String(validate=_keyword),
        load_default=list,
        validate=ma.validate.Length(max=5),
        metadata={"description": 'Words a listener starts an SMS with, e.g. `["MADINI"]`.'},
    )
    shortcode = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=_shortcode,
        metadata={"description": "A short code of the show's own: all its SMS are the show's."},
    )
    schedule = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        validate=[ma.validate.Length(1, 14), _slots],
        metadata={
            "description": 'Weekly slots in EAT (0 = Monday), e.g. `[{"weekday": 3, "start": '
            '"19:00", "end": "20:00"}]`; an end before the start runs past midnight.'
        },
    )
    poll_id = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(1, MAX_ID)
    )

    @ma.validates_schema
    def _reachable(self, data: dict[str, Any], partial: Any = None, **kwargs: Any) -> None:
        if not partial and not data.get("keywords") and not data.get("shortcode"):
            raise ma.ValidationError("Give keywords, a short code of the show's own, or both.")

    @ma.post_load
    def _as_stored(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "keywords" in data:
            data["keywords"] = list(dict.fromkeys(k.upper() for k in data["keywords"]))
        if "schedule" in data:
            data["schedule"] = [_stored(raw) for raw in data["schedule"]]
        return data


class ShowUpdate(ShowIn):
    """Any of a show's fields (load it with ``partial=True``)."""


class ShowOut(ma.Schema):
    id = ma.fields.Integer()
    station = ma.fields.String()
    name = ma.fields.String()
    host = ma.fields.String(allow_none=True)
    keywords = ma.fields.List(ma.fields.String())
    shortcode = ma.fields.String(allow_none=True)
    schedule = ma.fields.List(ma.fields.Dict())
    poll_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    on_air = ma.fields.Boolean(metadata={"description": "Taking messages now (margins included)."})
    episode = ma.fields.String(
        allow_none=True,
        metadata={"description": "The episode on air, else the latest with messages."},
    )
    board_url = ma.fields.String(
        metadata={
            "description": "The studio's live board. Read back, it needs a login or a token; "
            "in the answer that creates the show it carries the show's studio link key (see "
            "`POST /radio/shows/{show_id}/board-link`), shown that once."
        }
    )
    stream_url = ma.fields.String(
        metadata={"description": "Server-sent events of the board (same access as board_url)."}
    )
    board_link_expires_at = ma.fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "When the studio link stops working; null: there is none."},
    )


class BoardLink(ma.Schema):
    board_url = ma.fields.String(
        metadata={
            "description": "The board with the studio link's key: it opens with no login or "
            "token, so share it only with the studio. Shown once; only a hash is kept."
        }
    )
    stream_url = ma.fields.String(metadata={"description": "The board's stream, same key."})
    expires_at = ma.fields.AwareDateTime(
        metadata={"description": "A fixed time: opening the link never extends it."}
    )


def _episode() -> ma.fields.String:
    return ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|all)$"),
        metadata={
            "description": "`2026-12-03`, or `all`; default: the episode on air, else the latest."
        },
    )


class FeedQuery(ma.Schema):
    after = ma.fields.Integer(
        load_default=0,
        validate=ma.validate.Range(min=0, max=MAX_ID),  # a 64-bit id, as in the database
        metadata={"description": "Only items after this feed item id."},
    )
    episode = _episode()
    all = ma.fields.Boolean(
        load_default=False, metadata={"description": "`1`: include hidden items."}
    )
    limit = ma.fields.Integer(load_default=500, validate=ma.validate.Range(1, 500))


class EpisodeQuery(ma.Schema):
    episode = _episode()


class FeedItem(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "The feed item id (use it as `after`)."})
    episode = ma.fields.String()
    received_at = ma.fields.AwareDateTime(metadata={"description": "In EAT."})
    phone = ma.fields.String(metadata={"description": "Masked: `+2547••••••78`."})
    county = ma.fields.String(allow_none=True)
    text = ma.fields.String(
        metadata={
            "description": "The listener's words (untrusted: escape when shown); phone "
            "numbers in them masked."
        }
    )
    starred = ma.fields.Boolean()
    hidden = ma.fields.Boolean()
    read_on_air_at = ma.fields.AwareDateTime(allow_none=True)
    tags = ma.fields.List(ma.fields.String())


class Feed(ma.Schema):
    show_id = ma.fields.Integer()
    episode = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(FeedItem))
    last_id = ma.fields.Integer(
        metadata={"description": "Pass as `after` next time (the given `after` if nothing new)."}
    )


class MarksIn(ma.Schema):
    starred = ma.fields.Boolean()
    hidden = ma.fields.Boolean(metadata={"description": "Hidden items leave the board."})
    read_on_air = ma.fields.Boolean(
        metadata={"description": "`true` records when it was read on air (the first time)."}
    )
    tags = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(1, TAG_MAX)),
        validate=ma.validate.Length(max=TAGS_MAX),
        metadata={"description": "The theme tags, replacing those there were (`water`, `land`)."},
    )

    @ma.validates_schema
    def _a_change(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ma.ValidationError("Give starred, hidden, read_on_air or tags.", "starred")


class PollOption(ma.Schema):
    position = ma.fields.Integer()
    label = ma.fields.String()
    votes = ma.fields.Integer()
    percent = ma.fields.Float()


class PollBars(ma.Schema):
    id = ma.fields.Integer()
    keyword = ma.fields.String()
    question = ma.fields.String()
    open = ma.fields.Boolean()
    votes = ma.fields.Integer()
    options = ma.fields.List(ma.fields.Nested(PollOption))


class CountyCount(ma.Schema):
    county = ma.fields.String(allow_none=True)
    messages = ma.fields.Integer()
    listeners = ma.fields.Integer()


class TagCount(ma.Schema):
    tag = ma.fields.String()
    messages = ma.fields.Integer()


class Tally(ma.Schema):
    show_id = ma.fields.Integer()
    episode = ma.fields.String(allow_none=True)
    messages = ma.fields.Integer()
    listeners = ma.fields.Integer()
    poll = ma.fields.Nested(PollBars, allow_none=True)
    counties = ma.fields.List(ma.fields.Nested(CountyCount))
    tags = ma.fields.List(ma.fields.Nested(TagCount))

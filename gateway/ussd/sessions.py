"""USSD session state in Redis, and the offer to resume a dropped session.

Each hop stores where the session stands (``ussd:session:<id>``, a few minutes' TTL), so the
next hop applies just its new input, even a free text containing ``*``, which cannot be told
from Africa's Talking's separator by looking at ``text`` alone. When the state is gone, the
engine replays ``text`` from the start instead. A session that drops in the middle of a
resumable part (a report, a vote) leaves ``ussd:resume:<phone>`` for 15 minutes. A session
keeps its caller's number, so a deletion of their data finds and drops it (:meth:`forget`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis import Redis

SESSION_TTL_S = 300  # Africa's Talking ends a session after at most 180 s
RESUME_TTL_S = 900
SAME = ""  # the hop repeats the last one: nothing new to answer


@dataclass
class SavedSession:
    text: str
    walk: dict[str, Any]
    data: dict[str, str]
    resume: dict[str, Any] | None = None
    # Whether the caller's resume point may be in Redis after this hop (True when unknown).
    resume_kept: bool = True
    phone: str = ""  # the caller, for :meth:`SessionStore.forget`

    def continuation(self, text: str) -> str | None:
        """The new input ``text`` adds to this session, ``SAME`` for a repeat, None if ``text``
        does not continue it (then the position is rebuilt from ``text``)."""
        if text == self.text:
            return SAME
        if not self.text:
            return text
        if text.startswith(self.text + "*"):
            return text[len(self.text) + 1 :]
        return None

    def to_json(self) -> str:
        # Plain JSON values already: no need for dataclasses.asdict's deep copy.
        fields = {
            "text": self.text,
            "walk": self.walk,
            "data": self.data,
            "resume": self.resume,
            "resume_kept": self.resume_kept,
            "phone": self.phone,
        }
        return json.dumps(fields)


class SessionStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _session_key(session_id: str) -> str:
        return f"ussd:session:{session_id}"

    @staticmethod
    def _resume_key(phone: str) -> str:
        return f"ussd:resume:{phone}"

    def load(self, session_id: str) -> SavedSession | None:
        raw = self.redis.get(self._session_key(session_id))
        return SavedSession(**json.loads(raw)) if raw else None

    def resume_for(self, phone: str) -> dict[str, Any] | None:
        raw = self.redis.get(self._resume_key(phone))
        return dict(json.loads(raw)) if raw else None

    def save(
        self, session_id: str, phone: str, session: SavedSession, resumable: bool, kept: bool
    ) -> None:
        """Keep the session's position, and keep or drop the caller's resume point, in one
        round trip; ``kept`` says whether a resume point may be there to drop (when there is
        none, the position is the one command)."""
        session.resume_kept, session.phone = resumable, phone
        position = session.to_json()
        if not resumable and not kept:
            self.redis.set(self._session_key(session_id), position, ex=SESSION_TTL_S)
            return
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self._session_key(session_id), position, ex=SESSION_TTL_S)
        if resumable:
            point = {"walk": session.walk, "data": session.data}
            pipe.set(self._resume_key(phone), json.dumps(point), ex=RESUME_TTL_S)
        else:
            pipe.delete(self._resume_key(phone))
        pipe.execute()

    def forget(self, phone: str) -> int:
        """Drop every session and the resume point of ``phone`` (their data is being deleted);
        the number of keys dropped. Sessions live minutes, so the scan meets few keys."""
        doomed = [self._resume_key(phone)]
        keys = list(self.redis.scan_iter(match=self._session_key("*"), count=1000))
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            for key, raw in zip(batch, self.redis.mget(batch), strict=True):
                if raw and json.loads(raw).get("phone") == phone:
                    doomed.append(key)
        return int(self.redis.delete(*doomed))

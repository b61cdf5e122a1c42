"""Who hosts a poll on air: the hosts of the shows that carry it (see :mod:`gateway.polls.api`)."""

from __future__ import annotations

from sqlalchemy import select

from gateway.extensions import db
from gateway.radio.models import RadioShow


def hosts_of_poll(poll_id: int) -> list[str | None]:
    return list(db.session.scalars(select(RadioShow.host).where(RadioShow.poll_id == poll_id)))

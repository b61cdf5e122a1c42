"""A contact's radio call-ins, in their export (their texts are SMS, erased with the SMS)."""

from __future__ import annotations

from sqlalchemy import select

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.radio.models import RadioMessage, RadioShow
from gateway.sms.models import Message


def radio_messages(contact: Contact) -> list[Row]:
    rows = db.session.execute(
        select(RadioMessage, RadioShow.name, Message.text)
        .join(RadioShow, RadioShow.id == RadioMessage.show_id)
        .join(Message, Message.id == RadioMessage.message_id)
        .where(RadioMessage.contact_id == contact.id)
        .order_by(RadioMessage.id)
    )
    return [
        {
            "show": show,
            "episode": radio.episode,
            "text": text,
            "read_on_air_at": iso_time(radio.read_on_air_at),
            "at": iso_time(radio.received_at),
        }
        for radio, show, text in rows
    ]

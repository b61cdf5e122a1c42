"""``flask --app wsgi contacts check-consent``: the contacts whose recorded consent wording is
not one the gateway knows (before the import checked it, a ``no`` in its consent column was
stored as consent)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.contacts.wordings import WORDINGS, accepted_wordings
from gateway.extensions import db
from gateway.phones import mask_phone
from gateway.settings import current_settings

contacts_cli = AppGroup("contacts", help="Contacts and their consent.")


@contacts_cli.command("check-consent")
def check_consent() -> None:
    """List (numbers masked) the contacts whose consent wording is not a known version, with
    a link to each one's admin page; exit with 1 if there are any."""
    found = db.session.scalars(
        select(Contact)
        .where(
            Contact.anonymised_at.is_(None),
            Contact.consent_wording.is_not(None),
            Contact.consent_wording.not_in(WORDINGS),
        )
        .order_by(Contact.id)
    ).all()
    if not found:
        click.echo(f"Every contact's consent wording is known ({accepted_wordings()}).")
        return
    base = current_settings().public_url.rstrip("/")
    for contact in found:
        state = "opted out" if contact.opted_out_at else "counted as consent"
        when = contact.consent_at.isoformat() if contact.consent_at else "-"
        click.echo(
            f"{mask_phone(contact.phone)}\t{contact.county or '-'}\t{contact.consent_wording!r}"
            f"\t{contact.consent_channel or '-'}\t{when}\t{state}"
            f"\t{base}/admin/contacts/{contact.id}"
        )
    click.echo(
        f"{len(found)} contacts have a consent wording the gateway does not know "
        f"(known: {accepted_wordings()}). Check each with the person: record their consent "
        "again (import, API) or opt them out."
    )
    raise SystemExit(1)

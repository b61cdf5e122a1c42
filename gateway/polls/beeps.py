"""Beep to vote: a missed call to a poll option's voice number is a vote for the option, by
channel ``voice`` (rejected, so free to the caller; never called back).

As an SMS vote: a number that is not a contact yet becomes one (no consent is recorded: a
vote is not a request for messages), one vote per person per poll and the latest counts (by
when the call first reached us), and a county poll counts its own county's people only (and
those whose county is not known). The thank-you goes as for SMS votes (:func:`thank_vote`:
once per listener and episode while the poll's show is on air), but only to a contact who
agreed to messages and has not stopped them: a missed call is not a message to answer.
Registered with :mod:`gateway.voice.beeps` by :mod:`gateway.wiring`.
"""

from __future__ import annotations

from gateway.contacts.models import Contact
from gateway.contacts.service import get_or_create_contact
from gateway.polls import texts
from gateway.polls.voice_numbers import option_called
from gateway.polls.votes import cast_vote, thank_vote
from gateway.sms.texts import language_of
from gateway.voice.models import VoiceCall


def beep_vote(call: VoiceCall) -> str | None:
    """Count ``call`` as a vote if it rang an open poll's option (None: it did not)."""
    found = option_called(call.destination)
    if found is None:
        return None
    poll, option = found
    call.purpose = "vote"
    contact = get_or_create_contact(call.phone)
    call.contact_id = contact.id
    if poll.county and contact.county and contact.county != poll.county:
        return f"poll {poll.id} is for {poll.county}: not counted"
    at = call.started_at
    if not cast_vote(poll, option, contact, channel="voice", at=at):
        return f"poll {poll.id} closed: not counted"
    voted = f"vote in poll {poll.id}: option {option.position}"
    if not _may_thank(contact):
        return voted + " (not thanked: no consent to messages)"
    choice = texts.label(option, language_of(contact))
    if thank_vote(contact, poll, at, "poll_thanks", choice=choice, keyword=poll.keyword):
        return voted
    return voted + " (thanked before in this show)"


def _may_thank(contact: Contact) -> bool:
    return (
        contact.consent_at is not None
        and contact.opted_out_at is None
        and contact.anonymised_at is None
    )

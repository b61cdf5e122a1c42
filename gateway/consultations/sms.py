"""Taking part in a consultation by SMS, with its keyword (``MAONI``), any case:

- ``MAONI`` alone: the list of clauses by number, and how to answer;
- ``MAONI 3``: clause 3's summary;
- ``MAONI 3 NDIO`` (``HAPANA``, ``SIJUI``, ``YES``, ``NO``, ``AGREE``, ``DISAGREE``, ``NOT SURE``:
  the words are ``consult.words.*`` in the catalogs, every language's for everyone): a position
  on clause 3, the latest counting;
- ``MAONI 3 <words>``: a comment on clause 3;
- ``MAONI NUKUU`` (or ``QUOTE``): yes to "may we quote your words without your name?", for the
  sender's latest comment in the consultation. The thank-you for each comment says so; a comment
  is never quoted without it.

A text with no keyword after the list or a clause was sent (the last of the SMS that ask
something, :mod:`gateway.sms.asked`) is about the last clause the sender was sent: the clause
SMS's, or the list's last clause. A stance alone (``SIJUI``, ``AGREE``) is a position on it,
anything else a comment. A bare ``YES`` or ``NO`` stays the gateway's keyword (a meeting's RSVP).
"""

from __future__ import annotations

from datetime import timedelta

from gateway.consultations.models import STANCES, Clause, Consultation
from gateway.consultations.service import (
    add_comment,
    allow_quote,
    clause_by_number,
    in_audience,
    is_open,
    record_position,
    summary,
    title,
)
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.localized import when
from gateway.numbers import is_digits
from gateway.sms.asked import CONSULTATION_CLAUSE, CONSULTATION_LIST, QUESTIONS, last_question
from gateway.sms.campaigns import KeywordCampaigns
from gateway.sms.choices import folded_phrase
from gateway.sms.keywords import KeywordMatch, fold
from gateway.sms.models import Message
from gateway.sms.router import Route, no_keyword
from gateway.sms.scheduled import queue_once
from gateway.sms.texts import language_of, render, reply_text, say

CONSULTATIONS = KeywordCampaigns(Consultation, "consultation")
LATE = timedelta(days=7)  # a bare comment this long after the close is told it closed
QUOTE = "quote"
KIND = "consultation"  # the kind of an inbound SMS taken by these routes


def find_consultation(word: str) -> Consultation | None:
    """The consultation whose keyword ``word`` is (one typo allowed in 4 letters or more)."""
    return CONSULTATIONS.find(word)


def read_stance(text: str) -> str | None:
    """The stance ``text`` states (``"ndio"``, ``"Not sure!"``), in any language, or None."""
    said = folded_phrase(text)
    for name in (*STANCES, QUOTE):
        for words in catalogs().variants(f"consult.words.{name}").values():
            if said in {folded_phrase(w) for w in words.split("|") if w.strip()}:
                return name
    return None


def clause_sent_last(contact: Contact) -> Clause | None:
    """The clause of the last SMS that asked ``contact`` something, if it was a consultation's
    list or clause (see :mod:`gateway.sms.asked`)."""
    asked = last_question(contact, QUESTIONS)
    if asked is None or asked.kind not in (CONSULTATION_LIST, CONSULTATION_CLAUSE):
        return None
    return db.session.get(Clause, asked.about)


def _keyword(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    parts = message.text.strip().split(maxsplit=1)
    consultation = find_consultation(parts[0]) if parts else None
    if consultation is None:
        return None
    message.kind = KIND
    return _by_keyword(message, contact, consultation, parts[1] if len(parts) > 1 else "")


def _bare(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    text = message.text.strip()
    clause = clause_sent_last(contact) if text else None
    if clause is None:
        return None
    consultation = db.session.get(Consultation, clause.consultation_id)
    if consultation is None or (
        not is_open(consultation) and utcnow() - consultation.closes_at > LATE
    ):
        return None
    message.kind = KIND
    if not is_open(consultation):
        _closed(contact, consultation)
        return f"consultation {consultation.id} closed"
    return _about_clause(message, contact, consultation, clause, text)


# The inbound routes (see gateway.wiring.inbound_routes).
KEYWORD = Route("consultation keyword", _keyword, no_keyword)
BARE = Route("words after a consultation's clause", _bare, no_keyword)


def _values(contact: Contact, consultation: Consultation) -> dict[str, object]:
    chain = catalogs().chain(language_of(contact))
    return {"title": title(consultation, chain), "keyword": consultation.keyword}


def _tell(contact: Contact, key: str, *, kind: str, **values: object) -> None:
    """Reply the catalog text ``key``, filled with ``values``, in ``contact``'s language."""
    reply_text(contact, render(contact, key, **values), kind=kind)


def _closed(contact: Contact, consultation: Consultation) -> None:
    _tell(
        contact, "sms.consult.closed", kind="consultation_closed", **_values(contact, consultation)
    )


def _by_keyword(message: Message, contact: Contact, consultation: Consultation, rest: str) -> str:
    values = _values(contact, consultation)
    if utcnow() < consultation.opens_at:
        opens = when(consultation.opens_at, "sms.consult.not_open", language_of(contact))
        _tell(contact, "sms.consult.not_open", kind="consultation_not_open", when=opens, **values)
        return f"consultation {consultation.id} not open yet"
    if not is_open(consultation):
        _closed(contact, consultation)
        return f"consultation {consultation.id} closed"
    if not in_audience(consultation, contact):
        _tell(contact, "sms.consult.other_area", kind="consultation_other", **values)
        return f"consultation {consultation.id} is for other areas"
    words = rest.split(maxsplit=1)
    if not words:
        _send_list(message, contact, consultation)
        return f"consultation {consultation.id}: list sent"
    if read_stance(rest) == QUOTE:
        return _allow_quote(contact, consultation)
    first = fold(words[0])
    if not is_digits(first):
        last = clause_sent_last(contact)
        if last is not None and last.consultation_id == consultation.id:
            return _about_clause(message, contact, consultation, last, rest)
        _send_list(message, contact, consultation)
        return f"consultation {consultation.id}: no clause number, list sent"
    clause = clause_by_number(consultation, int(first))
    if clause is None:
        _tell(
            contact,
            "sms.consult.unknown_clause",
            kind="consultation_unknown",
            number=first,
            count=len(consultation.clauses),
            **values,
        )
        return f"consultation {consultation.id}: no clause {first}"
    after = words[1].strip() if len(words) > 1 else ""
    if not after:
        _send_clause(message, contact, consultation, clause)
        return f"consultation {consultation.id}: clause {clause.number} sent"
    return _about_clause(message, contact, consultation, clause, after)


def _about_clause(
    message: Message, contact: Contact, consultation: Consultation, clause: Clause, text: str
) -> str:
    """A position (``text`` is a stance) or a comment on ``clause``; thanked either way."""
    values = {**_values(contact, consultation), "reference": clause.reference}
    values["number"] = clause.number
    stance = read_stance(text)
    if stance == QUOTE:  # NUKUU alone after the thank-you: yes to quoting
        return _allow_quote(contact, consultation)
    at = message.created_at or utcnow()
    if stance in STANCES:
        record_position(clause, contact, stance, "sms", at=at)
        label = render(contact, f"consult.stance.{stance}")
        _tell(
            contact,
            "sms.consult.position_thanks",
            kind="consultation_thanks",
            stance=label,
            **values,
        )
        return f"consultation {consultation.id}: position on clause {clause.number}"
    add_comment(clause, contact, "sms", text=text, language=language_of(contact))
    _tell(contact, "sms.consult.comment_thanks", kind="consultation_thanks", **values)
    return f"consultation {consultation.id}: comment on clause {clause.number}"


def _allow_quote(contact: Contact, consultation: Consultation) -> str:
    values = _values(contact, consultation)
    comment = allow_quote(contact, [consultation.id])
    if comment is None:
        _tell(contact, "sms.consult.quote_none", kind="consultation_quote", **values)
        return f"consultation {consultation.id}: no comment to quote"
    clause = db.session.get(Clause, comment.clause_id)
    reference = clause.reference if clause else ""
    _tell(
        contact,
        "sms.consult.quote_thanks",
        kind="consultation_quote",
        reference=reference,
        **values,
    )
    return f"consultation {consultation.id}: comment {comment.id} may be quoted"


def list_text(consultation: Consultation, language: str) -> str:
    """The clauses by number, and how to answer, in ``language``."""
    chain = catalogs().chain(language)
    clauses = "; ".join(f"{c.number} {c.reference}" for c in consultation.clauses)
    named = title(consultation, chain)
    return say(
        "sms.consult.list", language, title=named, clauses=clauses, keyword=consultation.keyword
    )


def clause_text(consultation: Consultation, clause: Clause, language: str) -> str:
    chain = catalogs().chain(language)
    return say(
        "sms.consult.clause",
        language,
        keyword=consultation.keyword,
        number=clause.number,
        reference=clause.reference,
        summary=summary(clause, chain),
    )


def _send_list(message: Message, contact: Contact, consultation: Consultation) -> None:
    """The list, asking about its last clause: a bare comment after it goes there."""
    if not consultation.clauses:
        return
    last = consultation.clauses[-1]
    text = list_text(consultation, language_of(contact))
    key = f"{CONSULTATION_LIST}:{last.id}:in:{message.id}"
    queue_once(contact, text, kind=CONSULTATION_LIST, dedupe_key=key, reply=True)


def _send_clause(
    message: Message, contact: Contact, consultation: Consultation, clause: Clause
) -> None:
    text = clause_text(consultation, clause, language_of(contact))
    key = f"{CONSULTATION_CLAUSE}:{clause.id}:in:{message.id}"
    queue_once(contact, text, kind=CONSULTATION_CLAUSE, dedupe_key=key, reply=True)

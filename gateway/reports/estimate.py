"""What a reply to a reporter will send, before it is sent: the officer's text framed by
``sms.report.reply`` in the reporter's language, with its cost (:mod:`gateway.sms.estimate`)."""

from __future__ import annotations

from gateway.reports.models import Report
from gateway.reports.service import reply_target
from gateway.settings import current_settings
from gateway.sms.estimate import Planned, Reach, SendEstimate, estimate_send
from gateway.sms.texts import language_of, render


def reply_estimate(report: Report, text: str) -> SendEstimate:
    """The reply as :func:`~gateway.reports.service.reply_to_reporter` would queue it.

    Raises:
        ReplyRefused: as that function does.
    """
    contact, folded = reply_target(report, text)
    language = language_of(contact)
    sent = render(contact, "sms.report.reply", reference=report.reference, text=folded)
    found = Reach({language: 1}, 0, 0)
    return estimate_send([Planned("report_reply", language, sent, 1)], found, current_settings())

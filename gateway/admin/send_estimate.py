"""The confirmation every admin action that sends asks for: the estimate
(:mod:`gateway.sms.estimate`, as the API gives it) with a basic-phone preview of each text,
and a button that posts the same form again with the estimate's token. Only a post whose
token is the estimate of what it asks sends; a changed form is estimated and asked again."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from gateway.admin.broadcast_composer import phone_pages
from gateway.encoding import analyse
from gateway.sms.estimate import SendEstimate

TOKEN = "estimate_token"


def confirmed(found: SendEstimate) -> bool:
    """Whether the officer confirmed this very estimate."""
    return request.form.get(TOKEN) == found.token


def confirm_page(found: SendEstimate, *, title: str, action: str, back: str) -> tuple[str, int]:
    """The estimate of the posted form, and a button to send it (the form again, hidden, with
    the estimate's token). Said when the officer had confirmed an estimate that has since
    changed."""
    fields = [
        (name, value)
        for name, values in request.form.lists()
        if name not in ("csrf_token", TOKEN)
        for value in values
    ]
    return (
        render_template(
            "admin/send_estimate/confirm.html",
            title=title,
            action=action,
            back=back,
            fields=fields,
            token=found.token,
            changed=bool(request.form.get(TOKEN)),
            **panel(found),
        ),
        200,
    )


def panel(found: SendEstimate) -> dict[str, Any]:
    """What ``admin/send_estimate/_panel.html`` shows: the estimate and each text's phone pages."""
    return {
        "found": found,
        "pages": [phone_pages(line.text, analyse(line.text)) for line in found.lines],
    }

"""Reporting a problem by voice: a category by key, named or anonymous, then the caller speaks
(up to ``GATEWAY_VOICE_RECORD_MAX`` seconds); a security or harassment report is sensitive, as
on USSD. The recording is the report; staff may type a transcript beside it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from gateway.extensions import db
from gateway.reports.models import CATEGORIES
from gateway.reports.service import save_report
from gateway.sms.texts import reply
from gateway.voice.audio import url_path
from gateway.voice.engine import CallContext
from gateway.voice.models import AudioClip, VoiceRecording
from gateway.voice.recordings import keep_recording
from gateway.voice.registry import Item, action, source


@source("report_categories")
def categories(ctx: CallContext) -> list[Item]:
    return [Item(name, (f"report.category.{name}",)) for name in CATEGORIES]


@action("report_anonymity")
def anonymity(ctx: CallContext, choice: str | None) -> None:
    ctx.data["anonymous"] = choice == "anonymous"


@action("save_voice_report")
def save(ctx: CallContext, recording_url: str | None) -> None:
    """Save the report (once, if Africa's Talking posts the recording twice), fetch its
    recording into our storage, and text a named reporter its reference."""
    contact = ctx.contact
    if contact is None or not recording_url:
        return
    anonymous = bool(ctx.data.get("anonymous"))
    made = int(ctx.data.get("reports", 0))  # a caller may report twice in one call
    report = save_report(
        contact=contact,
        category=str(ctx.data["category"]),
        county=contact.county,
        ward=contact.ward,
        description="",
        anonymous=anonymous,
        language=ctx.language,
        channel="voice",
        session_id=f"voice:{ctx.session_id}:{made}",
    )
    ctx.data["reports"] = made + 1
    if db.session.scalar(select(VoiceRecording.id).where(VoiceRecording.report_id == report.id)):
        return
    keep_recording(
        purpose="report",
        url=recording_url,
        call_id=None if anonymous else ctx.call_id,
        contact_id=None if anonymous else contact.id,
        report_id=report.id,
    )
    if not anonymous:
        reply(
            contact, "sms.report.voice_received", kind="report_receipt", reference=report.reference
        )


@dataclass(frozen=True)
class SpokenReport:
    """A report's recording as the admin shows it."""

    status: str  # pending (being fetched), stored, missing
    audio_url: str | None  # where the player fetches it, once stored
    transcript: str


def spoken_report(report_id: int) -> SpokenReport | None:
    """The recording of a report made by voice, if it is one."""
    row = db.session.execute(
        select(VoiceRecording, AudioClip)
        .outerjoin(AudioClip, AudioClip.id == VoiceRecording.audio_id)
        .where(VoiceRecording.report_id == report_id)
        .order_by(VoiceRecording.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    recording, clip = row
    url = url_path(clip) if clip is not None else None
    return SpokenReport(recording.status, url, recording.transcript or "")


def set_transcript(report_id: int, text: str) -> bool:
    """Keep a staff member's transcript of a spoken report; False if there is no recording or
    the text is what it was."""
    recording = db.session.scalar(
        select(VoiceRecording).where(VoiceRecording.report_id == report_id).limit(1)
    )
    if recording is None or (recording.transcript or "") == text:
        return False
    recording.transcript = text or None
    return True

"""A community platform (Mui Basin, Kanziku): where it works, its mining sites, its members and
its leaders, their announcements and the attendance at its meetings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.extensions import db, utcnow

MEMBER, LEADER = "member", "leader"


class Platform(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "platforms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # Mui Basin Community Platform
    # What members text to join (JIUNGE MUI, JOIN MUI) and the prefix of its meetings' codes.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    county: Mapped[str] = mapped_column(String(64), index=True)
    wards: Mapped[list[str]] = mapped_column(JSON, default=list)  # wards it covers
    # Announcements a leader may send a month without the secretariat's approval (0: all
    # need approval).
    monthly_allowance: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sites: Mapped[list[MiningSite]] = relationship(
        order_by="MiningSite.name", cascade="all, delete-orphan", lazy="selectin"
    )


class MiningSite(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "platform_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    mineral: Mapped[str] = mapped_column(String(64))
    licence_holder: Mapped[str | None] = mapped_column(String(255))
    licence_number: Mapped[str | None] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(64))


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A contact in a platform, as a member or a leader. A leader's PIN (hashed, set by the
    secretariat) opens the leader menu; three wrong PINs lock it for an hour."""

    __tablename__ = "platform_members"
    __table_args__ = (UniqueConstraint("platform_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default=MEMBER)  # MEMBER, LEADER
    joined_via: Mapped[str] = mapped_column(String(16))  # ussd, sms, import, admin
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    failed_pins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]


class Announcement(db.Model):  # type: ignore[name-defined,misc]
    """A leader's announcement to the platform's members: pending the secretariat's approval, or
    sent within the platform's monthly allowance."""

    __tablename__ = "platform_announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)  # as the leader wrote it
    language: Mapped[str | None] = mapped_column(String(8))  # the leader's language
    # Translations the secretariat adds ({"sw": ...}); members without one get ``text``.
    translations: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(16))  # ussd, sms
    status: Mapped[str] = mapped_column(String(16), default="pending")  # sent, rejected
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None]
    # The broadcast that carries it once sent (with its estimate and delivery).
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attendance(db.Model):  # type: ignore[name-defined,misc]
    """A contact was at a meeting: texted the meeting's code in its window, or a leader or the
    secretariat entered them."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "contact_id"),
        Index("ix_meeting_attendance_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    via: Mapped[str] = mapped_column(String(16))  # code, leader, admin
    recorded_by: Mapped[str | None] = mapped_column(String(255))  # a masked number or email
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingCode(db.Model):  # type: ignore[name-defined,misc]
    """A meeting's attendance code (MUI12): its platform's code and a number."""

    __tablename__ = "meeting_codes"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(24), unique=True)

"""A consultation on a draft law or regulation: its clauses, the positions people take on them,
their comments, and the secretariat's coding of those comments by theme."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.extensions import db, utcnow

# What a person may say about a clause (USSD 1/2/3, SMS NDIO/HAPANA/SIJUI, voice keys 1/2/3).
AGREE, DISAGREE, NOT_SURE = "agree", "disagree", "not_sure"
STANCES = (AGREE, DISAGREE, NOT_SURE)


class Consultation(db.Model):  # type: ignore[name-defined,misc]
    """A draft put to the communities clause by clause, and the memorandum that answers it."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(32), unique=True)  # MAONI
    title: Mapped[dict[str, str]] = mapped_column(JSON)  # per language
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # per language
    # The draft: its name, who issues it, and a link to it or an uploaded PDF (a file name
    # under the instance folder's uploads).
    draft_name: Mapped[str] = mapped_column(String(255))
    issuing_body: Mapped[str] = mapped_column(String(255))
    draft_url: Mapped[str | None] = mapped_column(String(500))
    draft_file: Mapped[str | None] = mapped_column(String(255))
    # Who is invited: {"counties": [...], "wards": [...], "platforms": [ids]}; empty: everyone.
    audience: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    opens_at: Mapped[datetime] = mapped_column(index=True)
    closes_at: Mapped[datetime] = mapped_column(index=True)
    # The memorandum's cover: to whom it goes and from whom.
    addressed_to: Mapped[str] = mapped_column(String(255), default="")
    submitted_by: Mapped[str] = mapped_column(String(255), default="Haki Madini Kenya")
    # Demo content: the memorandum and the public pages say it is sample content.
    sample: Mapped[bool] = mapped_column(default=False, server_default=false())
    invited_at: Mapped[datetime | None]  # when the invitations were queued
    # "You said, we did": when the memorandum went in, and when the issuing body answered
    # (with the answer's gist); each date is set when its SMS to the participants is queued.
    submitted_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    response_note: Mapped[str | None] = mapped_column(Text)
    # Shown on the public site (gateway.public) once the secretariat says so.
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    clauses: Mapped[list[Clause]] = relationship(
        order_by="Clause.number", cascade="all, delete-orphan", lazy="selectin"
    )


class Clause(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "consultation_clauses"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1-based: what a person texts (MAONI 3) or picks on USSD
    reference: Mapped[str] = mapped_column(String(64))  # "Regulation 7(2)"
    # Plain-language summary per language; the message lint checks it fits an SMS in at most
    # two segments and the USSD screen when paged.
    summary: Mapped[dict[str, str]] = mapped_column(JSON)


class Position(db.Model):  # type: ignore[name-defined,misc]
    """A person's position on a clause: one per person and clause, the latest counts. It stays
    when the person's data is erased (counts stay); the contact row is anonymised, not removed."""

    __tablename__ = "consultation_positions"
    __table_args__ = (
        UniqueConstraint("clause_id", "contact_id"),
        Index("ix_consultation_positions_consultation_id", "consultation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    clause_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_clauses.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    stance: Mapped[str] = mapped_column(String(16))  # STANCES
    channel: Mapped[str] = mapped_column(String(16))  # ussd, sms, voice
    # Where and in what language the person was, for the memorandum's tables.
    county: Mapped[str | None] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(db.Model):  # type: ignore[name-defined,misc]
    """A person's words on a clause (typed, or recorded by phone). Every comment is kept; erasure
    empties ``text`` and sets ``erased_at`` (the comment is then never quoted nor shown)."""

    __tablename__ = "consultation_comments"
    __table_args__ = (Index("ix_consultation_comments_consultation_id", "consultation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    clause_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_clauses.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str | None] = mapped_column(Text)  # None once erased, or a recording only
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_recordings.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))
    county: Mapped[str | None] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    # The author said yes to "may we quote your words without your name?"
    quote_ok: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The secretariat picked it as a representative quote (only when quote_ok).
    quoted: Mapped[bool] = mapped_column(default=False, server_default=false())
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Theme(db.Model):  # type: ignore[name-defined,misc]
    """A theme in a consultation's codebook (``water``, ``compensation``)."""

    __tablename__ = "consultation_themes"
    __table_args__ = (UniqueConstraint("consultation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")


class Coding(db.Model):  # type: ignore[name-defined,misc]
    """One coder has coded one comment (with the themes in :class:`CommentTheme`, possibly none):
    agreement between coders (Cohen's kappa) counts a theme left off as a "no"."""

    __tablename__ = "consultation_codings"
    __table_args__ = (UniqueConstraint("comment_id", "coder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_comments.id", ondelete="CASCADE")
    )
    coder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    coded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentTheme(db.Model):  # type: ignore[name-defined,misc]
    """A theme a coder gave a comment."""

    __tablename__ = "consultation_comment_themes"
    __table_args__ = (UniqueConstraint("comment_id", "theme_id", "coder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_comments.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[int] = mapped_column(ForeignKey("consultation_themes.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

"""The uploaded draft of a consultation: a PDF kept under the instance folder
(``instance/uploads/drafts/``), checked by its header and capped in size, served to logged-in
staff only (the admin UI; never a public URL)."""

from __future__ import annotations

import secrets
from pathlib import Path

from gateway.settings import current_settings

MAX_DRAFT_BYTES = 10 * 1024 * 1024  # a long regulation with scanned pages
PDF_MAGIC = b"%PDF-"


class DraftRefused(ValueError):
    """An upload that is not a PDF, is empty, or is too big; ``key`` is the admin text."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def drafts_folder() -> Path:
    return current_settings().instance_path / "uploads" / "drafts"


def store_draft(data: bytes) -> str:
    """Keep ``data`` (read up to one byte past the cap) as a new PDF; its file name.

    Raises:
        DraftRefused: empty, over :data:`MAX_DRAFT_BYTES`, or not starting as a PDF does.
    """
    if not data:
        raise DraftRefused("admin.consultations.draft_empty")
    if len(data) > MAX_DRAFT_BYTES:
        raise DraftRefused("admin.consultations.draft_too_big")
    # PDF readers accept the header within the first 1024 bytes; a draft we serve to staff
    # should be plainly a PDF, so it must start with it.
    if not data.startswith(PDF_MAGIC):
        raise DraftRefused("admin.consultations.draft_not_pdf")
    folder = drafts_folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.pdf"  # never the uploader's file name
    (folder / name).write_bytes(data)
    return name


def draft_path(name: str) -> Path | None:
    """The stored draft called ``name``, if it is one of ours and still there."""
    if Path(name).name != name or not name.endswith(".pdf"):
        return None
    path = drafts_folder() / name
    return path if path.is_file() else None


def remove_draft(name: str | None) -> None:
    path = draft_path(name) if name else None
    if path is not None:
        path.unlink(missing_ok=True)

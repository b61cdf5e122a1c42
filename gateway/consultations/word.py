"""The memorandum as a Word file (python-docx): the coalition edits it in Word before it goes in,
so it uses Word's own styles (headings, "Table Grid", "Quote") rather than fixed formatting."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from gateway.consultations.document import Memorandum, Table


def _table(doc: DocumentType, table: Table) -> None:
    doc.add_paragraph(table.caption, style="Caption")
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.headings))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, table.headings, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row, values in zip(grid.rows[1:], table.rows, strict=True):
        for n, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            cell.text = text
            if n and any(ch.isdigit() for ch in text):  # numbers align right, as in the page
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def write_docx(memo: Memorandum) -> bytes:
    """The Word file of ``memo``, as bytes."""
    doc = Document()
    doc.core_properties.title = memo.title
    doc.core_properties.language = memo.language
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(memo.title, level=0)
    if memo.sample:
        notice = doc.add_paragraph()
        run = notice.add_run(memo.sample)
        run.bold = True
    for label, value in memo.cover:
        line = doc.add_paragraph()
        line.add_run(f"{label}: ").bold = True
        line.add_run(value)
    doc.add_page_break()  # type: ignore[no-untyped-call]
    doc.add_heading(memo.method_heading, level=1)
    for paragraph in memo.method:
        doc.add_paragraph(paragraph)
    for table in memo.participation:
        _table(doc, table)
    for section in memo.sections:
        doc.add_heading(section.heading, level=1)
        doc.add_paragraph(section.summary)
        doc.add_paragraph(section.comments)
        _table(doc, section.positions)
        _table(doc, section.themes)
        doc.add_heading(memo.labels["quotes"], level=2)
        if not section.quotes:
            doc.add_paragraph(memo.labels["no_quotes"])
        for quote in section.quotes:
            said = doc.add_paragraph(style="Quote")
            said.add_run(f"\u201c{quote.text}\u201d")
            said.add_run(f" ({quote.where})").italic = False
    doc.add_page_break()  # type: ignore[no-untyped-call]
    doc.add_heading(memo.annex_heading, level=1)
    for table in memo.annex:
        _table(doc, table)
    for note in memo.notes:
        doc.add_paragraph(note)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

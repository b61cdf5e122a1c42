"""The messages lint renders every USSD screen in every language."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from gateway import PROJECT_ROOT


def test_every_screen_of_every_flow_passes_the_lint(runner):
    """Does every screen of the real flow fit 160 GSM-7 characters in every language."""
    result = runner.invoke(args=["messages", "lint"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("no problems")


def test_a_screen_that_no_longer_fits_fails_the_lint(make_app, tmp_path: Path):
    """A translation that makes a screen too long (here the meeting screen, with a long title,
    date and place) is named with its screen and language, and the lint exits 1."""
    messages = tmp_path / "messages"
    shutil.copytree(PROJECT_ROOT / "messages", messages)
    po = messages / "sw" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    catalog["ussd.meeting.detail"].string = (
        "Mkutano: {title}\nTarehe na saa: {when}\nMahali: {place}\n"
        "Tafadhali tuambie kama utahudhuria mkutano huu?"
    )
    with po.open("wb") as handle:
        write_po(handle, catalog)
    app = make_app(flask_config={"MESSAGES_DIR": messages})
    result = app.test_cli_runner().invoke(args=["messages", "lint"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith("sw meeting_detail: screen (page 1) does not fit 160 characters")
        for line in lines
    ), result.output
    assert not any(line.startswith("en meeting_detail") for line in lines)

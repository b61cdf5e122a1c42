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


def test_the_fullest_main_menu_keeps_every_option(app):
    """A caller not yet joined who leads a platform, with a consultation open and a promise
    followed up in their area, sees ten options: does each stay on the screen (the title goes
    first), within 160 characters, in every language?"""
    from gateway.contacts.models import Contact
    from gateway.i18n import catalogs
    from gateway.settings import current_settings
    from gateway.ussd.engine import Context, Hop, Walk
    from gateway.ussd.registry import Handlers
    from gateway.ussd.screens import Renderer

    with app.app_context():
        engine = app.extensions["ussd_engine"]
        real = engine.handlers
        every = {name: (lambda ctx: True) for name in real.conditions}
        renderer = Renderer(Handlers(conditions=every, sources=real.sources, views=real.views))
        node = engine.flow.nodes["main"]
        for language in ("en", "sw", "kam"):
            contact = Contact(phone="+254700000001", language=language)
            settings = current_settings()
            ctx = Context(
                Hop("s", contact.phone, settings.ussd_code, ""), contact, settings, catalogs()
            )
            screen = renderer.render(node, Walk("main", 0), ctx)
            lines = screen.text.split("\n")
            assert len(screen.text) <= 160 and "text" not in screen.dropped, screen.text
            assert [line.split(".")[0] for line in lines] == [str(n) for n in range(1, 11)]
            assert screen.dropped == ("title",), (language, screen.dropped)

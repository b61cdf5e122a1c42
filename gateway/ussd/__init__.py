"""USSD: the menu engine, the flows it walks, session state and end-of-session records."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from gateway.contacts.models import Contact
from gateway.i18n import Catalogs
from gateway.settings import Settings
from gateway.ussd.engine import Context, Engine, Hop, Walk
from gateway.ussd.screens import Screen
from gateway.ussd.sessions import SAME, SavedSession, SessionStore


def build_engine(flows_dir: Path) -> Engine:
    """The engine for ``flows/main.yaml`` with the named handlers registered so far: ussd's own
    and those of every area :mod:`gateway.wiring` imported (they register when imported)."""
    from gateway.ussd import handlers as _common  # noqa: F401
    from gateway.ussd.flow import load_flow
    from gateway.ussd.registry import HANDLERS

    return Engine(load_flow(flows_dir / "main.yaml"), HANDLERS)


def init_app(app: Flask) -> None:
    from gateway.areas import load_areas

    flows_dir = Path(app.config["FLOWS_DIR"])
    app.extensions["areas"] = load_areas(flows_dir / "areas.yaml")
    app.extensions["counties"] = tuple(app.extensions["areas"])
    app.extensions["ussd_engine"] = build_engine(flows_dir)


def engine() -> Engine:
    found: Engine = current_app.extensions["ussd_engine"]
    return found


class HopAnswer:
    """One hop's answer, and what to remember of it once the database has committed."""

    def __init__(
        self, screen: Screen, walk: Walk, ctx: Context, resumable: bool, resume_kept: bool
    ) -> None:
        self.screen, self.walk, self.ctx, self.resumable = screen, walk, ctx, resumable
        self.resume_kept = resume_kept  # the caller's resume point may be in Redis

    def remember(self, store: SessionStore) -> None:
        hop = self.ctx.hop
        saved = SavedSession(hop.text, self.walk.to_dict(), self.ctx.data, self.ctx.resume)
        store.save(hop.session_id, hop.phone, saved, self.resumable, self.resume_kept)


def answer_hop(
    hop: Hop, contact: Contact, settings: Settings, catalogs: Catalogs, store: SessionStore
) -> HopAnswer:
    """Walk the flow for one hop: from the stored position if there is one, else from ``text``."""
    walker = engine()
    ctx = Context(hop, contact, settings, catalogs)
    walk: Walk | None = None
    saved = store.load(hop.session_id)
    new_input = saved.continuation(hop.text) if saved else None
    resume_kept = True  # not known: the position was lost
    if saved is not None and new_input is not None:
        walk = Walk.from_dict(saved.walk)
        ctx.data, ctx.resume = dict(saved.data), saved.resume
        resume_kept = saved.resume_kept
        if new_input != SAME:
            walker.step(walk, new_input, ctx, live=True)
    elif not hop.text:
        ctx.resume = store.resume_for(hop.phone)
        resume_kept = ctx.resume is not None
        walk = walker.start(ctx)
    else:
        walk = walker.replay(ctx)
    screen = walker.render(walk, ctx)
    resumable = walker.node(walk).resumable and not screen.end
    return HopAnswer(screen, walk, ctx, resumable, resume_kept)

"""The voice line: missed calls answered with free call-backs, menus spoken from recorded
prompts in each language, and the final request of each call counted with its cost.

Africa's Talking posts every step of a call to ``/at/voice`` (:mod:`gateway.webhooks.voice`);
the answer is XML (:mod:`.xml`). Prompts are recordings per language (:mod:`.prompts`), stored
as checked sound files (:mod:`.audio`) served at stable URLs (:mod:`.serve`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Serve the stored audio and add ``flask voice lint`` (once, however often called)."""
    from gateway.voice.lint import voice_cli
    from gateway.voice.serve import bp

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
        app.cli.add_command(voice_cli)

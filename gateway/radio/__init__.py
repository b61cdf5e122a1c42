"""Radio call-in: shows, their live feed of listeners' SMS, marks and on-air polls."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the studio's live board (its page and its event stream)."""
    from gateway.radio.board import bp

    app.register_blueprint(bp)

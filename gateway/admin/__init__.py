"""The admin web UI at ``/admin``: server-rendered Jinja pages with a little htmx.

One blueprint; each page's views live in a module of their own here (``contacts.py``,
``broadcasts.py``, ...) with templates under ``templates/admin/<page>/``. Every page needs a
login (Flask-Login) and a role (:mod:`gateway.users.access`); every form post carries a CSRF
token (Flask-WTF; htmx sends it as ``X-CSRFToken`` from the ``<body>``'s ``hx-headers``).
Texts come from the ``admin`` catalogs in ``messages/`` (``t("admin.nav.contacts")`` in a
template), in the user's language. Pages run no inline script and no inline style: the
Content-Security-Policy (:mod:`.security`) forbids both, so charts are SVG with presentation
attributes and progress is ``<progress>``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from flask import Blueprint, Flask

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def init_app(app: Flask, pages: Iterable[str]) -> None:
    """Serve the admin UI with ``pages``: the names of the page modules here, each adding its
    views to ``bp`` when imported (listed in :mod:`gateway.wiring`)."""
    from gateway.admin import security, templating
    from gateway.admin.auth import init_login

    for page in pages:
        importlib.import_module(f"gateway.admin.{page}")
    init_login(app)
    security.init_app(app)
    templating.init_app(app)
    app.register_blueprint(bp)

"""HMK Civic Gateway: SMS and USSD for Haki Madini Kenya's community platforms."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from gateway.settings import Settings, load_settings, refuse_open_callbacks

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the gateway's Flask app.

    Defaults first, then the environment (through :mod:`gateway.settings`), then ``test_config``.
    A test may pass ``GATEWAY`` (a :class:`Settings`) or plain Flask keys.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(test_config or {})
    settings: Settings = app.config.get("GATEWAY") or load_settings(
        instance_path=Path(app.instance_path)
    )
    refuse_open_callbacks(settings)  # also for settings given by a test or a script
    app.config["GATEWAY"] = settings
    if not app.config.get("SECRET_KEY"):  # Flask's defaults hold SECRET_KEY = None
        app.config["SECRET_KEY"] = settings.secret_key
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", settings.database_url)
    # SQL errors in logs must not carry the statement's values (phone numbers, message texts).
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"hide_parameters": True})
    # A request body is read only up to this (413 past it): the API's JSON and the admin forms.
    # Callbacks may be smaller (gateway.webhooks), the CSV import bigger (admin.takes_upload).
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's defaults hold None
        app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.config.setdefault("MESSAGES_DIR", PROJECT_ROOT / "messages")
    app.config.setdefault("FLOWS_DIR", PROJECT_ROOT / "flows")
    app.config.setdefault("API_TITLE", "HMK Civic Gateway API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from gateway import (  # noqa: F401
        cli,
        extensions,
        health,
        i18n,
        metrics,
        models,
        numbers,
        phones,
        wiring,
    )
    from gateway.embedded_redis import redis_url_for

    phones.mask_all_log_records()
    # Before any route is added: every <int:...> id stops at 64 bits (a larger one is a 404).
    app.url_map.converters["int"] = numbers.IdConverter
    app.session_interface = extensions.CookieSessions()
    extensions.init_db(app)
    extensions.init_redis(app, settings.redis_url or redis_url_for(settings.instance_path))
    i18n.init_app(app)
    wiring.init_app(app)  # every area: USSD, callbacks, API, admin, personal data
    health.init_app(app)
    metrics.init_app(app)
    cli.init_app(app)
    return app

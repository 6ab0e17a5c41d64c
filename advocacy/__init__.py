"""Advocacy: write to the officials elected for your postal code, and count every letter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import get_locale

from . import civic
from . import config as config_module
from .civic.budget import GuardedProvider, UpstreamGuard
from .db import Database
from .extensions import babel, csrf, limiter, login_manager
from .mail import mailto_link
from .markup import render_markdown

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _select_locale() -> str:
    from flask import current_app

    return (
        request.accept_languages.best_match(current_app.config["LANGUAGE_LIST"])
        or current_app.config["LANGUAGE_LIST"][0]
    )


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, database, extensions, blueprints and CLI commands."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    settings = config_module.from_environment()
    settings.update(config or {})
    config_module.check_production(settings)
    app.config.update(settings)
    app.config["LANGUAGE_LIST"] = [x.strip() for x in app.config["LANGUAGES"].split(",") if x]
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'advocacy.db'}"
    if not app.config["LETTER_TEMPLATES_DIR"]:
        app.config["LETTER_TEMPLATES_DIR"] = str(PROJECT_ROOT / "letter_templates")
    app.config.update(
        # A supporter may take an hour over a letter: the CSRF token lives as long as the
        # browser session instead of expiring after an hour.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["ENV"] == "production",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=app.config["ENV"] == "production",
        BABEL_DEFAULT_LOCALE=app.config["LANGUAGE_LIST"][0],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )

    app.extensions["advocacy_db"] = Database(
        app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT"]
    )
    session = civic.make_session(app.config)
    guard = UpstreamGuard(
        app.extensions["advocacy_db"],
        per_minute=app.config["UPSTREAM_BUDGET_PER_MINUTE"],
        failure_threshold=app.config["UPSTREAM_FAILURE_THRESHOLD"],
        cooldown=app.config["UPSTREAM_COOLDOWN"],
    )
    app.extensions["advocacy_providers"] = {
        name: GuardedProvider(provider, guard)
        for name, provider in civic.build_providers(
            app.config, session, app.extensions["advocacy_db"]
        ).items()
    }
    app.extensions["advocacy_photos"] = civic.PhotoCache(session, app.config["HTTP_TIMEOUT"])

    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["mailto_link"] = mailto_link

    @app.before_request
    def _upload_limit() -> None:
        # Registered before CSRFProtect, which reads the form: the one upload page may
        # receive more than a letter form.
        if request.endpoint == "admin.targets":
            request.max_content_length = app.config["TARGETS_MAX_BYTES"] + 64 * 1024

    csrf.init_app(app)

    from .views import admin, deliver, errors, public, security

    app.register_blueprint(public.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(deliver.bp)
    errors.register(app)
    security.register(app)

    from .cli import register

    register(app)
    return app

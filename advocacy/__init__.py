"""Advocacy: write to the officials elected for your postal code, and count every letter."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import get_locale

from . import civic, delivery, limiter_storage, locales, supporting
from . import config as config_module
from .campaigns import campaign_text
from .civic.budget import GuardedProvider, UpstreamGuard
from .civic.cache import LookupCache
from .db import Database
from .delivery import secret_bytes
from .extensions import (
    Services,
    babel,
    csrf,
    html_lang,
    limiter,
    login_manager,
    skip_limit_checks,
)
from .mail import mailto_link
from .markup import render_markdown
from .sessions import EncryptedSessionInterface
from .supporting import SupporterPath

PACKAGE_ROOT = Path(__file__).resolve().parent

# Imported where they are used, not at start (issue 13: a server worker loads only what its
# requests need), but looked for at start so a broken install fails there, not on a page.
LAZY_IMPORTS = ("markdown_it", "apispec")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, services, extensions, blueprints, error pages, commands."""
    app = Flask(__name__)  # templates/ and static/ inside the package: installs find them
    check_lazy_imports()
    configure(app, config)
    register_services(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def check_lazy_imports() -> None:
    """Refuse to start when a dependency imported only on use (LAZY_IMPORTS) is missing."""
    missing = [name for name in LAZY_IMPORTS if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(f"missing dependencies: {', '.join(missing)} (pip install -e .)")


def configure(app: Flask, config: dict[str, Any] | None) -> None:
    """Settings from the environment and ``config``; refuse unsafe production settings."""
    settings = config_module.from_environment()
    settings.update(config or {})
    config_module.check_production(settings)
    config_module.check_mail(settings)
    app.config.update(settings)
    app.config["LANGUAGE_LIST"] = [x.strip() for x in app.config["LANGUAGES"].split(",") if x]
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'advocacy.db'}"
    if not app.config["LETTER_TEMPLATES_DIR"]:
        app.config["LETTER_TEMPLATES_DIR"] = str(PACKAGE_ROOT / "letter_templates")
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


def register_services(app: Flask) -> None:
    """The database, the providers behind the shared upstream budget, the lookup cache, the
    photo proxy and the supporter's path, reached through the accessors in extensions.py."""
    config = app.config
    db = Database(config["DATABASE_URL"], config["SQLITE_BUSY_TIMEOUT"])
    app.extensions["advocacy_db"] = db
    http_session = civic.make_session(config)
    guard = UpstreamGuard(
        db,
        per_minute=config["UPSTREAM_BUDGET_PER_MINUTE"],
        failure_threshold=config["UPSTREAM_FAILURE_THRESHOLD"],
        cooldown=config["UPSTREAM_COOLDOWN"],
    )
    providers = {
        name: GuardedProvider(provider, guard)
        for name, provider in civic.build_providers(config, http_session, db).items()
    }
    cache = LookupCache(
        db,
        secret_bytes(config, "lookup-cache"),
        ttl=config["LOOKUP_TTL"],
        stale_max=config["LOOKUP_STALE_MAX"],
        failure_memory=config["LOOKUP_FAILURE_MEMORY"],
        wait=config["LOOKUP_DEADLINE"],
        redis_url=config["REDIS_URL"],  # the lease on a key in flight (civic/coalesce.py)
    )
    app.extensions["advocacy"] = Services(
        db=db,
        providers=providers,
        photos=civic.PhotoCache(http_session, config["HTTP_TIMEOUT"]),
        path=SupporterPath(db, providers, cache, supporting.Settings.from_config(config)),
        delivery=delivery.Rules.from_config(config),
    )


def register_extensions(app: Flask) -> None:
    """Flask extensions, the encrypted session and the template helpers."""
    app.session_interface = EncryptedSessionInterface()
    # Without Redis, each worker keeps its own counts, in a storage safe under threads.
    memory = limiter_storage.ThreadSafeMemoryStorage.STORAGE_SCHEME[0]
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or f"{memory}://"
    limiter.init_app(app)
    login_manager.init_app(app)
    # The language: a /fr/ or /zh-hant/ prefix, else Accept-Language (advocacy/locales.py).
    babel.init_app(app, locale_selector=locales.select_locale)
    locales.register(app)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["mailto_link"] = mailto_link
    # A campaign's title or introduction in the page's language, where the organizer wrote one.
    app.jinja_env.globals["campaign_text"] = lambda c, f: campaign_text(c, f, html_lang())

    @app.before_request
    def _upload_limit() -> None:
        # Registered before CSRFProtect, which reads the form: the one upload page may
        # receive more than a letter form.
        if request.endpoint == "admin.targets":
            request.max_content_length = app.config["TARGETS_MAX_BYTES"] + 64 * 1024

    csrf.init_app(app)


def register_blueprints(app: Flask) -> None:
    """The supporters' pages, the email-delivery pages and the organizers' pages."""
    from .views import admin, deliver, public, security
    from .views import privacy as privacy_views  # issue 10
    from .views import scorecard as scorecard_views  # issue 10
    from .views import statement as statement_views  # issue 10

    security.guard_requests(app)  # before any route: bounded <int:...>, bad Host -> 400
    app.register_blueprint(public.bp)
    skip_limit_checks(app, public.UNLIMITED_PAGES)  # issue 13: GET pages no limit counts
    app.register_blueprint(admin.bp)
    app.register_blueprint(deliver.bp)
    app.register_blueprint(statement_views.bp)
    app.register_blueprint(privacy_views.bp)
    app.register_blueprint(scorecard_views.bp)
    from .views import api, embed  # issue 12: the JSON API and the embeddable page

    app.register_blueprint(api.bp)
    app.register_blueprint(embed.bp)
    from .views import about  # issue 14: who runs a campaign, its privacy page

    app.register_blueprint(about.bp)


def register_errorhandlers(app: Flask) -> None:
    """Error pages (one place) and the security headers on every response."""
    from .views import errors, security

    errors.register(app)
    security.register(app)


def register_commands(app: Flask) -> None:
    """The ``flask``/``advocacy`` commands (imported here only: requests never need them)."""
    from .cli import register

    register(app)

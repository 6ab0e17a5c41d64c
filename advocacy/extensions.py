"""Flask extensions, created unbound and bound to the app in create_app."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import current_app, request
from flask_babel import Babel, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

if TYPE_CHECKING:
    from .civic import PhotoCache, Provider
    from .db import Database
    from .delivery import Rules
    from .supporting import SupporterPath


def client_key() -> str:
    """Who a rate limit counts: a keyed hash of the client's address with a salt that changes
    every day (UTC), so that no limiter storage, Redis included, ever holds an IP address."""
    day = datetime.now(UTC).date().isoformat()
    key = f"{current_app.config['SECRET_KEY']}:limits:{day}".encode()
    return hmac.new(key, get_remote_address().encode(), hashlib.sha256).hexdigest()[:24]


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=False)


def skip_limit_checks(app, pages: frozenset[str]) -> None:
    """Skip Flask-Limiter's check of each request (registered by ``limiter.init_app``) for
    GET and HEAD requests to ``pages``, endpoints no limit counts (every limit here is on a
    form's POST): the check finds nothing for them, and cost a twentieth of the cached
    officials page's time under load (issue 13)."""
    checks = app.before_request_funcs.setdefault(None, [])
    for index, check in enumerate(checks):
        if check == limiter._check_request_limit:

            def limits(check=check):
                if request.method in ("GET", "HEAD") and request.endpoint in pages:
                    return None
                return check()

            checks[index] = limits


@dataclass(frozen=True)
class Services:
    """What create_app builds once and requests share (``app.extensions["advocacy"]``)."""

    db: Database
    providers: Mapping[str, Provider]
    photos: PhotoCache
    path: SupporterPath
    delivery: Rules


def services() -> Services:
    return current_app.extensions["advocacy"]


def providers() -> Mapping[str, Provider]:
    """The providers by name, each behind the shared upstream budget."""
    return services().providers


def supporter_path() -> SupporterPath:
    """The supporter's path (advocacy/supporting.py) of the current app."""
    return services().path


def delivery_rules() -> Rules:
    """The rules of letters the app sends by email, bound from the config."""
    return services().delivery


def photos() -> PhotoCache:
    return services().photos


def html_lang() -> str:
    """The current language as HTML and letters write it (``zh-Hant``; Babel says ``zh_Hant``)."""
    return str(get_locale() or "en").replace("_", "-")

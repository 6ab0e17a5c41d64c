"""Security headers on every response, the client address behind a proxy, the page a
rate-limited client gets, and the requests refused before routing (malformed hosts, integers
no database column holds)."""

from __future__ import annotations

import math
import time

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map, ValidationError

from ..extensions import limiter
from ..wsgi_guard import HostGuard
from .errors import try_again

# The largest value of a 64-bit signed integer column (SQLite's INTEGER, PostgreSQL's BIGINT);
# a larger one makes the database driver raise OverflowError instead of finding nothing.
DATABASE_INT_MAX = 2**63 - 1


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` for database ids: a number no column can hold matches no route (404)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(
            map,
            fixed_digits=fixed_digits,
            min=min,
            max=DATABASE_INT_MAX if max is None else max,
            signed=signed,
        )

    def to_python(self, value: str) -> int:
        # Checked before int(): Python refuses to convert more than 4,300 digits (ValueError).
        if len(value.lstrip("-0")) > len(str(DATABASE_INT_MAX)):
            raise ValidationError()
        return super().to_python(value)


def database_id(raw: str) -> int | None:
    """A form value as a database id, or None when it is not one (not digits, or too big)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw.lstrip("0")) > len(str(DATABASE_INT_MAX)):
        return None
    value = int(raw)
    return value if value <= DATABASE_INT_MAX else None


def guard_requests(app: Flask) -> None:
    """Called before any blueprint is registered (the converter applies to the rules added
    after it): bounded ``<int:...>`` URL parts, and a plain 400 for a malformed ``Host``."""
    app.url_map.converters["int"] = DatabaseIntegerConverter
    # Inside ProxyFix (added later by register): a forwarded host is checked too.
    app.wsgi_app = HostGuard(app.wsgi_app)


def content_security_policy(frame_ancestors: str) -> str:
    """Everything from this site only; no script at all (the app needs none), no inline
    styles, no plugins, forms posting only here."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'none'",
            "style-src 'self'",
            "img-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def register(app: Flask) -> None:
    hops = app.config["PROXY_HOPS"]
    if hops:
        # The client address comes from X-Forwarded-For only as far as our own proxies go.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    policy = content_security_policy(app.config["FRAME_ANCESTORS"])

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        # Only where the policy in force forbids every frame: /embed/<slug> sets its own
        # frame-ancestors (a campaign's partner sites), which X-Frame-Options cannot say.
        if headers["Content-Security-Policy"].endswith("frame-ancestors 'none'"):
            headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded):
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
        page = render_template(
            "error.html",
            status=429,
            title=_("Too many requests"),
            message=_(
                "You have sent many requests in a short time, so we paused them to "
                "protect the campaign from abuse. Nothing you already sent is lost."
            )
            + " "
            + try_again(wait),
        )
        return page, 429, {"Retry-After": str(wait)}

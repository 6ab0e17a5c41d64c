"""Security headers on every response, the client address behind a proxy, and the page a
rate-limited client gets."""

from __future__ import annotations

import math
import time

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from ..extensions import limiter
from .errors import try_again


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
        if app.config["FRAME_ANCESTORS"].strip() == "'none'":
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

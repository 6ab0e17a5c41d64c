"""Configuration: safe defaults, each overridable by an ADVOCACY_* environment variable.

This is the only module that reads ``os.environ``.
"""

from __future__ import annotations

import os
from typing import Any

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production, see check_production


class Defaults:
    """Every setting the app knows, with the value used when nothing overrides it."""

    # "production" unless told otherwise: a forgotten setting fails safe (no dev secret).
    ENV = "production"
    SECRET_KEY = DEV_SECRET_KEY
    # None means "sqlite:///<instance folder>/advocacy.db", resolved in create_app.
    DATABASE_URL: str | None = None
    # Seconds SQLite waits for a lock before giving up.
    SQLITE_BUSY_TIMEOUT = 10.0

    # Open North Represent (Canada), the default provider.
    REPRESENT_URL = "https://represent.opennorth.ca"
    HTTP_TIMEOUT = 4.0  # seconds, per upstream request attempt
    HTTP_RETRIES = 2  # at most, on 429 and 5xx
    HTTP_BACKOFF = 0.3  # seconds, urllib3 backoff factor (jitter is added)
    HTTP_RETRY_AFTER_MAX = 3.0  # seconds we are willing to wait for a Retry-After
    LOOKUP_DEADLINE = 10.0  # seconds, for one whole lookup with its retries
    LOOKUP_TTL = 86400  # seconds a cached lookup is fresh (1 day)
    LOOKUP_STALE_MAX = 30 * 86400  # seconds a cached lookup may be served when upstream fails
    # Seconds an upstream failure for one postal code is remembered: the page after the failed
    # lookup, and reloads, answer at once instead of waiting for the upstream again.
    LOOKUP_FAILURE_MEMORY = 30.0
    # Shared by all workers (in the database): lookups started per provider per minute.
    # Represent allows 60 requests a minute per client; retries of a failing call come on
    # top, which the circuit breaker bounds.
    UPSTREAM_BUDGET_PER_MINUTE = 40
    UPSTREAM_FAILURE_THRESHOLD = 5  # failures in a row that open the circuit
    UPSTREAM_COOLDOWN = 30.0  # seconds an open circuit leaves the upstream alone
    USER_AGENT = "Advocacy/0.1 (letters to elected officials; +https://github.com/advocacy)"

    # United Kingdom: postcodes.io (postcode -> constituency) and the UK Parliament Members API
    # (constituency -> sitting MP and their contact details). Neither needs a key.
    UK_POSTCODES_URL = "https://api.postcodes.io"
    UK_MEMBERS_URL = "https://members-api.parliament.uk"

    # United States: the Census Geocoder (street address -> districts; no key), members of
    # Congress from the congress-legislators data set (``advocacy refresh-us-legislators``),
    # state legislators from Open States v3 only when OPENSTATES_KEY is set.
    US_GEOCODER_URL = "https://geocoding.geo.census.gov/geocoder"
    US_GEOCODER_BENCHMARK = "Public_AR_Current"
    US_GEOCODER_VINTAGE = "Current_Current"
    # Which vintage holds which Congress's districts: a lookup asks for the map of the Congress
    # sitting today (by date, and the stored members must be of it), and refuses an answer of
    # another Congress. From late 2026 Current_Current already has the 120th's map (elected in
    # November 2026, sitting from 3 January 2027); ACS2025_Current has the 119th's.
    US_GEOCODER_VINTAGES = "119=ACS2025_Current,120=Current_Current"
    # Layers of the congressional and state legislative (upper, lower) districts. Layer ids
    # differ between vintages, so "all" by default; answers are read by layer name pattern.
    US_GEOCODER_LAYERS = "all"
    # Issue 11: a keyless geocoder for "enter your street address" when a postal code crosses
    # a district boundary (Nominatim's /search, or a Photon or Nominatim server of the
    # campaign's own; "" turns it off). One request per GEOCODER_INTERVAL seconds for the whole
    # app (Nominatim's usage policy: at most one a second; set a USER_AGENT with a contact).
    GEOCODER_URL = "https://nominatim.openstreetmap.org"
    GEOCODER_INTERVAL = 1.0
    OPENSTATES_URL = "https://v3.openstates.org"
    OPENSTATES_KEY = ""
    US_LEGISLATORS_MAX_BYTES = 20 * 1024 * 1024  # the refresh command refuses larger files

    # Letters and the send page.
    MAILTO_MAX = 1600  # characters; longer mailto: links are cut by Gmail and others
    LETTER_SUBJECT_MAX = 200
    LETTER_BODY_MAX = 10_000
    SUPPORTER_FIELD_MAX = 100

    # Where the demo campaign and other shipped templates live.
    LETTER_TEMPLATES_DIR: str | None = None  # None: the package's letter_templates/

    # Email delivery (optional, per campaign): letters sent by the app after the supporter
    # confirms their address. Off unless SMTP_URL is set, e.g. smtp+starttls://user:pw@host.
    SMTP_URL = ""
    SMTP_TIMEOUT = 10.0
    # The sender: an address of the app's own domain (for DMARC). No default can be right
    # without knowing that domain, so none is given: with SMTP_URL set, start-up refuses
    # until this is set (check_mail).
    MAIL_FROM = ""
    MAIL_FROM_NAME = "Advocacy"
    BOUNCE_ADDRESS = ""  # default: bounces@<MAIL_FROM's domain>; VERP tags are added
    PUBLIC_URL = "http://127.0.0.1:5000"  # the app's address, for links in emails
    CONFIRM_TTL = 86400  # seconds: unconfirmed letters and their addresses are then deleted
    DELIVERY_MAX_ATTEMPTS = 5
    LETTER_TEXT_KEEP = 3 * 86400  # seconds a sent letter's text is kept (to answer a bounce)
    REPEAT_WINDOW = 86400  # seconds: one letter per address, official and campaign
    # At most this many letters by email to one official per window; later ones are held for
    # an organizer to review (WriteToThem does the same to protect offices from floods).
    DELIVERY_CAP_PER_OFFICIAL = 100
    DELIVERY_CAP_WINDOW = 86400
    EMAIL_PEPPER = ""  # key for the HMAC of supporter addresses; default: from SECRET_KEY

    # Security.
    # Who may embed the app in a frame (CSP frame-ancestors): 'none', or e.g.
    # "https://our-campaign.example" for an embed on the campaign's own site.
    FRAME_ANCESTORS = "'none'"
    # How many reverse proxies in front of the app set X-Forwarded-For (0: none; the client
    # address is then the connection's). Never trust the header beyond that.
    PROXY_HOPS = 0
    # The same letter to the same official from the same client within this many seconds
    # counts once (0: every confirmed letter counts).
    DUPLICATE_LETTER_WINDOW = 86400
    MIN_FILL_SECONDS = 5.0  # a letter form sent back sooner than this is refused (robots)
    LOOKUP_RATE_LIMIT = "20 per minute;300 per day"  # postal-code lookups per client address
    SEND_RATE_LIMIT = "10 per minute;100 per day"  # confirmed letters per client address

    # Organizers. Argon2id parameters for their passwords (lower them only for tests).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 65536
    ARGON2_PARALLELISM = 4
    TARGETS_MAX_BYTES = 1024 * 1024  # largest custom-targets CSV accepted
    LOGIN_RATE_LIMIT = "10 per minute;100 per day"  # login attempts per client address
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute;50 per day"  # failed logins per organizer email
    # Rate-limit counters: in this process's memory by default (per worker!); use Redis
    # (redis://host:6379/0) when several workers or hosts serve the app. Lookups in flight
    # are leased there too (civic/coalesce.py); without Redis, in the lookup_leases table.
    REDIS_URL = ""

    # Production server (advocacy serve; docs/deploy.md): gunicorn threaded workers.
    SERVE_BIND = "127.0.0.1:8000"  # HOST:PORT or unix:PATH
    SERVE_WORKERS = 2  # processes, about one per CPU core
    SERVE_THREADS = 8  # per worker: a lookup waiting on the upstream holds one
    SERVE_TIMEOUT = 30.0  # seconds a silent worker lives; kept above LOOKUP_DEADLINE + 10
    # Issue 13: a campaign and its custom targets are kept in each worker's memory; a save
    # through that worker drops them at once, other workers see it within this many seconds.
    CAMPAIGN_MEMO_SECONDS = 5.0

    LANGUAGES = "en,fr,zh-Hant"  # comma-separated BCP 47 tags; the first is the default
    MAX_CONTENT_LENGTH = 64 * 1024  # bytes of request body (uploads have their own limit)


def _coerce(value: str, default: Any) -> Any:
    """Turn an environment string into the type of the default."""
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


def from_environment(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, Any]:
    """The settings: defaults, overridden by ADVOCACY_<NAME> variables."""
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for name in dir(Defaults):
        if not name.isupper():
            continue
        default = getattr(Defaults, name)
        raw = environ.get(f"ADVOCACY_{name}")
        if raw is None or raw == "":
            settings[name] = default
            continue
        try:
            settings[name] = _coerce(raw, default)
        except ValueError as exc:
            raise ValueError(f"ADVOCACY_{name}={raw!r} is not a valid value: {exc}") from exc
    return settings


def check_production(settings: dict[str, Any]) -> None:
    """Refuse to run in production with the development secret key."""
    if settings.get("ENV") != "production":
        return
    key = settings.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 16:
        raise RuntimeError(
            "Refusing to start in production with the development (or a short) secret key: "
            "set ADVOCACY_SECRET_KEY to a long random value, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"`, '
            "or set ADVOCACY_ENV=development on your own machine."
        )


def check_mail(settings: dict[str, Any]) -> None:
    """When email delivery is on (SMTP_URL set), refuse to start unless the SMTP address, the
    sender and the bounce address pass the checks the app applies when it sends; otherwise
    every "send it for me" would fail later, in front of a supporter."""
    if not settings.get("SMTP_URL"):
        return
    # The sending code's own checks, so start-up and sending can never disagree.
    from .mail import SmtpSettings, checked_address

    sender = settings.get("MAIL_FROM") or ""
    try:
        SmtpSettings.from_url(settings["SMTP_URL"])
        if not sender:
            raise ValueError("ADVOCACY_MAIL_FROM is not set")
        sender = checked_address(sender, "ADVOCACY_MAIL_FROM")
        bounce = settings.get("BOUNCE_ADDRESS") or f"bounces@{sender.rsplit('@', 1)[1]}"
        checked_address(bounce, "ADVOCACY_BOUNCE_ADDRESS")
    except ValueError as exc:
        raise RuntimeError(
            f"Email delivery is on (ADVOCACY_SMTP_URL is set) but cannot work: "
            f"{str(exc).rstrip('.')}. Set ADVOCACY_MAIL_FROM to an address of your "
            "campaign's own domain, such as letters@your-campaign.org (and "
            "ADVOCACY_BOUNCE_ADDRESS if bounces go elsewhere), or unset ADVOCACY_SMTP_URL "
            "to let supporters send letters themselves."
        ) from exc

"""The JSON API, /api/v1/: the supporter's path for partner sites, and tallies for partner
dashboards.

- No cookie is read or set: nothing to forge across sites, so no CSRF token (the blueprint is
  exempt from CSRFProtect). Steps hand each other signed tokens (advocacy/handoffs.py).
- Browsers may call a campaign's endpoints only from the origins its organizer listed (CORS);
  a request whose ``Origin`` is another site is refused outright (403 ``origin_not_allowed``),
  so not even a "simple" cross-site POST reaches a view. Servers send no ``Origin``.
- Every error is JSON with a stable ``code`` (see ERROR_CODES) and the right status, for this
  blueprint only: the pages keep theirs (views/errors.py).
"""

from __future__ import annotations

import math
import time

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, NotFound, default_exceptions
from werkzeug.routing import RequestRedirect

from ... import campaigns, civic, partners, supporting
from ...civic.budget import UpstreamBusy
from ...db import database
from ...extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

CORS_HEADERS = "Content-Type, Idempotency-Key, Authorization"
CORS_MAX_AGE = "600"


class ApiError(Exception):
    """An error answered as ``{"code", "message"}`` with ``status``."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict | None = None, **extra
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra


# Every code the API answers with, and its status: clients may rely on them.
ERROR_CODES: dict[str, int] = {
    "bad_request": 400,
    "invalid_json": 400,
    "lookup_invalid": 400,
    "letter_token_invalid": 400,
    "statement_token_invalid": 400,
    "token_required": 401,
    "token_invalid": 401,
    "origin_not_allowed": 403,
    "token_wrong_campaign": 403,
    "not_found": 404,
    "campaign_not_found": 404,
    "official_not_found": 404,
    "no_letter": 404,
    "no_statement": 404,
    "postcode_not_found": 404,
    "method_not_allowed": 405,
    "postcode_needed": 409,
    "letter_changed": 409,
    "statement_changed": 409,
    "campaign_ended": 410,
    "too_large": 413,
    "json_required": 415,
    "invalid_request": 422,
    "invalid_postcode": 422,
    "address_needed": 422,
    "too_fast": 422,
    "rate_limited": 429,
    "internal_error": 500,
    "letter_unavailable": 503,
    "upstream_unavailable": 503,
    "upstream_busy": 503,
    "busy": 503,
}


def _error(status: int, code: str, message: str, headers=None, **extra) -> Response:
    body = {"code": code, "message": message, **extra}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def _retry(seconds: float | None) -> dict:
    return {"Retry-After": str(max(1, math.ceil(seconds)))} if seconds else {}


_PATH_ERRORS: dict[type, tuple[int, str, str]] = {
    supporting.CampaignNotFound: (404, "campaign_not_found", "No open campaign at this address."),
    supporting.CampaignEnded: (410, "campaign_ended", "This campaign has ended."),
    supporting.PostcodeNeeded: (
        409,
        "postcode_needed",
        "Nothing is known here of this postal code any more: look it up again (officials).",
    ),
    supporting.OfficialNotFound: (
        404,
        "official_not_found",
        "Not an official this campaign writes to for this postal code.",
    ),
    supporting.NoLetter: (404, "no_letter", "The campaign has no letter for this official."),
    supporting.LetterUnavailable: (
        503,
        "letter_unavailable",
        "This letter cannot be prepared right now.",
    ),
    supporting.ConfirmationInvalid: (
        400,
        "letter_token_invalid",
        "This letter token does not match the letter.",
    ),
}


def api_error(exc: Exception) -> Response:
    """Every error of the API as JSON (pages keep views/errors.py)."""
    if isinstance(exc, ApiError):
        return _error(exc.status, exc.code, exc.message, exc.headers, **exc.extra)
    if isinstance(exc, RateLimitExceeded):
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
        return _error(
            429,
            "rate_limited",
            "Too many requests from this client; try again later.",
            _retry(wait),
            retry_after=wait,
        )
    if isinstance(exc, RequestRedirect):
        return _error(404, "not_found", "Nothing at this address.")
    if isinstance(exc, HTTPException):
        codes = {
            400: "bad_request",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            415: "json_required",
        }
        status = exc.code or 400
        if status not in codes:
            status = 400
        return _error(status, codes[status], exc.name if exc.code == status else "Bad request.")
    if isinstance(exc, supporting.PostcodeNeeded):
        status, code, message = _PATH_ERRORS[supporting.PostcodeNeeded]
        return _error(status, code, message, address=exc.address)
    if isinstance(exc, supporting.PathError):
        if isinstance(exc, supporting.LetterUnavailable):
            current_app.logger.error("letter cannot be rendered: %s", exc)
        status, code, message = _PATH_ERRORS.get(
            type(exc), (400, "bad_request", "Something is wrong with this request.")
        )
        return _error(status, code, message)
    if isinstance(exc, UpstreamBusy):
        seconds = exc.retry_after or 60
        return _error(
            503,
            "upstream_busy",
            "Many people are writing right now: the lookups of this minute are used up.",
            _retry(seconds),
            retry_after=max(1, math.ceil(seconds)),
        )
    if isinstance(exc, civic.UpstreamUnavailable):
        current_app.logger.warning("upstream unavailable: %s", exc.reason)
        seconds = exc.retry_after or 60
        return _error(
            503,
            "upstream_unavailable",
            (
                "We cannot look up officials right now: the service that lists them is "
                "not answering."
            ),
            _retry(seconds),
            retry_after=max(1, math.ceil(seconds)),
        )
    if isinstance(exc, civic.InvalidPostcode):
        return _error(
            422, "invalid_postcode", "This is not a postal code of the campaign's country."
        )
    if isinstance(exc, civic.PostcodeNotFound):
        return _error(404, "postcode_not_found", "No officials are known for this postal code.")
    if isinstance(exc, civic.AddressNotFound):
        return _error(
            422,
            "address_needed",
            "This provider needs a street address that it can find (with city and state).",
            ambiguous=exc.ambiguous,
        )
    if isinstance(exc, OperationalError) and "database is locked" in str(exc.orig):
        return _error(
            503, "busy", "Too busy to save this right now; send it again.", _retry(5), retry_after=5
        )
    current_app.logger.exception("API error on %s %s", request.method, request.url_rule)
    return _error(500, "internal_error", "Something went wrong on our side.")


# For every exception, and for every status too: a handler the app registers for a status (the
# 429 page) would otherwise be found before this blueprint's handler for Exception.
bp.register_error_handler(Exception, api_error)
for _status in default_exceptions:
    bp.register_error_handler(_status, api_error)


# -- CORS: only the campaign's own partners -------------------------------------------------


def _own_origin() -> str:
    return f"{request.scheme}://{request.host}"


@bp.before_request
def _check_origin():
    """Refuse a browser request from a site the campaign does not list."""
    g.api_origins = None
    origin = request.headers.get("Origin")
    if not origin or origin == _own_origin():
        return None
    slug = (request.view_args or {}).get("slug")
    campaign = campaigns.campaign_by_slug(database(), slug) if isinstance(slug, str) else None
    allowed = partners.origins(database(), campaign.id) if campaign else []
    if not partners.origin_allowed(allowed, origin):
        raise ApiError(403, "origin_not_allowed", "This site may not call this campaign's API.")
    g.api_origins = allowed
    return None


@bp.after_request
def _cors(response: Response) -> Response:
    origin = request.headers.get("Origin")
    allowed = g.get("api_origins")
    if allowed and partners.origin_allowed(allowed, origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    response.headers.add("Vary", "Origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def unknown(rest: str):
    """Anything else under /api/v1/: a JSON 404 (or 405 when the path exists)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in ("GET", "POST"):
        try:
            endpoint, _args = adapter.match(method=method)
        except (HTTPException, RequestRedirect):
            continue
        if endpoint != "api.unknown":
            raise ApiError(405, "method_not_allowed", "This address does not take this method.")
    raise NotFound()


from . import routes  # noqa: E402,F401 - routes register on bp

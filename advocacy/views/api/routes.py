"""The API's endpoints. Each one parses, calls the supporter's path (advocacy/supporting.py)
or the tallies, and answers; its OpenAPI description sits next to it (``document``)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask import current_app, jsonify, request, url_for
from flask_babel import format_date
from marshmallow import Schema, ValidationError

from ... import actions, campaigns, delivery, handoffs, partners, statement, tallies
from ...constants import EditingMode, SignatureDisplay
from ...db import database
from ...extensions import html_lang, limiter, supporter_path
from ...models import Campaign
from ...supporting import ConfirmationInvalid, Proof, contact_method
from . import ApiError, bp, schemas
from .spec import document, openapi_document

IDEMPOTENCY_KEY = re.compile(schemas.TOKEN_PATTERN)
# The same rate limits as the pages, and the same counters: Flask-Limiter keeps a page's limit
# under its endpoint's name, so a limit shared under that name counts the page's requests and
# these together (tests/test_api.py checks that they do).
PAGE_LOOKUP = "public.lookup"
PAGE_SEND = "public.sent"
PAGE_SIGN = "statement.sign"


def _limit(name: str):
    return lambda: current_app.config[name]


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _body(schema: type[Schema]) -> dict:
    """The request's JSON body, checked by ``schema``."""
    if not request.is_json:
        raise ApiError(415, "json_required", "Send a JSON body (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body is not a JSON object.")
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise ApiError(
            422, "invalid_request", "Some fields are missing or wrong.", fields=exc.messages
        ) from None


def _campaign(slug: str) -> Campaign:
    return supporter_path().campaign(slug)


def _today() -> str:
    return format_date(date.today(), format="long")


def _official(official, campaign: Campaign, result) -> dict:
    return {
        "key": official.key,
        "name": official.name,
        "office": official.elected_office,
        "level": official.level,
        "body": official.body,
        "district": official.district_name,
        "district_id": official.district_id,
        "party": official.party,
        "email": official.email,
        "phone": official.phone,
        "web_url": official.web_url,
        "targeted": campaigns.is_targeted(campaign, official),
        "ambiguous": result.is_ambiguous(official),
    }


def _json(schema: type[Schema], data: dict, status: int = 200):
    response = jsonify(schema().dump(data))
    response.status_code = status
    return response


# -- the description ------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI 3.1 document, built from the code (apispec)."""
    response = jsonify(openapi_document(current_app._get_current_object()))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# -- campaigns ------------------------------------------------------------------------------


@bp.get("/campaigns/<slug>")
@document(
    "get",
    summary="A campaign",
    description="Its title, status, goal, how many contacts are counted, and its embed page.",
    response=schemas.Campaign,
    tags=["campaigns"],
)
def campaign(slug: str):
    found = _campaign(slug)
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return _json(
        schemas.Campaign,
        {
            "slug": found.slug,
            "title": found.title,
            "country": found.country,
            "status": str(found.status),
            "goal": found.goal,
            "total": tallies.total(database(), found.id),
            "embed_url": base + url_for("embed.campaign", slug=found.slug),
        },
    )


@bp.post("/campaigns/<slug>/officials")
@limiter.shared_limit(_limit("LOOKUP_RATE_LIMIT"), scope=PAGE_LOOKUP)
@document(
    "post",
    summary="The officials for a postal code",
    description=(
        "The same lookup as the campaign's page: normalisation, cache, shared upstream "
        "budget and errors, and the same rate limit. The postal code goes in the body, never "
        "in a URL. Pass the answer's `lookup` token to `letters`."
    ),
    body=schemas.LookupRequest,
    response=schemas.Lookup,
    tags=["supporters"],
)
def officials(slug: str):
    found = _campaign(slug)
    data = _body(schemas.LookupRequest)
    looked, result = supporter_path().look_up(found, data["postcode"], data.get("address"))
    return _json(
        schemas.Lookup,
        {
            "lookup": handoffs.lookup_token(_secret(), looked),
            "postcode": looked.postcode,
            "stale": result.stale,
            "ambiguous": result.ambiguous,
            "officials": [_official(o, found, result) for o in result.officials],
        },
    )


@bp.post("/campaigns/<slug>/letters")
@document(
    "post",
    summary="The campaign's letter for one official",
    description=(
        "Rendered for the official, in locked and editable parts. Reads only what the "
        "lookup stored (never the upstream): `postcode_needed` (409) means look it up again. "
        "The answer's `letter_token` is what `actions` requires."
    ),
    body=schemas.LetterRequest,
    response=schemas.Letter,
    tags=["supporters"],
)
def letters(slug: str):
    found = _campaign(slug)
    data = _body(schemas.LetterRequest)
    try:
        handoff = handoffs.read_lookup(_secret(), data["lookup"], found.slug)
    except handoffs.HandoffInvalid:
        raise ApiError(400, "lookup_invalid", "This lookup token is not valid.") from None
    path = supporter_path()
    resolved = path.resolve(
        found,
        handoff.looked.postcode,
        data["official"],
        None,
        data.get("language") or html_lang(),
        handoff.looked.districts,
    )
    letter = path.letter(resolved, _today())
    editing = resolved.version.letter.editing if resolved.version else EditingMode.FREE
    token = handoffs.letter_token(
        _secret(),
        handoff,
        resolved,
        path.stamp(),
        handoffs.letter_digest(letter.subject, letter.body),
    )
    return _json(
        schemas.Letter,
        {
            "official": _official(resolved.official, found, resolved.result),
            "version": resolved.version.id if resolved.version else None,
            "editing": str(editing),
            "method": str(contact_method(resolved.official)),
            "subject": letter.subject,
            "body": letter.body,
            "parts": [
                {"text": p.text, "editable": p.editable, "prompt": p.prompt} for p in letter.parts
            ],
            "letter_token": token,
        },
    )


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "description": (
        "A random key the client makes once per action (20 to 64 letters, digits, `-`, `_`): "
        "sending the same key again counts once and answers with the same action."
    ),
    "schema": {"type": "string", "pattern": schemas.TOKEN_PATTERN},
}


@bp.post("/campaigns/<slug>/actions")
@limiter.shared_limit(_limit("SEND_RATE_LIMIT"), scope=PAGE_SEND)
@document(
    "post",
    summary="Record that a supporter sent their letter",
    description=(
        "Counts one contact, once per `Idempotency-Key`, and once per letter from the same "
        "lookup within the campaign's repeat window. Requires the letter's `letter_token`, "
        "issued at least the minimum fill time earlier (`too_fast`, 422), for the letter "
        "version still in use (`letter_changed`, 409). Rate-limited like the pages' "
        "confirmation. Answers 201 when counted now, 200 when counted before."
    ),
    body=schemas.ActionRequest,
    response=schemas.Action,
    status=201,
    extra_responses={200: ("Counted before (the same key or letter)", schemas.Action)},
    parameters=[IDEMPOTENCY_PARAMETER],
    tags=["supporters"],
)
def record(slug: str):
    found = _campaign(slug)
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise ApiError(
            422,
            "invalid_request",
            "An Idempotency-Key header is needed: 20 to 64 letters, digits, - or _.",
            fields={"Idempotency-Key": ["Missing or malformed."]},
        )
    data = _body(schemas.ActionRequest)
    path = supporter_path()
    window = path.settings.repeat_window
    max_age = int(window.total_seconds()) if window > timedelta(0) else handoffs.LOOKUP_MAX_AGE
    try:
        handoff = handoffs.read_letter(_secret(), data["letter_token"], found.slug, max_age)
    except handoffs.HandoffInvalid:
        raise ApiError(
            400, "letter_token_invalid", "This letter token is not valid (or expired)."
        ) from None
    resolved = path.resolve(
        found,
        handoff.looked.postcode,
        handoff.official,
        handoff.version,
        html_lang(),
        handoff.looked.districts,
    )
    version = resolved.version.id if resolved.version else None
    if version != handoff.version:
        raise ApiError(409, "letter_changed", "The letter changed: fetch it again.")
    if path.too_fast(handoff.started):
        raise ApiError(
            422, "too_fast", "Recorded sooner after the letter than a person could send it."
        )
    untouched = True
    if "body" in data or "blocks" in data:
        untouched = path.untouched(resolved, _today(), data.get("body", ""), data.get("blocks"))
    proof = Proof(
        token=key,
        official=resolved.official.key,
        postcode=resolved.postcode,
        version=version,
        started=handoff.started,
        digest=handoff.digest,
        untouched=untouched,
    )
    source = actions.clean_source(data.get("source") or request.args.get("source", ""))
    try:
        recorded = path.record(resolved, proof, handoff.browser, source)
    except actions.InvalidToken:
        raise ConfirmationInvalid("malformed key") from None
    return _json(
        schemas.Action,
        {
            "action_id": recorded.action_id,
            "created": recorded.created,
            "total": tallies.total(database(), found.id),
        },
        201 if recorded.created else 200,
    )


# -- counts -----------------------------------------------------------------------------------


@bp.get("/campaigns/<slug>/counts")
@document(
    "get",
    summary="The public counts",
    description="How many contacts the campaign has, overall and by district.",
    response=schemas.Counts,
    tags=["counts"],
)
def counts(slug: str):
    found = _campaign(slug)
    by_district = tallies.tally(database(), found.id, "district")
    return _json(
        schemas.Counts,
        {
            "total": tallies.total(database(), found.id),
            "goal": found.goal,
            "by_district": [
                {
                    "district": row.values[0],
                    "district_id": row.values[1],
                    "level": row.values[2],
                    "count": row.count,
                }
                for row in by_district.rows
            ],
        },
    )


TALLY_PARAMETERS = [
    {
        "in": "query",
        "name": "by",
        "required": False,
        "schema": {"type": "string", "enum": list(tallies.BY), "default": "district"},
    },
    {
        "in": "query",
        "name": "from",
        "required": False,
        "description": "First UTC day included, YYYY-MM-DD.",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "in": "query",
        "name": "to",
        "required": False,
        "description": "Last UTC day included, YYYY-MM-DD.",
        "schema": {"type": "string", "format": "date"},
    },
]


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@bp.get("/campaigns/<slug>/tallies")
@document(
    "get",
    summary="Tallies for a partner dashboard (token)",
    description=(
        "Counts by district, official, level, day, source, method or wording, over whole UTC "
        "days. Needs an organizer's API token for this campaign (`Authorization: Bearer "
        "...`), made on the campaign's settings page: read-only, one campaign, revocable."
    ),
    response=schemas.Tally,
    parameters=TALLY_PARAMETERS,
    security=[{"token": []}],
    tags=["counts"],
)
def tally(slug: str):
    token = _bearer()
    bearer = {"WWW-Authenticate": "Bearer"}
    if token is None:
        raise ApiError(
            401, "token_required", "Send an API token: Authorization: Bearer ...", bearer
        )
    campaign_id = partners.token_campaign(database(), token)
    if campaign_id is None:
        raise ApiError(401, "token_invalid", "This API token is unknown or revoked.", bearer)
    found = campaigns.campaign_by_slug(database(), slug)
    if found is None or found.id != campaign_id:
        raise ApiError(403, "token_wrong_campaign", "This token is for another campaign.")
    by = request.args.get("by", "district")
    if by not in tallies.BY:
        raise ApiError(
            422, "invalid_request", "Unknown grouping.", fields={"by": [f"One of {tallies.BY}."]}
        )
    try:
        period = tallies.parse_period(request.args.get("from"), request.args.get("to"))
    except tallies.InvalidPeriod as exc:
        raise ApiError(
            422,
            "invalid_request",
            "Dates are written YYYY-MM-DD, the first not after the last.",
            fields={exc.problem: ["Not a date, or out of order."]},
        ) from None
    result = tallies.tally(database(), found.id, by, period)
    return _json(
        schemas.Tally,
        {
            "by": by,
            "total": result.total,
            "rows": [
                {"values": dict(zip(result.columns, row.values, strict=True)), "count": row.count}
                for row in result.rows
            ],
        },
    )


# -- the statement ------------------------------------------------------------------------------


@bp.get("/campaigns/<slug>/statement")
@document(
    "get",
    summary="The campaign's statement",
    description=(
        "The newest version in the asked language (`?language=`, else the request's, else "
        "English), with the signature count. Its `statement_token` is what `signatures` "
        "requires."
    ),
    response=schemas.StatementOut,
    parameters=[
        {"in": "query", "name": "language", "required": False, "schema": {"type": "string"}}
    ],
    tags=["statement"],
)
def statement_text(slug: str):
    found = _campaign(slug)
    version = statement.current(database(), found, request.args.get("language") or html_lang())
    if version is None:
        raise ApiError(404, "no_statement", "This campaign has no statement.")
    return _json(
        schemas.StatementOut,
        {
            "version": version.id,
            "language": version.language,
            "body": version.body,
            "allow_anonymous": version.allow_anonymous,
            "total": statement.total(database(), found.id),
            "statement_token": handoffs.statement_token(
                _secret(), found.slug, version.id, supporter_path().stamp()
            ),
        },
    )


@bp.post("/campaigns/<slug>/signatures")
@limiter.shared_limit(_limit("SEND_RATE_LIMIT"), scope=PAGE_SIGN)
@limiter.shared_limit(_limit("LOOKUP_RATE_LIMIT"), scope=PAGE_SIGN)
@document(
    "post",
    summary="Sign the campaign's statement",
    description=(
        "Counted once per signer (here: per `lookup` token, which stands for the browser), "
        "by district from the signer's lookup (read from the cache, never the upstream). "
        "Requires the `statement_token`, issued at least the minimum fill time earlier. No "
        "email address is taken through the API: news by email needs the confirmation the "
        "campaign's own page sends. Answers 201 when counted now, 200 when signed before."
    ),
    body=schemas.SignatureRequest,
    response=schemas.SignatureOut,
    status=201,
    extra_responses={200: ("Signed before", schemas.SignatureOut)},
    tags=["statement"],
)
def sign(slug: str):
    found = _campaign(slug)
    data = _body(schemas.SignatureRequest)
    try:
        served = handoffs.read_statement(_secret(), data["statement_token"], found.slug)
    except handoffs.HandoffInvalid:
        raise ApiError(
            400, "statement_token_invalid", "This statement token is not valid (or expired)."
        ) from None
    version = statement.get_version(database(), found, served.version)
    if version is None:
        raise ApiError(409, "statement_changed", "The statement changed: fetch it again.")
    try:
        lookup = handoffs.read_lookup(_secret(), data["lookup"], found.slug)
    except handoffs.HandoffInvalid:
        raise ApiError(400, "lookup_invalid", "This lookup token is not valid.") from None
    if supporter_path().too_fast(served.started):
        raise ApiError(422, "too_fast", "Signed sooner after the statement than a person could.")
    display = SignatureDisplay(data["display"])
    name = (data.get("name") or "").strip()
    if display != SignatureDisplay.ANONYMOUS and not name:
        raise ApiError(422, "invalid_request", "A name is needed.", fields={"name": ["Missing."]})
    if display == SignatureDisplay.ANONYMOUS and not version.allow_anonymous:
        raise ApiError(
            422,
            "invalid_request",
            "This statement is not signed anonymously.",
            fields={"display": ["Not allowed."]},
        )
    looked, districts = supporter_path().signing_districts(found, lookup.looked)
    signer = statement.SignatureRequest(
        display=display,
        name=name,
        city=(data.get("city") or "").strip(),
        listed=bool(data.get("listed")) and version.list_signers,
        email="",
        updates=False,
        source=actions.clean_source(data.get("source") or request.args.get("source", "")),
    )
    pepper = delivery.secret_bytes(current_app.config, "email")
    created = True
    try:
        statement.sign(
            database(),
            found,
            version,
            signer,
            statement.signer_keys(pepper, "", lookup.browser),
            looked.postcode,
            districts,
        )
    except statement.AlreadySigned:
        created = False
    return _json(
        schemas.SignatureOut,
        {"created": created, "total": statement.total(database(), found.id)},
        201 if created else 200,
    )

"""The OpenAPI 3.1 document of /api/v1/, built by apispec from the code: the paths from the
app's URL map, each operation from the ``document`` decorator beside its view, the bodies
from the marshmallow schemas that also check the requests (views/api/schemas.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask
from marshmallow import Schema

from . import schemas

# Statuses any operation may answer with (besides its own), all with an Error body.
ERRORS = {
    400: "Malformed request, JSON or token",
    401: "API token missing, unknown or revoked",
    403: "Origin not allowed (CORS), or token for another campaign",
    404: "Campaign, official, letter or postal code not found",
    405: "Method not allowed",
    409: "Postal code to look up again, or the letter or statement changed",
    410: "The campaign has ended",
    413: "Body too large",
    415: "Not a JSON body",
    422: "Invalid fields, postal code or address; recorded too fast",
    429: "Rate limit reached (Retry-After)",
    503: "Upstream unavailable or busy, or the database is busy (Retry-After)",
}
_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def document(method: str, **operation: Any) -> Callable:
    """Attach an operation's description to its view: ``summary``, ``description``,
    ``body`` (request schema), ``response`` (schema), ``status`` (of success, 200),
    ``extra_responses``, ``parameters``, ``security``, ``tags``."""

    def attach(view: Callable) -> Callable:
        view.openapi = (method, operation)  # type: ignore[attr-defined]
        return view

    return attach


def _name(schema: type[Schema]) -> str:
    return schema.__name__


def _operation(operation: dict[str, Any], path_params: list[str]) -> dict[str, Any]:
    status = operation.get("status", 200)
    responses: dict[Any, Any] = {
        str(status): {
            "description": operation["summary"],
            "content": {"application/json": {"schema": _name(operation["response"])}},
        }
    }
    for code, (text, schema) in operation.get("extra_responses", {}).items():
        responses[str(code)] = {
            "description": text,
            "content": {"application/json": {"schema": _name(schema)}},
        }
    for code, text in ERRORS.items():
        responses.setdefault(
            str(code),
            {"description": text, "content": {"application/json": {"schema": "Error"}}},
        )
    parameters = [
        {
            "in": "path",
            "name": name,
            "required": True,
            "schema": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]{1,79}$"},
            "description": "The campaign's address (slug).",
        }
        for name in path_params
    ] + list(operation.get("parameters", []))
    result: dict[str, Any] = {
        "summary": operation["summary"],
        "description": operation.get("description", ""),
        "parameters": parameters,
        "responses": responses,
        "tags": operation.get("tags", []),
    }
    if "body" in operation:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _name(operation["body"])}},
        }
    if "security" in operation:
        result["security"] = operation["security"]
    return result


def build(app: Flask) -> dict[str, Any]:
    # apispec is imported by the one request that asks for the document, not by every worker.
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    spec = APISpec(
        title="Advocacy API",
        version="1",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Find a supporter's officials, get a campaign's letter for one of them, record "
                "the contact, read the counts. No cookies: steps hand each other signed tokens. "
                "Browsers may call a campaign's endpoints only from the origins its organizers "
                "list. Errors are JSON objects with a stable `code`."
            )
        },
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    for schema in (
        schemas.Error,
        schemas.LookupRequest,
        schemas.LetterRequest,
        schemas.ActionRequest,
        schemas.SignatureRequest,
        schemas.Campaign,
        schemas.Lookup,
        schemas.Letter,
        schemas.Action,
        schemas.Counts,
        schemas.Tally,
        schemas.StatementOut,
        schemas.SignatureOut,
    ):
        spec.components.schema(_name(schema), schema=schema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        described = getattr(view, "openapi", None)
        if not rule.endpoint.startswith("api.") or described is None:
            continue
        method, operation = described
        params = _CONVERTER.findall(rule.rule)
        spec.path(
            path=_CONVERTER.sub(r"{\1}", rule.rule),
            operations={method: _operation(operation, params)},
        )
    return spec.to_dict()


_BUILT: WeakKeyDictionary[Flask, dict[str, Any]] = WeakKeyDictionary()


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document, built once per app."""
    if app not in _BUILT:
        _BUILT[app] = build(app)
    return _BUILT[app]

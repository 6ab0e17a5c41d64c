"""The API's request and response bodies as marshmallow schemas: requests are checked with
them, and apispec turns them into the OpenAPI document's components."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from . import ERROR_CODES

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{20,64}$"  # noqa: S105 - a pattern, not a secret


class _In(Schema):
    class Meta:
        unknown = EXCLUDE  # a client may send more than we read; it is ignored


class LookupRequest(_In):
    postcode = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={
            "description": "The postal code in any spelling (k1p 5g4, K1P-5G4...).",
            "example": "K1P 5G4",
        },
    )
    address = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Street address, only for providers that need one (US)."},
    )


class LetterRequest(_In):
    lookup = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4096),
        metadata={"description": "The `lookup` token of the officials answer."},
    )
    official = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The `key` of one of the officials the campaign writes to."},
    )
    language = fields.String(
        validate=validate.Length(max=20),
        metadata={"description": "The letter's language, e.g. `en`, `fr`, `zh-Hant`."},
    )


class ActionRequest(_In):
    letter_token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4096),
        metadata={"description": "The `letter_token` of the letter the supporter sent."},
    )
    body = fields.String(
        validate=validate.Length(max=20_000),
        metadata={
            "description": 'The body as sent ("free" letters), only to tell whether '
            "the supporter changed the campaign's text; never stored."
        },
    )
    blocks = fields.List(
        fields.String(validate=validate.Length(max=20_000)),
        validate=validate.Length(max=20),
        metadata={"description": 'The editable blocks as sent ("blocks" letters); never stored.'},
    )
    source = fields.String(
        validate=validate.Length(max=40),
        metadata={
            "description": "Who brought the supporter (a partner's code): counted per source."
        },
    )


class SignatureRequest(_In):
    statement_token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4096),
        metadata={"description": "The `statement_token` of the statement the supporter read."},
    )
    lookup = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4096),
        metadata={
            "description": "The `lookup` token of the signer's officials: signatures are "
            "counted by district."
        },
    )
    display = fields.String(
        required=True,
        validate=validate.OneOf(["anonymous", "initials", "name"]),
        metadata={
            "description": "anonymous (only counted, where the statement allows it), "
            "initials (and city), or name."
        },
    )
    name = fields.String(validate=validate.Length(max=100))
    city = fields.String(validate=validate.Length(max=100))
    listed = fields.Boolean(
        metadata={"description": "Shown in the public list of signers (where there is one)."}
    )
    source = fields.String(validate=validate.Length(max=40))


class Error(Schema):
    code = fields.String(
        required=True,
        validate=validate.OneOf(sorted(ERROR_CODES)),
        metadata={"description": "Stable, for programs."},
    )
    message = fields.String(required=True, metadata={"description": "For people, in English."})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Per request field, what is wrong (invalid_request only)."},
    )
    retry_after = fields.Integer(metadata={"description": "Seconds to wait (429 and 503)."})


class Campaign(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    country = fields.String(required=True)
    status = fields.String(required=True)
    goal = fields.Integer(required=True, allow_none=True)
    total = fields.Integer(required=True, metadata={"description": "Contacts counted so far."})
    embed_url = fields.String(required=True)


class Official(Schema):
    key = fields.String(
        required=True, metadata={"description": "Names this official in `letters`."}
    )
    name = fields.String(required=True)
    office = fields.String(required=True)
    level = fields.String(required=True)
    body = fields.String(required=True)
    district = fields.String(required=True)
    district_id = fields.String(required=True)
    party = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True)
    web_url = fields.String(required=True)
    targeted = fields.Boolean(
        required=True, metadata={"description": "Whether the campaign writes to this official."}
    )
    ambiguous = fields.Boolean(
        required=True,
        metadata={
            "description": "The postal code crosses a boundary: one of several "
            "candidates for the same office."
        },
    )


class Lookup(Schema):
    lookup = fields.String(
        required=True, metadata={"description": "Signed; pass it to `letters` (valid a day)."}
    )
    postcode = fields.String(required=True)
    stale = fields.Boolean(
        required=True, metadata={"description": "Served from an old answer: may be outdated."}
    )
    ambiguous = fields.Boolean(required=True)
    officials = fields.List(fields.Nested(Official), required=True)


class Part(Schema):
    text = fields.String(required=True)
    editable = fields.Boolean(required=True)
    prompt = fields.String(required=True, allow_none=True)


class Letter(Schema):
    official = fields.Nested(Official, required=True)
    version = fields.Integer(required=True, allow_none=True)
    editing = fields.String(
        required=True,
        validate=validate.OneOf(["free", "blocks"]),
        metadata={"description": "free: anything may change; blocks: only the editable parts."},
    )
    method = fields.String(
        required=True, metadata={"description": "mailto, web_form or phone: how to reach them."}
    )
    subject = fields.String(required=True)
    body = fields.String(required=True)
    parts = fields.List(fields.Nested(Part), required=True)
    letter_token = fields.String(
        required=True,
        metadata={
            "description": "Signed; `actions` requires it. Not accepted sooner than the "
            "campaign's minimum fill time after it was issued."
        },
    )


class Action(Schema):
    action_id = fields.Integer(required=True)
    created = fields.Boolean(
        required=True,
        metadata={"description": "False when this key (or letter) was counted already."},
    )
    total = fields.Integer(required=True)


class DistrictCount(Schema):
    district = fields.String(required=True)
    district_id = fields.String(required=True)
    level = fields.String(required=True)
    count = fields.Integer(required=True)


class Counts(Schema):
    total = fields.Integer(required=True)
    goal = fields.Integer(required=True, allow_none=True)
    by_district = fields.List(fields.Nested(DistrictCount), required=True)


class TallyRow(Schema):
    values = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    count = fields.Integer(required=True)


class Tally(Schema):
    by = fields.String(required=True)
    total = fields.Integer(required=True)
    rows = fields.List(fields.Nested(TallyRow), required=True)


class StatementOut(Schema):
    version = fields.Integer(required=True)
    language = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "Markdown, without HTML."})
    allow_anonymous = fields.Boolean(required=True)
    total = fields.Integer(required=True, metadata={"description": "Signatures so far."})
    statement_token = fields.String(
        required=True,
        metadata={
            "description": "Signed; `signatures` requires it, not sooner than the "
            "minimum fill time after it was issued."
        },
    )


class SignatureOut(Schema):
    created = fields.Boolean(
        required=True, metadata={"description": "False: this signer had signed already."}
    )
    total = fields.Integer(required=True)

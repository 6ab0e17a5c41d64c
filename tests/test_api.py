"""The JSON API (/api/v1/): the supporter's path for partner sites, counts, tokens, CORS, JSON
errors, and its OpenAPI document checked by schemathesis against the app."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from advocacy import create_app, handoffs, partners
from advocacy.campaigns import campaign_by_slug
from advocacy.models import ContactAction
from advocacy.supporting import Looked
from advocacy.views.api import ERROR_CODES
from tests.conftest import DEMO_SLUG, test_config

BASE = f"/api/v1/campaigns/{DEMO_SLUG}"
MP = "Alexandra Placeholder"
KEY = "k" * 24
PARTNER = "https://partner.example"
SCHEMATHESIS_EXAMPLES = 20  # per operation; the run stays well under a minute


def look_up(client, code="K1P 5G4", **headers):
    return client.post(f"{BASE}/officials", json={"postcode": code}, headers=headers)


def mp_letter(client, represent):
    represent.add("K1P5G4")
    found = look_up(client).get_json()
    mp = next(o for o in found["officials"] if o["name"] == MP)
    return client.post(
        f"{BASE}/letters", json={"lookup": found["lookup"], "official": mp["key"]}
    ).get_json()


def actions(db) -> list[ContactAction]:
    with db.reader() as session:
        return list(session.scalars(select(ContactAction)))


def campaign_id(db) -> int:
    return campaign_by_slug(db, DEMO_SLUG).id


def test_a_supporter_path_through_the_api_counts_once(client, db, represent):
    represent.add("K1P5G4")
    answer = look_up(client, " k1p-5g4 ")
    assert answer.status_code == 200
    found = answer.get_json()
    assert found["postcode"] == "K1P 5G4"
    mp = next(o for o in found["officials"] if o["name"] == MP)
    assert mp["targeted"] is True and mp["office"] == "MP"
    assert any(not o["targeted"] for o in found["officials"])

    letter = client.post(f"{BASE}/letters", json={"lookup": found["lookup"], "official": mp["key"]})
    assert letter.status_code == 200
    letter = letter.get_json()
    assert MP.split()[-1] in letter["body"] and letter["subject"]
    assert letter["editing"] in ("free", "blocks") and letter["parts"]
    assert letter["official"]["key"] == mp["key"]

    body = {"letter_token": letter["letter_token"], "source": "partner-x"}
    first = client.post(f"{BASE}/actions", json=body, headers={"Idempotency-Key": KEY})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["created"] is True and first.get_json()["total"] == 1
    again = client.post(f"{BASE}/actions", json=body, headers={"Idempotency-Key": KEY})
    assert again.status_code == 200
    assert again.get_json() == {**first.get_json(), "created": False}

    [stored] = actions(db)
    assert stored.source == "partner-x" and stored.official_name == MP
    assert stored.postcode_prefix == "K1P" and stored.personalized is False
    counts = client.get(f"{BASE}/counts").get_json()
    assert counts["total"] == 1
    assert counts["by_district"] == [
        {
            "district": stored.district_name,
            "district_id": stored.district_id,
            "level": "federal",
            "count": 1,
        }
    ]
    assert represent.calls("K1P5G4") == 1  # only the lookup asked the upstream


def test_no_cookie_is_set_and_no_csrf_token_is_needed(client, represent):
    represent.add("K1P5G4")
    answer = look_up(client)
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"


def test_an_edited_letter_is_counted_as_personalized(client, db, represent):
    letter = mp_letter(client, represent)
    body = {"letter_token": letter["letter_token"], "body": letter["body"] + "\nMy own words."}
    answer = client.post(f"{BASE}/actions", json=body, headers={"Idempotency-Key": KEY})
    assert answer.status_code == 201
    assert actions(db)[0].personalized is True


def test_the_letter_reads_only_the_cache(client, app, represent):
    # A lookup token for a code this app never looked up: no upstream call, 409.
    token = handoffs.lookup_token(app.config["SECRET_KEY"], Looked(DEMO_SLUG, "K1P 5G4"))
    answer = client.post(f"{BASE}/letters", json={"lookup": token, "official": "0" * 16})
    assert answer.status_code == 409
    assert answer.get_json()["code"] == "postcode_needed"
    assert represent.calls("K1P5G4") == 0


def test_a_forged_or_foreign_letter_token_is_refused(client, db, represent):
    letter = mp_letter(client, represent)
    forged = letter["letter_token"][:-2] + ("AA" if letter["letter_token"][-2:] != "AA" else "BB")
    answer = client.post(
        f"{BASE}/actions", json={"letter_token": forged}, headers={"Idempotency-Key": KEY}
    )
    assert answer.status_code == 400 and answer.get_json()["code"] == "letter_token_invalid"
    # A lookup token is not a letter token (another salt).
    lookup = look_up(client).get_json()["lookup"]
    answer = client.post(
        f"{BASE}/actions", json={"letter_token": lookup}, headers={"Idempotency-Key": KEY}
    )
    assert answer.get_json()["code"] == "letter_token_invalid"
    assert actions(db) == []


def test_recording_needs_an_idempotency_key(client, db, represent):
    letter = mp_letter(client, represent)
    answer = client.post(f"{BASE}/actions", json={"letter_token": letter["letter_token"]})
    assert answer.status_code == 422
    assert answer.get_json()["code"] == "invalid_request"
    assert "Idempotency-Key" in answer.get_json()["fields"]
    assert actions(db) == []


def test_recording_sooner_than_a_person_could_is_refused(tmp_path, represent):
    app = create_app(test_config(tmp_path, MIN_FILL_SECONDS=30.0))
    app.test_cli_runner().invoke(args=["init-db"])
    app.test_cli_runner().invoke(args=["seed-demo"])
    client = app.test_client()
    letter = mp_letter(client, represent)
    answer = client.post(
        f"{BASE}/actions",
        json={"letter_token": letter["letter_token"]},
        headers={"Idempotency-Key": KEY},
    )
    assert answer.status_code == 422 and answer.get_json()["code"] == "too_fast"


def test_one_letter_token_counts_once_within_the_repeat_window(tmp_path, represent):
    app = create_app(test_config(tmp_path, DUPLICATE_LETTER_WINDOW=3600))
    app.test_cli_runner().invoke(args=["init-db"])
    app.test_cli_runner().invoke(args=["seed-demo"])
    client = app.test_client()
    letter = mp_letter(client, represent)
    body = {"letter_token": letter["letter_token"]}
    first = client.post(f"{BASE}/actions", json=body, headers={"Idempotency-Key": KEY})
    other = client.post(f"{BASE}/actions", json=body, headers={"Idempotency-Key": "z" * 24})
    assert first.status_code == 201 and other.status_code == 200
    assert other.get_json()["action_id"] == first.get_json()["action_id"]
    assert other.get_json()["total"] == 1


ERROR_CASES = [
    (("post", f"{BASE}/officials", {"json": {"postcode": "12345"}}), 422, "invalid_postcode"),
    (("post", f"{BASE}/officials", {"json": {}}), 422, "invalid_request"),
    (("post", f"{BASE}/officials", {"data": "postcode=K1P5G4"}), 415, "json_required"),
    (
        ("post", f"{BASE}/officials", {"data": "[1", "content_type": "application/json"}),
        400,
        "invalid_json",
    ),
    (
        ("post", "/api/v1/campaigns/nope/officials", {"json": {"postcode": "K1P5G4"}}),
        404,
        "campaign_not_found",
    ),
    (("get", "/api/v1/nothing/here", {}), 404, "not_found"),
    (("delete", f"{BASE}/counts", {}), 405, "method_not_allowed"),
    (
        ("post", f"{BASE}/officials", {"data": "x" * 70_000, "content_type": "application/json"}),
        413,
        "too_large",
    ),
    (("get", f"{BASE}/officials", {}), 405, "method_not_allowed"),
    (
        ("post", f"{BASE}/letters", {"json": {"lookup": "x", "official": "y"}}),
        400,
        "lookup_invalid",
    ),
    (("get", f"{BASE}/tallies", {}), 401, "token_required"),
    (
        ("get", f"{BASE}/tallies", {"headers": {"Authorization": "Bearer adv_nope"}}),
        401,
        "token_invalid",
    ),
]


def test_errors_are_json_with_a_stable_code(client):
    for (method, url, kwargs), status, code in ERROR_CASES:
        answer = getattr(client, method)(url, **kwargs)
        assert answer.status_code == status, (url, answer.get_data(as_text=True))
        assert answer.is_json
        assert answer.get_json()["code"] == code
        assert code in ERROR_CODES


def test_upstream_down_is_a_503_with_retry_after(client, db, represent):
    from advocacy.models import Campaign

    with db.write() as session:  # without its custom targets, which answer even then
        session.scalar(select(Campaign)).target_mode = "provider"
    represent.add("K1P5G4", body={}, status=503)
    answer = look_up(client)
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "upstream_unavailable"
    assert int(answer.headers["Retry-After"]) >= 1


def test_the_lookup_has_the_pages_rate_limit(tmp_path, represent):
    app = create_app(test_config(tmp_path, LOOKUP_RATE_LIMIT="2 per minute"))
    app.test_cli_runner().invoke(args=["init-db"])
    app.test_cli_runner().invoke(args=["seed-demo"])
    client = app.test_client()
    represent.add("K1P5G4")
    assert [look_up(client).status_code for _ in range(2)] == [200, 200]
    limited = look_up(client)
    assert limited.status_code == 429
    assert limited.get_json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1


# -- CORS -----------------------------------------------------------------------------------


def test_cors_only_for_the_campaigns_partners(client, db, represent):
    partners.set_origins(db, campaign_id(db), [PARTNER])
    represent.add("K1P5G4")
    allowed = look_up(client, Origin=PARTNER)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "Origin" in allowed.headers["Vary"]

    preflight = client.options(
        f"{BASE}/actions",
        headers={
            "Origin": PARTNER,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]

    refused = look_up(client, Origin="https://elsewhere.example")
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert represent.calls("K1P5G4") == 1  # the refused one never reached the lookup


def test_origins_are_normalised_and_checked():
    assert partners.parse_origins(
        "https://Partner.Example/\nhttp://localhost:8080 , https://partner.example:443"
    ) == [
        "https://partner.example",
        "http://localhost:8080",
    ]
    for bad in (
        "partner.example",
        "https://partner.example/page",
        "ftp://x.example",
        "https://*.example",
        "https://user@x.example",
        "javascript:alert(1)",
    ):
        with pytest.raises(partners.InvalidOrigin):
            partners.normalize_origin(bad)


# -- organizer API tokens ---------------------------------------------------------------------


def test_a_token_reads_its_campaigns_tallies_until_revoked(client, db, represent):
    letter = mp_letter(client, represent)
    client.post(
        f"{BASE}/actions",
        json={"letter_token": letter["letter_token"], "source": "partner-x"},
        headers={"Idempotency-Key": KEY},
    )
    token = partners.create_token(db, campaign_id(db), "Partner dashboard", "o@example.org")
    auth = {"Authorization": f"Bearer {token}"}
    answer = client.get(f"{BASE}/tallies?by=source", headers=auth)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "by": "source",
        "total": 1,
        "rows": [{"values": {"source": "partner-x"}, "count": 1}],
    }
    bad_date = client.get(f"{BASE}/tallies?from=yesterday", headers=auth)
    assert bad_date.status_code == 422
    # Stored hashed: the token itself is nowhere in the table.
    [info] = partners.tokens(db, campaign_id(db))
    assert info.hint == token[:10] and not info.revoked
    with db.reader() as session:
        from advocacy.models import ApiToken

        stored = session.scalars(select(ApiToken)).one()
        assert token not in (stored.token_hash, stored.hint, stored.name)

    assert partners.revoke_token(db, campaign_id(db), info.id)
    answer = client.get(f"{BASE}/tallies", headers=auth)
    assert answer.status_code == 401 and answer.get_json()["code"] == "token_invalid"


def test_a_token_reads_one_campaign_only(client, db):
    from advocacy import campaigns

    other = campaigns.save_campaign(
        db,
        None,
        {
            "title": "Other",
            "slug": "other-campaign",
            "introduction": "",
            "provider": "represent",
            "country": "CA",
            "target_offices": ["MP"],
            "status": "live",
            "target_mode": "provider",
            "server_delivery": False,
            "goal": None,
        },
    )
    token = partners.create_token(db, other.id, "Other partner", None)
    answer = client.get(f"{BASE}/tallies", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "token_wrong_campaign"
    # Read-only: the token opens nothing else (it is no session, and no admin page takes it).
    admin = client.get("/admin/", headers={"Authorization": f"Bearer {token}"})
    assert admin.status_code in (302, 401)


# -- the description --------------------------------------------------------------------------


def test_the_openapi_document_is_3_1_and_lists_every_endpoint(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    spec = answer.get_json()
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == {
        "/api/v1/campaigns/{slug}",
        "/api/v1/campaigns/{slug}/officials",
        "/api/v1/campaigns/{slug}/letters",
        "/api/v1/campaigns/{slug}/actions",
        "/api/v1/campaigns/{slug}/counts",
        "/api/v1/campaigns/{slug}/tallies",
        "/api/v1/campaigns/{slug}/statement",
        "/api/v1/campaigns/{slug}/signatures",
    }
    assert "LookupRequest" in spec["components"]["schemas"]


@pytest.fixture
def api_schema(tmp_path, upstream):
    """The document of an app whose upstream answers every postal code (recorded body), with
    limits high enough that the generated requests reach the views."""
    import re

    import schemathesis

    from tests.conftest import REPRESENT, represent_body

    upstream.get(re.compile(rf"{REPRESENT}/postcodes/.*"), json=represent_body("K1P5G4"))
    app = create_app(
        test_config(
            tmp_path,
            LOOKUP_RATE_LIMIT="100000 per minute",
            SEND_RATE_LIMIT="100000 per minute",
            UPSTREAM_BUDGET_PER_MINUTE=100000,
        )
    )
    for command in (["init-db"], ["seed-demo"]):
        assert app.test_cli_runner().invoke(args=command).exit_code == 0
    token = partners.create_token(app.extensions["advocacy_db"], 1, "schemathesis", None)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), token
    app.extensions["advocacy_db"].engine.dispose()


def test_schemathesis_finds_no_server_error_and_no_schema_breach(api_schema):
    """schemathesis generates requests (valid and not) from the document for every operation
    and sends them to the app: no 5xx, every status documented, every body matching its
    schema. (Driven through hypothesis directly: schemathesis's pytest plugin does not run
    under pytest 9.)"""
    document, token = api_schema
    operations = [result.ok() for result in document.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        _fuzz(operation, token)


def _fuzz(operation, token: str) -> None:
    from hypothesis import given
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    calls = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=SCHEMATHESIS_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        # Mostly the demo campaign (a random slug finds nothing) and, for the tallies, mostly
        # a valid token: the views, not only the 404s, must answer by the schema.
        calls.append(case)
        if len(calls) % 4:
            case.path_parameters = {**(case.path_parameters or {}), "slug": DEMO_SLUG}
            if "tallies" in case.path:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        # Every check but "schema-valid data is accepted": the lookup and letter tokens are
        # signed by the server, which no schema lets a generator produce.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()


def test_organizers_make_a_token_once_and_revoke_it(client, runner, db):
    from tests.admin_helpers import create_organizer, login
    from tests.helpers import csrf_token

    create_organizer(runner)
    login(client)
    cid = campaign_id(db)
    settings = f"/admin/campaigns/{cid}/edit"
    page = client.get(settings).get_data(as_text=True)
    made = client.post(
        f"/admin/campaigns/{cid}/partners/tokens",
        data={"csrf_token": csrf_token(page), "name": "Partner dashboard"},
    )
    assert made.status_code == 201
    token = re.search(
        r'id="api-token" type="text" readonly value="([^"]+)"', made.get_data(as_text=True)
    ).group(1)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{BASE}/tallies", headers=auth).status_code == 200
    page = client.get(settings).get_data(as_text=True)
    assert "Partner dashboard" in page and token[:10] in page
    assert token not in page  # shown once only
    token_id = re.search(r'name="token_id" value="(\d+)"', page).group(1)
    revoked = client.post(
        f"/admin/campaigns/{cid}/partners/tokens/revoke",
        data={"csrf_token": csrf_token(page), "token_id": token_id},
    )
    assert revoked.status_code == 303
    assert client.get(f"{BASE}/tallies", headers=auth).status_code == 401
    assert "revoked" in client.get(settings).get_data(as_text=True)


# -- the statement ----------------------------------------------------------------------------


def test_signing_the_statement_counts_once_by_district(client, db, represent):
    from advocacy.models import Signature, SignatureDistrict

    represent.add("K1P5G4")
    lookup = look_up(client).get_json()["lookup"]
    text = client.get(f"{BASE}/statement").get_json()
    assert text["body"] and text["total"] == 0
    body = {
        "statement_token": text["statement_token"],
        "lookup": lookup,
        "display": "initials",
        "name": "Mei Example",
        "city": "Ottawa",
        "source": "partner-x",
    }
    first = client.post(f"{BASE}/signatures", json=body)
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"created": True, "total": 1}
    again = client.post(f"{BASE}/signatures", json=body)
    assert again.status_code == 200 and again.get_json() == {"created": False, "total": 1}
    with db.reader() as session:
        [signature] = session.scalars(select(Signature)).all()
        districts = session.scalars(select(SignatureDistrict.district_name)).all()
    assert signature.shown_as == "M. E., Ottawa" and signature.source == "partner-x"
    assert signature.email == "" and signature.postcode_prefix == "K1P"
    assert districts  # counted where the signer lives
    assert represent.calls("K1P5G4") == 1
    nameless = client.post(f"{BASE}/signatures", json={**body, "name": ""})
    assert nameless.status_code == 422 and nameless.get_json()["code"] == "invalid_request"
    forged = client.post(f"{BASE}/signatures", json={**body, "statement_token": lookup})
    assert forged.get_json()["code"] == "statement_token_invalid"


def test_the_api_and_the_pages_share_the_lookup_counter(tmp_path, represent):
    from tests.helpers import lookup as page_lookup

    app = create_app(test_config(tmp_path, LOOKUP_RATE_LIMIT="2 per minute"))
    for command in (["init-db"], ["seed-demo"]):
        assert app.test_cli_runner().invoke(args=command).exit_code == 0
    client = app.test_client()
    represent.add("K1P5G4")
    assert page_lookup(client, "K1P 5G4", follow=False).status_code == 303
    assert look_up(client).status_code == 200
    assert look_up(client).status_code == 429  # the page's lookup counted too
    assert page_lookup(client, "K1P 5G4", follow=False).status_code == 429

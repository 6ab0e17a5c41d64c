"""Fuzzing every form and endpoint with hypothesis through the test client (400 examples each
by default, ADVOCACY_FUZZ_EXAMPLES=2000 for a deeper run): whatever arrives, the answer is never
a server error. tests/test_server_fuzz.py sends raw requests to a real server process too."""

from __future__ import annotations

import os
import re
from urllib.parse import quote

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advocacy import create_app
from advocacy.civic.represent import parse_postcode

from .admin_helpers import create_organizer, login
from .conftest import DEMO_SLUG, REPRESENT, represent_body, test_config

# Deterministic (derandomize): the same examples every run. 400 keeps `make test` within its
# budget; the raw-request server fuzz covers what the test client cannot send.
EXAMPLES = int(os.environ.get("ADVOCACY_FUZZ_EXAMPLES", "400"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BASE = f"/c/{DEMO_SLUG}"
MP_KEY = next(
    o.key
    for o in parse_postcode(represent_body("K1P5G4"), "K1P 5G4").officials
    if o.elected_office == "MP"
)

text = st.text(max_size=300)
short = st.text(max_size=40)
maybe = st.one_of(st.none(), text)
postcodes = st.one_of(st.just("K1P 5G4"), st.just("K0K 0K0"), short)


def form(**fields) -> st.SearchStrategy[dict]:
    """Any subset of the fields, each any text (or absent)."""
    return st.fixed_dictionaries({}, optional={name: s for name, s in fields.items()})


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fuzz")
    # Rate limits raised, not switched off: Flask-Limiter's switch is global to the extension.
    lots = "1000000 per minute"
    app = create_app(
        test_config(
            tmp_path,
            WTF_CSRF_ENABLED=False,
            LOOKUP_RATE_LIMIT=lots,
            SEND_RATE_LIMIT=lots,
            LOGIN_RATE_LIMIT=lots,
            UPSTREAM_BUDGET_PER_MINUTE=10**9,
            SMTP_URL="smtp://127.0.0.1:9",
            MAIL_FROM="l@advocacy.example",
        )
    )
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo"])
    create_organizer(runner)
    return app


@pytest.fixture
def stub(upstream):
    def answer(request):
        code = request.url.rstrip("/").rsplit("/", 1)[-1]
        if code == "K1P5G4":
            import json

            return 200, {}, json.dumps(represent_body("K1P5G4"))
        return 404, {}, '{"detail": "Not found."}'

    upstream.add_callback(
        responses.GET, re.compile(rf"{re.escape(REPRESENT)}/postcodes/.*"), callback=answer
    )
    return upstream


@pytest.fixture
def client(fuzz_app, stub):
    client = fuzz_app.test_client()
    client.post(f"{BASE}/lookup", data={"postcode": "K1P 5G4"})  # a postal code in session
    return client


@pytest.fixture
def organizer(fuzz_app, stub):
    client = fuzz_app.test_client()
    with fuzz_app.test_request_context():
        pass
    fuzz_app.config["WTF_CSRF_ENABLED"] = True
    login(client)
    fuzz_app.config["WTF_CSRF_ENABLED"] = False
    return client


def ok(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]


@FUZZ
@given(data=form(postcode=postcodes, address=maybe, source=short), source=short)
def test_lookup(client, data, source):
    ok(client.post(f"{BASE}/lookup", query_string={"source": source}, data=data))


@FUZZ
@given(source=text, path=short)
def test_campaign_and_pages(client, source, path):
    ok(client.get(f"{BASE}/", query_string={"source": source}))
    ok(client.get(f"/c/{quote(path, safe='')}/"))
    ok(client.get(f"{BASE}/officials", query_string={"source": source}))
    ok(client.get(f"{BASE}/thanks"))


@FUZZ
@given(
    data=form(
        subject=text,
        body=st.text(max_size=3000),
        name=text,
        city=text,
        show_postcode=short,
        postcode=postcodes,
        token=short,
        template_id=short,
        block_0=text,
        block_1=text,
    ),
    key=st.one_of(st.just(MP_KEY), short),
)
def test_letter_form(client, data, key):
    ok(client.post(f"{BASE}/write/{quote(key, safe='')}", data=data))
    ok(client.get(f"{BASE}/write/{quote(key, safe='')}"))


@FUZZ
@given(
    data=form(
        postcode=postcodes,
        token=st.one_of(short, st.text(min_size=20, max_size=70)),
        template_id=short,
    ),
    key=st.one_of(st.just(MP_KEY), short),
)
def test_confirm_sent(client, data, key):
    ok(client.post(f"{BASE}/sent/{quote(key, safe='')}", data=data))


@FUZZ
@given(
    data=form(email=text, letter=text, postcode=postcodes, token=short, template_id=short),
    key=st.one_of(st.just(MP_KEY), short),
    token=short,
)
def test_email_delivery(client, data, key, token):
    ok(client.post(f"/c/{DEMO_SLUG}/deliver/{quote(key, safe='')}", data=data))
    ok(client.get(f"/c/{DEMO_SLUG}/confirm/{quote(token, safe='')}"))
    ok(client.post(f"/c/{DEMO_SLUG}/confirm/{quote(token, safe='')}"))
    ok(client.get(f"/letters/{quote(token, safe='')}"))
    ok(client.get(f"/photo/{quote(token, safe='')}"))


@FUZZ
@given(data=form(email=text, password=text, next=text), next_=text)
def test_login(fuzz_app, stub, data, next_):
    client = fuzz_app.test_client()
    ok(client.post("/admin/login", query_string={"next": next_}, data=data))
    ok(client.get("/admin/login", query_string={"next": next_}))


@FUZZ
@given(
    data=form(
        title=text,
        slug=short,
        introduction=text,
        provider=short,
        target_offices=st.lists(short, max_size=4),
        status=short,
        goal=short,
        target_mode=short,
        server_delivery=short,
    )
)
def test_campaign_settings(organizer, data):
    ok(organizer.post("/admin/campaigns/new", data=data))
    ok(organizer.post("/admin/campaigns/1/edit", data=data))


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["from", "to", "sort", "dir", "by"]), short), by=short)
def test_tallies(organizer, query, by):
    ok(organizer.get("/admin/campaigns/1/tallies", query_string=query))
    ok(organizer.get(f"/admin/campaigns/1/tallies/{quote(by, safe='')}.csv", query_string=query))


letter_fields = dict(
    language=short,
    name=short,
    applies_to=st.lists(short, max_size=3),
    position=short,
    editing=short,
    subject=text,
    body=st.text(max_size=2000),
    postcode=postcodes,
    preview=st.sampled_from(["", "Preview"]),
    save=st.sampled_from(["", "Save"]),
)


@FUZZ
@given(data=form(**letter_fields))
def test_letter_editor(organizer, data):
    ok(organizer.post("/admin/campaigns/1/letters/new", data=data))
    ok(organizer.post("/admin/campaigns/1/letters/1/edit", data=data))
    ok(organizer.post("/admin/campaigns/1/letters/1/settings", data=data))


@FUZZ
@given(data=form(decision=short, delivery=short), template_id=st.integers(-5, 10**6))
def test_restore_and_held_letters(organizer, data, template_id):
    ok(organizer.post("/admin/campaigns/1/held", data=data))
    ok(organizer.post(f"/admin/campaigns/1/letters/1/versions/{template_id}/restore"))


def test_history_after_the_fuzz(organizer):
    """The history page, once every fuzzed save and restore is in it."""
    ok(organizer.get("/admin/campaigns/1/letters/1/history"))


@FUZZ
@given(data=st.binary(max_size=3000), name=short)
def test_custom_targets_upload(organizer, data, name):
    from io import BytesIO

    ok(
        organizer.post(
            "/admin/campaigns/1/targets",
            data={"file": (BytesIO(data), name or "x")},
            content_type="multipart/form-data",
        )
    )

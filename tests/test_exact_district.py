"""Split postal codes (issue 11): a supporter whose postal code crosses a district boundary may
give their street address; it is geocoded once on the server (Nominatim, paced to one request
a second for the whole app, behind the shared budget and breaker), Represent names the
officials whose districts contain the point, and the address is stored and logged nowhere."""

from __future__ import annotations

import json
import logging
import time
from html import unescape

import pytest
from sqlalchemy import text

from advocacy import civic, create_app
from advocacy.civic import geocoder
from advocacy.civic.budget import CircuitOpen, UpstreamBusy, UpstreamGuard

from .conftest import DEMO_SLUG, FIXTURES, REPRESENT, test_config
from .helpers import csrf_token, hidden, lookup

GEOCODER = "https://nominatim.test"
SEARCH = f"{GEOCODER}/search"
POINT = f"{REPRESENT}/representatives/"
CODE = "G6G1B2"
ADDRESS = "123 Rue Placeholder, Thetford Mines"


def fixture(path: str):
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))


@pytest.fixture
def app(tmp_path):
    app = create_app(test_config(tmp_path, GEOCODER_URL=GEOCODER, GEOCODER_INTERVAL=0.0))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    yield app
    app.extensions["advocacy_db"].engine.dispose()


@pytest.fixture
def stubs(upstream, represent):
    represent.add(CODE)
    upstream.get(SEARCH, json=fixture("geocoder/nominatim-search-thetford-mines.json"))
    upstream.get(POINT, json=fixture("represent/point-G6G1B2-beauce.json"))
    return upstream


def calls(mock, url: str) -> list:
    return [c.request for c in mock.calls if c.request.url.split("?")[0] == url]


def send_address(client, address: str = ADDRESS, **extra):
    page = client.get(f"/c/{DEMO_SLUG}/officials").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "started": hidden(page, "started"),
        "address": address,
        **extra,
    }
    return client.post(f"/c/{DEMO_SLUG}/exact", data=data, follow_redirects=True)


# -- parsing ------------------------------------------------------------------------------------


def test_a_recorded_nominatim_answer_gives_its_first_place():
    point = geocoder.parse_search(fixture("geocoder/nominatim-search-520-madison-avenue.json"), "x")
    assert point == (40.76006933333333, -73.97410611111111)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], civic.AddressNotFound),
        ({"error": "x"}, civic.UpstreamUnavailable),
        ([{"lat": "north", "lon": "1"}], civic.UpstreamUnavailable),
        ([{"lat": "95", "lon": "1"}], civic.UpstreamUnavailable),
    ],
)
def test_no_place_or_an_unreadable_answer(body, error):
    with pytest.raises(error):
        geocoder.parse_search(body, "G6G 1B2")


# -- the supporter's path -------------------------------------------------------------------------


def test_a_split_postal_code_is_settled_by_the_street_address(app, client, db, stubs, caplog):
    caplog.set_level(logging.DEBUG)
    page = unescape(lookup(client, CODE).get_data(as_text=True))
    assert "Your postal code crosses a district boundary" in page
    assert "Enter your street address to find your exact district" in page
    assert "Luc Lévesque-Témoin" in page and "Émilie Côté-Exemple" in page
    response = send_address(client)
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "These are the officials for your street address." in page
    assert "Luc Lévesque-Témoin" in page and "Émilie Côté-Exemple" not in page
    assert "crosses a district boundary" not in page
    # The geocoder was asked once, by the server, naming itself; Represent for the point.
    [search] = calls(stubs, SEARCH)
    assert "Placeholder" in search.url and "countrycodes=ca" in search.url
    assert search.headers["User-Agent"].startswith("Advocacy")
    [point] = calls(stubs, POINT)
    assert "point=46.090050%2C-71.300050" in point.url
    # The address is kept nowhere: not in the database, the cookie or the logs.
    with db.reader() as session:
        for table in ("lookup_cache", "upstream_state", "contact_actions"):
            for row in session.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
                assert "placeholder" not in repr(row).casefold()
    cookie = client.get_cookie("session").value
    assert "Placeholder" not in cookie
    assert "Placeholder" not in caplog.text
    # Later pages read what was stored (a keyed hash in the session): no new upstream call.
    again = unescape(client.get(f"/c/{DEMO_SLUG}/officials").get_data(as_text=True))
    assert "Luc Lévesque-Témoin" in again and "Émilie Côté-Exemple" not in again
    assert len(calls(stubs, SEARCH)) == 1


def test_the_same_address_again_is_answered_from_the_cache(client, stubs):
    lookup(client, CODE)
    send_address(client)
    lookup(client, CODE)
    response = send_address(client, "  123 rue placeholder,  THETFORD MINES ")
    assert "Luc Lévesque-Témoin" in unescape(response.get_data(as_text=True))
    assert len(calls(stubs, SEARCH)) == 1 and len(calls(stubs, POINT)) == 1


def test_an_address_the_geocoder_cannot_place(client, stubs):
    lookup(client, CODE)
    stubs.replace("GET", SEARCH, json=[])
    response = send_address(client, "1 Nowhere Lane")
    assert response.status_code == 422
    assert "We could not find this street address" in unescape(response.get_data(as_text=True))
    assert not calls(stubs, POINT)


@pytest.mark.parametrize("robot", [{"website": "http://spam.example"}, {"started": "not-a-stamp"}])
def test_robots_get_the_form_back_and_spend_nothing(client, stubs, robot):
    lookup(client, CODE)
    response = send_address(client, **robot)
    assert response.status_code == 422
    assert "Please check your street address" in unescape(response.get_data(as_text=True))
    assert not calls(stubs, SEARCH)


def test_without_csrf_nothing_is_asked(client, stubs):
    lookup(client, CODE)
    response = client.post(f"/c/{DEMO_SLUG}/exact", data={"address": ADDRESS})
    assert response.status_code == 400
    assert not calls(stubs, SEARCH)


def test_a_code_in_one_district_offers_no_address_form(client, represent):
    represent.add("K1P5G4")
    page = lookup(client, "K1P5G4").get_data(as_text=True)
    assert 'id="exact-address"' not in page


# -- one request a second, budget and breaker ---------------------------------------------------


def test_the_pace_spaces_requests_for_the_whole_app(db):
    pace = geocoder.Pace(db, interval=0.3, max_wait=1.0, name="test")
    start = time.monotonic()
    pace.wait()
    pace.wait()
    pace.wait()
    assert time.monotonic() - start >= 0.55
    full = geocoder.Pace(db, interval=5.0, max_wait=1.0, name="full")
    full.wait()
    with pytest.raises(UpstreamBusy):
        full.wait()  # the next slot is 5 s away: refused, not queued


def test_the_breaker_covers_the_geocoder(app, db, upstream):
    guard = UpstreamGuard(db, per_minute=100, failure_threshold=2, cooldown=60)
    coder = geocoder.Geocoder(
        GEOCODER, civic.make_session(app.config), 1.0, db=db, guard=guard, interval=0.0
    )
    upstream.get(SEARCH, status=500)
    for _ in range(2):
        with pytest.raises(civic.UpstreamUnavailable):
            coder.locate(ADDRESS, "G6G 1B2", "CA")
    asked = len(calls(upstream, SEARCH))
    with pytest.raises(CircuitOpen):
        coder.locate(ADDRESS, "G6G 1B2", "CA")
    assert len(calls(upstream, SEARCH)) == asked  # open: not asked at all


def test_the_geocoder_down_keeps_the_candidates_and_says_so(client, stubs):
    lookup(client, CODE)
    stubs.replace("GET", SEARCH, json={"error": "boom"}, status=503)
    response = send_address(client)
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "We cannot look up street addresses right now" in page
    assert "Luc Lévesque-Témoin" in page and "Émilie Côté-Exemple" in page
    assert 'id="exact-address"' in page  # the form, to try again
    assert not calls(stubs, POINT)

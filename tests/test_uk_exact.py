"""UK outward codes that span several constituencies (issue 11): the supporter may give their
street address; it is geocoded once on the server (Nominatim, ``countrycodes=gb``, paced and
guarded as for Canada), postcodes.io names the postcode nearest its point, and that postcode's
constituency picks the MP among the outward code's candidates. The address is stored and logged
nowhere. Bodies: tests/fixtures/uk/ and tests/fixtures/geocoder/ (their READMEs say which are
recorded and which built)."""

from __future__ import annotations

import json
import logging
from html import unescape
from pathlib import Path

import pytest
from responses import matchers
from sqlalchemy import inspect, text

from advocacy.civic import geocoder

from .conftest import FIXTURES
from .helpers import csrf_token, hidden, lookup
from .test_uk import SLUG, UKStub, make_app, uk_body

GEOCODER = "https://nominatim.test"
SEARCH = f"{GEOCODER}/search"
ADDRESS = "1 Placeholder Lane"
# The point of ../fixtures/geocoder/nominatim-search-BR8-orpington.json, as sent to postcodes.io.
POINT = {"lon": "0.160000", "lat": "51.403500", "limit": "1", "radius": "2000"}


def geocoder_body(name: str):
    return json.loads((FIXTURES / "geocoder" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def app(tmp_path: Path):
    app = make_app(tmp_path, GEOCODER_URL=GEOCODER, GEOCODER_INTERVAL=0.0)
    yield app
    app.extensions["advocacy_db"].engine.dispose()


@pytest.fixture
def uk(upstream) -> UKStub:
    """BR8 (Sevenoaks and Orpington, Sevenoaks at its centre), both MPs, and Nominatim placing
    the address in the Orpington part, whose nearest postcode postcodes.io names."""
    stub = UKStub(upstream)
    stub.outcode("BR8")
    point = [matchers.query_param_matcher(POINT)]
    stub.nearest(uk_body("postcodesio-reverse-geocode-BR8-orpington"), match=point)
    stub.nearest()  # around BR8's centre: BR8 7RE, in Sevenoaks
    stub.sevenoaks()
    stub.orpington()
    upstream.get(SEARCH, json=geocoder_body("nominatim-search-BR8-orpington"))
    return stub


def calls(mock, url: str) -> list:
    return [c.request for c in mock.calls if c.request.url.split("?")[0] == url]


def send_address(client, address: str = ADDRESS):
    page = client.get(f"/c/{SLUG}/officials").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "started": hidden(page, "started"),
        "address": address,
    }
    return client.post(f"/c/{SLUG}/exact", data=data, follow_redirects=True)


def page_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_a_recorded_nominatim_answer_for_a_uk_address_gives_its_point():
    body = geocoder_body("nominatim-search-135-pilkington-avenue")
    assert geocoder.parse_search(body, "B72") == (52.5487921, -1.8164308339635031)


def test_an_outward_code_in_two_constituencies_is_settled_by_the_street_address(
    app, client, uk, caplog
):
    caplog.set_level(logging.DEBUG)
    page = page_of(lookup(client, "br8", slug=SLUG))
    assert "Your postal code crosses a district boundary" in page
    assert "Enter your street address to find your exact district" in page
    assert "Write to Alex Placeholder" in page and "Write to Sam Exemple-Témoin" in page
    assert page.count("Most likely your district") == 1  # Sevenoaks, at BR8's centre

    response = send_address(client)
    page = page_of(response)
    assert response.status_code == 200
    assert "These are the officials for your street address." in page
    # The address is in the Orpington part of BR8: not the "most likely" MP, the right one.
    assert "Write to Sam Exemple-Témoin" in page and "Alex Placeholder" not in page
    assert "crosses a district boundary" not in page
    assert 'id="exact-address"' not in page
    # Nominatim was asked once, for Great Britain, with the outward code; postcodes.io for the
    # postcode nearest the point (the query_param_matcher above checks lon, lat, limit, radius).
    [search] = calls(uk.mock, SEARCH)
    assert "countrycodes=gb" in search.url and "format=jsonv2" in search.url
    assert "q=1+Placeholder+Lane%2C+BR8" in search.url
    assert search.headers["User-Agent"].startswith("Advocacy")
    assert uk.calls("/postcodes") == 2  # BR8's centre, then the address's point
    # The address is kept nowhere: not in any table, the cookie or the logs.
    db = app.extensions["advocacy_db"]
    with db.reader() as session:
        for table in inspect(session.get_bind()).get_table_names():
            for row in session.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                assert "placeholder lane" not in repr(row).casefold(), table
    assert "Placeholder" not in client.get_cookie("session").value
    # The geocoder's pace slot, budget and breaker (shared by the whole app) were used.
    with db.reader() as session:
        used = set(session.scalars(text("SELECT name FROM upstream_state")))
    assert {"geocoder", "geocoder:pace", "uk"} <= used
    assert "Placeholder Lane" not in caplog.text
    # Later pages read the stored answer (a keyed hash in the session): nothing asked again.
    asked = len(uk.mock.calls)
    again = page_of(client.get(f"/c/{SLUG}/officials"))
    assert "Write to Sam Exemple-Témoin" in again and "Alex Placeholder" not in again
    assert len(uk.mock.calls) == asked


def test_an_address_the_geocoder_cannot_place_says_so(client, uk):
    lookup(client, "BR8", slug=SLUG)
    uk.mock.replace("GET", SEARCH, json=[])
    response = send_address(client, "1 Nowhere Lane")
    page = page_of(response)
    assert response.status_code == 422
    assert "We could not find this street address" in page
    assert 'value="1 Nowhere Lane"' in page  # given back to correct, not kept
    assert "Write to Alex Placeholder" in page and "Write to Sam Exemple-Témoin" in page
    assert uk.calls("/postcodes") == 1  # only BR8's centre: no point to place


def test_an_address_placed_outside_the_outward_code_is_not_taken(client, uk):
    lookup(client, "BR8", slug=SLUG)
    # Nominatim found a place elsewhere (the recorded Birmingham answer): its nearest postcode's
    # constituency is none of BR8's, so no MP is picked.
    uk.mock.replace("GET", SEARCH, json=geocoder_body("nominatim-search-135-pilkington-avenue"))
    elsewhere = uk_body("postcodesio-reverse-geocode-BR8-orpington")
    elsewhere["result"][0]["parliamentary_constituency"] = "Sutton Coldfield"
    there = {"lon": "-1.816431", "lat": "52.548792", "limit": "1", "radius": "2000"}
    uk.nearest(elsewhere, match=[matchers.query_param_matcher(there)])
    response = send_address(client, "135 Pilkington Avenue")
    assert response.status_code == 422
    assert "We could not find this street address" in page_of(response)
    assert uk.calls("/Constituency/Search") == 2  # the two candidates' only


def test_the_geocoder_down_keeps_the_candidates_and_says_so(client, uk, caplog):
    lookup(client, "BR8", slug=SLUG)
    uk.mock.replace("GET", SEARCH, json={"error": "boom"}, status=502)
    response = send_address(client)
    page = page_of(response)
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "We cannot look up street addresses right now" in page
    assert "Write to Alex Placeholder" in page and "Write to Sam Exemple-Témoin" in page
    assert uk.calls("/postcodes") == 1  # the point was never asked about
    assert "exact district unavailable: geocoder answered 502" in caplog.text
    assert "Placeholder Lane" not in caplog.text


def test_urllib3_log_lines_lose_the_point_too():
    record = logging.LogRecord(
        "urllib3.connectionpool",
        logging.DEBUG,
        __file__,
        1,
        '%s://%s:%s "%s %s %s" %s %s',
        (
            "https",
            "api.postcodes.io",
            443,
            "GET",
            "/postcodes?lon=0.160000&lat=51.403500&limit=1",
            "HTTP/1.1",
            200,
            None,
        ),
        None,
    )
    assert geocoder.RedactQuery().filter(record)
    assert record.getMessage().count("[redacted]") == 2 and "51.4035" not in record.getMessage()
    assert "limit=1" in record.getMessage()

"""The right member of Congress through a redistribution (issue 11): the geocoder's map must
be of the Congress now sitting, and the stored members of it too; otherwise nobody is named.

Members: real entries of ``congress-legislators`` (June 2026, the 119th Congress). Geocoder
bodies: the real answer's envelope with the layers of each vintage as public code quotes them
(see tests/fixtures/us/README.md: the 119th's layers carry no CD119 field, only GEOID, BASENAME
and CDSESSN; the 120th's carry CD120).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from html import unescape

import pytest
from sqlalchemy import text

from advocacy import civic, create_app
from advocacy.civic import us

from .conftest import FIXTURES, test_config
from .helpers import csrf_token
from .test_us import add_us_campaign

GEOCODER = "https://geocoder.test/geocoder"
GEOCODER_URL = f"{GEOCODER}/geographies/onelineaddress"
MEMBERS_2026 = FIXTURES / "us" / "legislators-current-2026-06.json"
SLUG = "us-congress"
AUSTIN = "1100 Congress Ave, Austin, TX"


def body(name: str) -> dict:
    return json.loads((FIXTURES / "us" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def day(monkeypatch):
    """Today, for the provider: 26 November 2026 (the 119th sits; the 120th is elected)."""
    today = {"value": date(2026, 11, 26)}
    monkeypatch.setattr(us, "today", lambda: today["value"])
    return today


@pytest.fixture
def app(tmp_path, day):
    app = create_app(test_config(tmp_path, US_GEOCODER_URL=GEOCODER))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["refresh-us-legislators", str(MEMBERS_2026)]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    add_us_campaign(app.extensions["advocacy_db"], SLUG, title="Write to Congress")
    yield app
    app.extensions["advocacy_db"].engine.dispose()


@pytest.fixture
def db(app):
    return app.extensions["advocacy_db"]


def _provider(app) -> us.USProvider:
    config = app.config
    return us.USProvider(
        GEOCODER,
        civic.make_session(config),
        timeout=1.0,
        deadline=5.0,
        db=app.extensions["advocacy_db"],
        vintages=config["US_GEOCODER_VINTAGES"],
    )


def lookup_page(client, address: str = AUSTIN, zip_code: str = "78701"):
    page = client.get(f"/c/{SLUG}/").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "postcode": zip_code, "address": address}
    response = client.post(f"/c/{SLUG}/lookup", data=data, follow_redirects=True)
    return response, unescape(response.get_data(as_text=True))


# -- reading each vintage's layer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "state", "cd", "congress"),
    [
        ("census-austin-119th", "TX", "37", 119),  # GEOID 4837, no CD119 field
        ("census-austin-120th", "TX", "10", 120),  # CD120 "10"
        ("census-dc-119th-delegate", "DC", "0", 119),  # the delegate: GEOID 1198
        ("census-de-119th-atlarge", "DE", "0", 119),  # at large: GEOID 1000
        # Recorded answers (captured 2026-09-24, trimmed: no STATE, CDSESSN or CD1xx fields;
        # the state is read from GEOIDs, the Congress from the layer's name).
        ("census-shreveport-ACS2025_Current", "LA", "6", 119),
        ("census-shreveport-Current_Current", "LA", "4", 120),  # redrawn: LA-04 on the new map
        ("census-lansing-ACS2025_Current", "MI", "7", 119),
        ("census-lansing-Current_Current", "MI", "7", 120),
    ],
)
def test_each_vintage_gives_its_district_and_its_congress(fixture, state, cd, congress):
    location = us.parse_geocoder(body(fixture), "00000")
    assert (location.districts.state, location.districts.cd) == (state, cd)
    assert location.congress == congress


def test_a_layer_whose_name_and_cdsessn_disagree_has_no_congress():
    data = body("census-austin-119th")
    geographies = data["result"]["addressMatches"][0]["geographies"]
    geographies["119th Congressional Districts"][0]["CDSESSN"] = "120"
    assert us.parse_geocoder(data, "78701").congress is None


@pytest.mark.parametrize(
    ("day_", "congress"),
    [
        (date(2025, 1, 2), 118),
        (date(2025, 1, 3), 119),
        (date(2026, 11, 26), 119),
        (date(2027, 1, 2), 119),
        (date(2027, 1, 3), 120),
    ],
)
def test_the_congress_sitting_changes_on_the_third_of_january(day_, congress):
    assert us.sitting_congress(day_) == congress


def test_the_stored_members_are_of_the_119th(db):
    assert us.stored_congress(db) == 119


# -- the wrong member of Congress ------------------------------------------------------------------


def test_the_sitting_congress_map_names_doggett_not_mccaul(app, upstream):
    upstream.get(GEOCODER_URL, json=body("census-austin-119th"))
    result = _provider(app).lookup("78701", address=AUSTIN)
    names = [o.name for o in result.officials]
    assert names == ["John Cornyn", "Ted Cruz", "Lloyd Doggett"]
    [request] = upstream.calls
    # The 119th's map is asked for by its vintage, not the default (which has the 120th's).
    assert "vintage=ACS2025_Current" in request.request.url
    doggett = result.officials[-1]
    assert doggett.district_name == "Texas 37"
    assert doggett.postal_address == "2307 Rayburn House Office Building Washington DC 20515-0001"
    assert doggett.phone == "202-225-4865"


def test_the_next_congress_map_is_refused_and_logged(app, upstream, caplog):
    # What the default vintage answers since the 120th's map was published (CD120 "10").
    upstream.get(GEOCODER_URL, json=body("census-austin-120th"))
    with pytest.raises(civic.CongressMismatch) as info, caplog.at_level(logging.ERROR):
        _provider(app).lookup("78701", address=AUSTIN)
    assert (info.value.layer, info.value.sitting) == (120, 119)
    assert "Congress 120" in caplog.text and "Congress 119" in caplog.text
    assert "Congress Ave" not in caplog.text  # the address is never logged


def test_a_recorded_answer_of_the_next_congress_is_refused(app, upstream):
    # The default vintage's real answer for 505 Travis St, Shreveport (LA-04 on the 120th's map;
    # the sitting member is LA-06's): nobody is named.
    upstream.get(GEOCODER_URL, json=body("census-shreveport-Current_Current"))
    with pytest.raises(civic.CongressMismatch) as info:
        _provider(app).lookup("71101", address="505 Travis St, Shreveport, LA")
    assert (info.value.layer, info.value.sitting) == (120, 119)


def test_a_recorded_answer_of_the_sitting_congress_is_read(app, upstream):
    upstream.get(GEOCODER_URL, json=body("census-shreveport-ACS2025_Current"))
    result = _provider(app).lookup("71101", address="505 Travis St, Shreveport, LA")
    assert result.extra["matched_address"] == "505 TRAVIS ST, SHREVEPORT, LA, 71101"
    assert "vintage=ACS2025_Current" in upstream.calls[0].request.url


def test_members_not_refreshed_after_the_new_congress_sits_are_refused(app, upstream, day):
    day["value"] = date(2027, 1, 10)
    with pytest.raises(civic.CongressMismatch) as info:
        _provider(app).lookup("78701", address=AUSTIN)
    assert (info.value.members, info.value.sitting) == (119, 120)
    assert not upstream.calls  # refused before the address leaves the server


def test_the_delegate_of_dc_and_an_at_large_member(app, upstream):
    upstream.get(GEOCODER_URL, json=body("census-dc-119th-delegate"))
    [norton] = _provider(app).lookup("20500", address="1600 Pennsylvania Ave NW").officials
    assert norton.name == "Eleanor Holmes Norton"
    assert norton.district_name == "District of Columbia (at large)"
    upstream.replace("GET", GEOCODER_URL, json=body("census-de-119th-atlarge"))
    result = _provider(app).lookup("19901", address="411 Legislative Ave, Dover")
    assert [o.name for o in result.officials] == [
        "Christopher A. Coons",
        "Lisa Blunt Rochester",
        "Sarah McBride",
    ]


# -- what the supporter sees ----------------------------------------------------------------------


def test_the_page_names_doggett_and_shows_the_matched_address(app, client, upstream, db):
    upstream.get(GEOCODER_URL, json=body("census-austin-119th"))
    response, page = lookup_page(client)
    assert response.status_code == 200
    assert "Write to Lloyd Doggett" in page and "McCaul" not in page
    assert "1100 CONGRESS AVE, AUSTIN, TX, 78701" in page  # the address as understood
    assert "2307 Rayburn House Office Building" in page  # where to post a letter
    # The matched address is shown, never stored.
    with db.reader() as session:
        for table in ("lookup_cache", "contact_actions"):
            for row in session.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
                assert "congress ave" not in repr(row).casefold()


def test_the_page_refuses_clearly_when_the_maps_do_not_match(client, upstream, caplog):
    upstream.get(GEOCODER_URL, json=body("census-austin-120th"))
    response, page = lookup_page(client)
    assert response.status_code == 503
    assert "We cannot name your member of Congress right now" in page
    assert "McCaul" not in page and "Doggett" not in page
    assert "US lookup refused" in caplog.text


# -- district offices (letters by post go to the office at home) ---------------------------------

OFFICES_2026 = FIXTURES / "us" / "legislators-district-offices-2026-06.json"


def load_offices(app) -> str:
    result = app.test_cli_runner().invoke(args=["refresh-us-district-offices", str(OFFICES_2026)])
    assert result.exit_code == 0, result.output
    return result.output


def test_letters_by_post_go_to_the_district_office_once_loaded(app, upstream):
    upstream.get(GEOCODER_URL, json=body("census-austin-119th"))
    output = load_offices(app)
    assert "Stored " in output and "district offices of 8 members" in output
    doggett = _provider(app).lookup("78701", address=AUSTIN).officials[-1]
    assert doggett.postal_address == "300 East 8th St, 7th Floor, Austin, TX 78701"


def test_the_office_nearest_the_address_is_chosen(app, db):
    load_offices(app)
    tx10 = us.Districts(state="TX", cd="10")
    [*_, near_austin] = us.congress_officials(db, tx10, (30.274, -97.74))
    assert near_austin.postal_address == "11614 FM2244, Suite 160, Austin, TX 78738"
    [*_, near_college_station] = us.congress_officials(db, tx10, (30.62, -96.33))
    assert near_college_station.postal_address.startswith("175 Century Square Drive")


def test_without_district_offices_the_washington_office(app, db):
    [*_, mccaul] = us.congress_officials(db, us.Districts(state="TX", cd="10"))
    assert mccaul.postal_address.startswith("2300 Rayburn House Office Building")


def test_a_file_without_offices_changes_nothing(app, tmp_path):
    load_offices(app)
    empty = tmp_path / "offices.json"
    empty.write_text('[{"id": {"bioguide": "X"}, "offices": [{"id": "x"}]}]')
    result = app.test_cli_runner().invoke(args=["refresh-us-district-offices", str(empty)])
    assert result.exit_code != 0 and "nothing was changed" in result.output
    [*_, mccaul] = us.congress_officials(app.extensions["advocacy_db"], us.Districts("TX", "10"))
    assert mccaul.postal_address.startswith("11614 FM2244")

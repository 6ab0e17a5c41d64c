"""The United States provider: a ZIP code and a street address -> districts (Census Geocoder) ->
members of Congress (the congress-legislators data set, loaded by a CLI command) and, with a
key, state legislators (Open States). Parsing on recorded and recorded-shape bodies, the HTTP
client's faults, the refresh command, the supporter's pages, and that the address is kept
nowhere."""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import date
from html import unescape
from pathlib import Path

import pytest
import requests
from responses import matchers
from sqlalchemy import inspect, select, text

from advocacy import civic, create_app
from advocacy.civic import us
from advocacy.models import ContactAction, LookupCacheEntry, USLegislator

from .conftest import FIXTURES, test_config
from .helpers import csrf_token, hidden, letter_form_data, write_links
from .test_civic_checks import HOSTILE_EMAILS, HOSTILE_NAMES, HOSTILE_PHONES, HOSTILE_URLS

GEOCODER = "https://geocoder.test/geocoder"
GEOCODER_URL = f"{GEOCODER}/geographies/onelineaddress"
OPENSTATES = "https://openstates.test"
PEOPLE_GEO = f"{OPENSTATES}/people.geo"
LEGISLATORS = FIXTURES / "us" / "legislators-current.json"
SLUG = "us-letters"
ADDRESS = "10300 Torre Ave, Cupertino, CA"


def body(name: str):
    return json.loads((FIXTURES / "us" / f"{name}.json").read_text(encoding="utf-8"))


def ca17_geographies() -> dict:
    return copy.deepcopy(body("census-onelineaddress-ca17")["result"]["addressMatches"][0])


def answer_with(match: dict) -> dict:
    data = body("census-onelineaddress-ca17")
    data["result"]["addressMatches"] = [match]
    return data


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def in_the_116th_congress(monkeypatch):
    """``legislators-current.json`` is a 2019 snapshot (the 116th Congress), and the derived
    geocoder bodies used with it carry the 116th's map: these tests run on a day it sat. The
    tests of the 119th and 120th (test_us_congress.py) name their own day."""
    monkeypatch.setattr(us, "today", lambda: date(2020, 6, 1))


@pytest.fixture
def openstates_key() -> str:
    """No Open States key unless a test parametrizes one."""
    return ""


@pytest.fixture
def app(tmp_path, openstates_key):
    """The app with the US services at stub addresses and the fixture's members of Congress."""
    app = create_app(
        test_config(
            tmp_path,
            US_GEOCODER_URL=GEOCODER,
            OPENSTATES_URL=OPENSTATES,
            OPENSTATES_KEY=openstates_key,
        )
    )
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"], ["refresh-us-legislators", str(LEGISLATORS)]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    yield app
    app.extensions["advocacy_db"].engine.dispose()


class Stubs:
    def __init__(self, mock) -> None:
        self.mock = mock

    def geocoder(self, answer: str | dict | Exception = "census-onelineaddress-ca17", **kwargs):
        if isinstance(answer, Exception):
            return self.mock.get(GEOCODER_URL, body=answer, **kwargs)
        return self.mock.get(
            GEOCODER_URL, json=body(answer) if isinstance(answer, str) else answer, **kwargs
        )

    def people(self, answer: dict | None = None, **kwargs):
        return self.mock.get(
            PEOPLE_GEO, json=body("openstates-people-geo") if answer is None else answer, **kwargs
        )

    def calls(self, url: str) -> list[requests.PreparedRequest]:
        return [c.request for c in self.mock.calls if c.request.url.split("?")[0] == url]


@pytest.fixture
def stubs(upstream) -> Stubs:
    return Stubs(upstream)


def make_provider(db, key: str = "", retries: int = 2, deadline: float = 5.0) -> us.USProvider:
    config = {
        "USER_AGENT": "Advocacy-test/1",
        "HTTP_RETRIES": retries,
        "HTTP_BACKOFF": 0.0,
        "HTTP_RETRY_AFTER_MAX": 3.0,
    }
    return us.USProvider(
        GEOCODER,
        civic.make_session(config),
        timeout=1.0,
        deadline=deadline,
        db=db,
        openstates_url=OPENSTATES,
        openstates_key=key,
    )


def names(result: civic.LookupResult) -> list[str]:
    return [o.name for o in result.officials]


# -- parsing the geocoder's answer --------------------------------------------------------------


def test_an_address_in_a_district_gives_its_state_and_districts():
    location = us.parse_geocoder(body("census-onelineaddress-ca17"), "95014")
    assert location.districts == us.Districts(state="CA", cd="17", sldu="015", sldl="026")
    assert (location.lat, location.lng) == (37.31889, -122.02943)
    assert location.layer_errors == ()


def test_an_at_large_state_is_district_zero():
    location = us.parse_geocoder(body("census-onelineaddress-de-atlarge"), "19901")
    assert location.districts == us.Districts(state="DE", cd="0", sldu="017", sldl="031")


def test_the_recorded_layer_error_is_reported_not_crashed():
    # The real recording: "115th Congressional Districts" holds only an error status.
    with pytest.raises(civic.UpstreamUnavailable) as info:
        us.parse_geocoder(body("census-onelineaddress-layers-error"), "20500")
    assert "115th Congressional Districts" in info.value.reason
    assert "error" in info.value.reason


def test_default_layers_carry_no_congressional_district():
    recorded = body("census-coordinates-default-layers")["result"]["geographies"]
    assert not any("Congressional" in name for name in recorded)
    with pytest.raises(civic.UpstreamUnavailable) as info:
        us.parse_match({"geographies": recorded})
    assert "US_GEOCODER_LAYERS" in info.value.reason


def test_layer_names_are_matched_by_pattern_and_the_newest_wins():
    match = ca17_geographies()
    geographies = match["geographies"]
    geographies["118th Congressional Districts"] = [{"STATE": "06", "CD118": "18", "GEOID": "0618"}]
    geographies["121st Congressional Districts"] = [{"STATE": "06", "CD121": "16", "GEOID": "0616"}]
    geographies["2026 State Legislative Districts - Upper"] = [
        {"STATE": "06", "SLDU": "013", "GEOID": "06013"}
    ]
    del geographies["States"]  # the state then comes from the district's FIPS code
    location = us.parse_match(match)
    assert location.districts == us.Districts(state="CA", cd="16", sldu="013", sldl="026")


def test_a_district_without_its_cd_field_is_read_from_its_geoid():
    match = ca17_geographies()
    match["geographies"]["116th Congressional Districts"] = [{"STATE": "06", "GEOID": "0617"}]
    assert us.parse_match(match).districts.cd == "17"


@pytest.mark.parametrize(("code", "cd"), [("00", "0"), ("98", "0"), ("ZZ", ""), ("07", "7")])
def test_at_large_delegate_and_undefined_district_codes(code, cd):
    match = ca17_geographies()
    match["geographies"]["116th Congressional Districts"] = [
        {"STATE": "06", "CD116": code, "GEOID": f"06{code}"}
    ]
    assert us.parse_match(match).districts.cd == cd


def test_a_state_legislative_layer_error_lists_no_state_districts():
    match = ca17_geographies()
    match["geographies"]["2024 State Legislative Districts - Lower"] = [
        {"status": "Layer query encountered an error: java.lang.RuntimeException: Failed"}
    ]
    location = us.parse_match(match)
    assert location.districts == us.Districts(state="CA", cd="17")  # neither chamber
    assert location.layer_errors == ("2024 State Legislative Districts - Lower",)


def test_no_address_match_is_address_not_found():
    with pytest.raises(civic.AddressNotFound) as info:
        us.parse_geocoder(body("census-onelineaddress-nomatch"), "95014")
    assert not info.value.ambiguous


def test_matches_in_different_districts_are_ambiguous_and_the_same_district_is_not():
    ca = body("census-onelineaddress-ca17")["result"]["addressMatches"][0]
    de = body("census-onelineaddress-de-atlarge")["result"]["addressMatches"][0]
    data = answer_with(ca)
    data["result"]["addressMatches"].append(de)
    with pytest.raises(civic.AddressNotFound) as info:
        us.parse_geocoder(data, "95014")
    assert info.value.ambiguous
    data["result"]["addressMatches"] = [ca, copy.deepcopy(ca)]
    assert us.parse_geocoder(data, "95014").districts.cd == "17"


@pytest.mark.parametrize(
    "data",
    [
        [],
        "text",
        None,
        {"result": {}},
        {"result": {"addressMatches": "none"}},
        {"result": {"addressMatches": [{"geographies": "none"}]}},
        {"result": {"addressMatches": ["not a match"]}},
        {"errors": ["Benchmark is not valid"], "status": "400"},
    ],
)
def test_malformed_geocoder_answers_are_upstream_errors(data):
    with pytest.raises(civic.UpstreamUnavailable):
        us.parse_geocoder(data, "95014")


def test_districts_survive_the_session_and_refuse_anything_else():
    districts = us.Districts(state="MD", cd="3", sldu="030", sldl="30A")
    assert us.Districts.from_dict(json.loads(json.dumps(districts.to_dict()))) == districts
    for bad in (
        None,
        "CA-17",
        {"state": "XX", "cd": "1"},
        {"state": "CA", "cd": "x"},
        {"state": "CA", "cd": "17", "sldu": "<script>"},
        {"state": "CA", "cd": 17},
    ):
        assert us.Districts.from_dict(bad) is None


# -- the congress-legislators data set ----------------------------------------------------------


def test_legislators_are_read_from_their_current_term():
    records, skipped = us.parse_legislators(json.loads(LEGISLATORS.read_text()))
    assert skipped == 0
    by_id = {r.bioguide_id: r for r in records}
    assert len(by_id) == 8
    feinstein = by_id["F000062"]
    assert (feinstein.chamber, feinstein.state, feinstein.district, feinstein.state_rank) == (
        "sen",
        "CA",
        None,
        "senior",
    )
    assert feinstein.contact_form == "https://www.feinstein.senate.gov/public/index.cfm/e-mail-me"
    carper = by_id["C000174"]  # once the representative at large, now a senator
    assert (carper.chamber, carper.district, carper.name) == ("sen", None, "Thomas R. Carper")
    khanna = by_id["K000389"]
    assert (khanna.chamber, khanna.district, khanna.contact_form, khanna.url) == (
        "rep",
        17,
        "",
        "https://khanna.house.gov",
    )
    assert khanna.phone == "202-225-2631" and khanna.term_end == "2021-01-03"
    assert by_id["B001303"].district == 0  # at large
    scott = by_id["S001217"]  # no official_full, no url, phone or form
    assert (scott.name, scott.url, scott.phone, scott.contact_form) == ("Rick Scott", "", "", "")


def test_unusable_legislator_entries_are_skipped():
    data = json.loads(LEGISLATORS.read_text())[:1]
    good_term = data[0]["terms"][-1]
    data += [
        "not an entry",
        {"id": {"bioguide": "X000001"}, "name": {"first": "No"}, "terms": []},
        {"id": {}, "name": {"first": "No", "last": "Id"}, "terms": [good_term]},
        {
            "id": {"bioguide": "X000002"},
            "name": {"last": "Nowhere"},
            "terms": [{**good_term, "state": "ZZ"}],
        },
        {
            "id": {"bioguide": "X000003"},
            "name": {"last": "Rep"},
            "terms": [{"type": "rep", "state": "CA", "end": "2027-01-03"}],
        },
        {
            "id": {"bioguide": "X000004"},
            "name": {"last": "Other"},
            "terms": [{**good_term, "type": "prez"}],
        },
        {
            "id": {"bioguide": "X000005"},
            "name": {"last": "Scheme"},
            "terms": [{**good_term, "contact_form": "javascript:alert(1)", "url": "ftp://x"}],
        },
    ]
    records, skipped = us.parse_legislators(data)
    assert skipped == 6
    assert [r.bioguide_id for r in records] == ["C000174", "X000005"]
    assert (records[1].url, records[1].contact_form) == ("", "")  # only web addresses are kept


def test_a_document_that_is_not_a_list_is_refused():
    with pytest.raises(ValueError, match="expected a list"):
        us.parse_legislators({"legislators": []})


def stored(db) -> dict[str, USLegislator]:
    with db.reader() as session:
        return {r.bioguide_id: r for r in session.scalars(select(USLegislator))}


def test_the_refresh_command_stores_each_member_once(runner, db):
    result = runner.invoke(args=["refresh-us-legislators", str(LEGISLATORS)])
    assert result.exit_code == 0, result.output
    assert "Stored 8 members of Congress (5 senators, 3 representatives" in result.output
    rows = stored(db)
    assert set(rows) == {
        "C000174",
        "F000062",
        "C001088",
        "H001075",
        "K000389",
        "P000613",
        "B001303",
        "S001217",
    }
    khanna = rows["K000389"]
    assert (khanna.name, khanna.chamber, khanna.state, khanna.district, khanna.party) == (
        "Ro Khanna",
        "rep",
        "CA",
        17,
        "Democrat",
    )
    assert (khanna.phone, khanna.url, khanna.contact_form) == (
        "202-225-2631",
        "https://khanna.house.gov",
        "",
    )
    assert rows["H001075"].contact_form == "https://www.harris.senate.gov/contact"
    assert rows["B001303"].district == 0


def test_a_refresh_replaces_what_was_stored(runner, db, tmp_path):
    smaller = tmp_path / "legislators-current.json"
    smaller.write_text(json.dumps(json.loads(LEGISLATORS.read_text())[:2]), encoding="utf-8")
    result = runner.invoke(args=["refresh-us-legislators", str(smaller)])
    assert result.exit_code == 0, result.output
    assert set(stored(db)) == {"C000174", "F000062"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "no member of Congress"),
        ('{"a": 1}', "expected a list"),
        ('[{"id": {"bioguide": "X1"}}]', "no member of Congress"),
    ],
)
def test_a_bad_file_is_refused_and_changes_nothing(runner, db, tmp_path, content, message):
    path = tmp_path / "legislators.json"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["refresh-us-legislators", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    assert len(stored(db)) == 8  # what the app fixture loaded is still there


def test_a_missing_file_is_refused(runner, tmp_path):
    result = runner.invoke(args=["refresh-us-legislators", str(tmp_path / "nope.json")])
    assert result.exit_code != 0 and "cannot read" in result.output


def test_the_yaml_file_is_read_too(runner, db, tmp_path):
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "legislators-current.yaml"
    path.write_text(yaml.safe_dump(json.loads(LEGISLATORS.read_text())[:3]), encoding="utf-8")
    result = runner.invoke(args=["refresh-us-legislators", str(path)])
    assert result.exit_code == 0, result.output
    assert set(stored(db)) == {"C000174", "F000062", "C001088"}


def test_a_url_is_downloaded_only_when_given(runner, db, upstream):
    url = "https://data.test/congress-legislators/legislators-current.json"
    upstream.get(url, body=LEGISLATORS.read_bytes(), content_type="application/json")
    result = runner.invoke(args=["refresh-us-legislators", url])
    assert result.exit_code == 0, result.output
    assert len(upstream.calls) == 1 and len(stored(db)) == 8


def test_a_failed_download_is_refused(runner, upstream):
    url = "https://data.test/legislators-current.json"
    upstream.get(url, status=404)
    result = runner.invoke(args=["refresh-us-legislators", url])
    assert result.exit_code != 0 and "answered 404" in result.output


def test_the_us_legislators_table_is_made_by_its_migration(db):
    columns = {c["name"] for c in inspect(db.engine).get_columns("us_legislators")}
    assert {"bioguide_id", "chamber", "state", "district", "contact_form", "phone"} <= columns


# -- the provider over HTTP ---------------------------------------------------------------------


def test_a_zip_and_an_address_give_both_senators_and_the_representative(db, stubs):
    stubs.geocoder()
    result = make_provider(db).lookup("95014", address=f"  {ADDRESS}  ")
    assert names(result) == ["Dianne Feinstein", "Kamala D. Harris", "Ro Khanna"]
    feinstein, harris, khanna = result.officials
    assert (feinstein.elected_office, feinstein.body, feinstein.level) == (
        "Senator",
        "United States Senate",
        "federal",
    )
    assert (feinstein.district_name, feinstein.district_id) == ("California", "CA")
    # Members of Congress publish contact forms, not email addresses.
    assert feinstein.email == harris.email == khanna.email == ""
    assert feinstein.web_url == "https://www.feinstein.senate.gov/public/index.cfm/e-mail-me"
    assert feinstein.phone == "202-224-3841"
    assert (khanna.elected_office, khanna.body) == (
        "Representative",
        "United States House of Representatives",
    )
    assert (khanna.district_name, khanna.district_id) == ("California 17", "CA-17")
    assert khanna.web_url == "https://khanna.house.gov"  # no contact form: the official site
    assert not result.ambiguous  # two senators share the state: not a boundary question
    assert result.extra == {
        "districts": {"state": "CA", "cd": "17", "sldu": "015", "sldl": "026"},
        "state_legislators": "no_key",
        "matched_address": "10300 TORRE AVE, CUPERTINO, CA, 95014",
    }
    [request] = stubs.calls(GEOCODER_URL)
    assert request.headers["User-Agent"] == "Advocacy-test/1"
    query = requests.utils.urlparse(request.url).query
    params = dict(p.split("=", 1) for p in query.split("&"))
    assert params["address"] == "10300+Torre+Ave%2C+Cupertino%2C+CA%2C+95014"  # ZIP added
    assert (params["benchmark"], params["vintage"], params["format"]) == (
        "Public_AR_Current",
        "Current_Current",
        "json",
    )
    assert params["layers"] == "all"
    assert not stubs.calls(PEOPLE_GEO)  # no key: Open States is not asked


def test_an_address_that_holds_the_zip_already_is_sent_as_typed(db, stubs):
    stubs.geocoder(
        match=[matchers.query_param_matcher({"address": f"{ADDRESS} 95014"}, strict_match=False)]
    )
    assert len(make_provider(db).lookup("95014-1234", address=f"{ADDRESS} 95014").officials) == 3


def test_an_at_large_state_gives_its_one_representative(db, stubs):
    stubs.geocoder("census-onelineaddress-de-atlarge")
    result = make_provider(db).lookup("19901", address="411 Legislative Ave, Dover, DE")
    assert names(result) == ["Thomas R. Carper", "Christopher A. Coons", "Lisa Blunt Rochester"]
    rep = result.officials[-1]
    assert (rep.district_name, rep.district_id) == ("Delaware (at large)", "DE-AL")
    assert rep.web_url == "https://bluntrochester.house.gov" and rep.phone == "202-225-4165"


def test_a_senator_without_any_contact_is_still_listed(db, stubs):
    match = ca17_geographies()
    match["geographies"]["States"] = [{"STATE": "12", "STUSAB": "FL", "GEOID": "12"}]
    match["geographies"]["116th Congressional Districts"] = [
        {"STATE": "12", "CD116": "01", "GEOID": "1201"}
    ]
    stubs.geocoder(answer_with(match))
    [scott] = make_provider(db).lookup("32501", address="1 Main St").officials
    assert (scott.name, scott.web_url, scott.phone, scott.email) == ("Rick Scott", "", "", "")


def test_an_invalid_zip_is_refused_before_any_call(db, stubs):
    with pytest.raises(civic.InvalidPostcode):
        make_provider(db).normalize("9501")
    assert not stubs.mock.calls


def test_an_unknown_address_is_not_found_and_not_retried(db, stubs):
    stubs.geocoder("census-onelineaddress-nomatch")
    with pytest.raises(civic.AddressNotFound) as info:
        make_provider(db).lookup("95014", address="1 Nowhere Lane")
    assert "Nowhere" not in str(info.value)  # never carries the address
    assert len(stubs.calls(GEOCODER_URL)) == 1


def test_no_address_and_no_districts_is_address_not_found(db, stubs):
    with pytest.raises(civic.AddressNotFound):
        make_provider(db).lookup("95014")
    with pytest.raises(civic.AddressNotFound):
        make_provider(db).lookup("95014", districts={"state": "nowhere"})
    assert not stubs.mock.calls


def test_server_errors_are_retried_twice_then_reported(db, stubs):
    for _ in range(3):
        stubs.geocoder({"error": "boom"}, status=500)
    with pytest.raises(civic.UpstreamUnavailable) as info:
        make_provider(db).lookup("95014", address=ADDRESS)
    assert len(stubs.calls(GEOCODER_URL)) == 3
    assert "Torre" not in info.value.reason  # the reason is logged: no address in it


@pytest.mark.parametrize(
    "failure",
    [requests.ConnectTimeout("slow"), requests.ReadTimeout("slow"), requests.ConnectionError()],
)
def test_timeouts_and_network_errors_are_upstream_unavailable(db, stubs, failure):
    for _ in range(3):
        stubs.geocoder(failure)
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider(db).lookup("95014", address=ADDRESS)


def test_malformed_json_is_upstream_unavailable(db, stubs):
    stubs.mock.get(GEOCODER_URL, body="{not json", status=200)
    with pytest.raises(civic.UpstreamUnavailable, match="malformed"):
        make_provider(db).lookup("95014", address=ADDRESS)


def test_the_recorded_layer_error_answer_is_upstream_unavailable(db, stubs):
    stubs.geocoder("census-onelineaddress-layers-error")
    with pytest.raises(civic.UpstreamUnavailable, match="reported an error"):
        make_provider(db).lookup("20500", address="1600 Pennsylvania Avenue NW")


def test_without_stored_members_the_operator_is_told_to_refresh(db, stubs):
    with db.write() as session:
        session.query(USLegislator).delete()
    stubs.geocoder()
    with pytest.raises(civic.UpstreamUnavailable, match="refresh-us-legislators"):
        make_provider(db).lookup("95014", address=ADDRESS)


def test_districts_found_earlier_need_no_geocoder(db, stubs):
    districts = {"state": "CA", "cd": "20", "sldu": "", "sldl": ""}
    result = make_provider(db).lookup("93940", districts=districts)
    assert names(result) == ["Dianne Feinstein", "Kamala D. Harris", "Jimmy Panetta"]
    assert not stubs.mock.calls


# -- state legislators (Open States) ------------------------------------------------------------


def test_with_a_key_state_legislators_come_from_open_states(db, stubs):
    stubs.geocoder()
    stubs.people(match=[matchers.header_matcher({"X-API-KEY": "secret-key"})])
    result = make_provider(db, key="secret-key").lookup("95014", address=ADDRESS)
    state = [o for o in result.officials if o.level == "state"]
    assert [(o.name, o.elected_office) for o in state] == [
        ("Alex Example", "State Senator"),
        ("Sam Placeholder", "State Assemblymember"),
    ]  # the member of Congress Open States also lists is left out
    senator = state[0]
    assert (senator.body, senator.district_name, senator.district_id) == (
        "California Legislature",
        "California 15",
        "ocd-division/country:us/state:ca/sldu:15",
    )
    assert senator.email == "senator.example@senate.ca.example"
    assert senator.phone == "408-555-0142"  # the district office (constituents') first
    assert senator.web_url == "https://sd15.senate.ca.example/"
    assert state[1].email == ""
    assert result.extra["state_legislators"] == "listed"
    [request] = stubs.calls(PEOPLE_GEO)
    assert "lat=37.318890&lng=-122.029430" in request.url
    assert request.url.count("include=") == 2


def test_state_legislators_are_cached_by_district_not_by_address(db, stubs):
    stubs.geocoder()
    stubs.people()
    provider = make_provider(db, key="k")
    provider.lookup("95014", address=ADDRESS)
    with db.reader() as session:
        keys = [e.key for e in session.scalars(select(LookupCacheEntry))]
    assert keys == ["us-state:CA:u015:l026"]
    # A later page, from the districts alone: the same legislators, from the cache.
    again = provider.lookup("95014", districts=us.Districts("CA", "17", "015", "026"))
    assert [o.name for o in again.officials if o.level == "state"] == [
        "Alex Example",
        "Sam Placeholder",
    ]
    assert len(stubs.calls(PEOPLE_GEO)) == 1 and len(stubs.calls(GEOCODER_URL)) == 1


def test_open_states_down_still_lists_congress(db, stubs):
    stubs.geocoder()
    for _ in range(3):
        stubs.people({"detail": "boom"}, status=500)
    result = make_provider(db, key="k").lookup("95014", address=ADDRESS)
    assert names(result) == ["Dianne Feinstein", "Kamala D. Harris", "Ro Khanna"]
    assert result.extra["state_legislators"] == "unavailable"


def test_a_malformed_open_states_answer_still_lists_congress(db, stubs):
    stubs.geocoder()
    stubs.people({"results": "nobody"})
    result = make_provider(db, key="k").lookup("95014", address=ADDRESS)
    assert len(result.officials) == 3 and result.extra["state_legislators"] == "unavailable"


def test_unknown_state_districts_do_not_ask_open_states(db, stubs):
    match = ca17_geographies()
    match["geographies"]["2024 State Legislative Districts - Upper"] = [{"status": "Layer error"}]
    stubs.geocoder(answer_with(match))
    result = make_provider(db, key="k").lookup("95014", address=ADDRESS)
    assert result.extra["state_legislators"] == "unknown_districts"
    assert not stubs.calls(PEOPLE_GEO)


@pytest.mark.parametrize("data", [None, [], {"results": None}, {"people": []}])
def test_malformed_people_answers_are_upstream_errors(data):
    with pytest.raises(civic.UpstreamUnavailable):
        us.parse_people(data)


def test_people_without_name_title_or_state_legislature_are_skipped():
    people = body("openstates-people-geo")["results"]
    nameless = {**people[0], "name": ""}
    untitled = {**people[0], "current_role": {**people[0]["current_role"], "title": ""}}
    governor = {
        **people[0],
        "current_role": {"title": "Governor", "org_classification": "executive"},
    }
    officials = us.parse_people({"results": [nameless, untitled, governor, "x", people[1]]})
    assert [o.name for o in officials] == ["Sam Placeholder"]


# -- a hostile or broken upstream ---------------------------------------------------------------


def hostile_legislator(name: str, phone: str, url: str) -> dict:
    """Feinstein's recorded entry, with a hostile name, party, phone and web addresses."""
    entry = copy.deepcopy(json.loads(LEGISLATORS.read_text())[0])
    entry["name"]["official_full"] = name
    entry["terms"][-1].update(party="Democrat\r\n", phone=phone, url=url, contact_form=url)
    return entry


@pytest.mark.parametrize(
    ("name", "clean", "phone", "url"),
    [
        (name, clean, phone, url)
        for (name, clean), phone, url in zip(
            HOSTILE_NAMES, HOSTILE_PHONES, HOSTILE_URLS, strict=False
        )
    ],
)
def test_a_hostile_legislator_entry_is_stored_clean(name, clean, phone, url):
    [record], _skipped = us.parse_legislators([hostile_legislator(name, phone, url)])
    assert (record.name, record.party) == (clean, "Democrat")
    assert (record.phone, record.url, record.contact_form) == ("", "", "")


def test_rows_stored_before_the_checks_are_cleaned_on_the_way_out(db):
    with db.write() as session:
        senator = session.get(USLegislator, "F000062")
        senator.name = "Dianne\r\nFeinstein"
        senator.party = "Democrat\x00"
        senator.phone = "javascript:alert(1)"
        senator.contact_form = "javascript:alert(document.cookie)"
        senator.url = "data:text/html,x"
    result = make_provider(db).lookup("95014", districts={"state": "CA", "cd": "17"})
    feinstein = result.officials[0]
    assert (feinstein.name, feinstein.party) == ("Dianne Feinstein", "Democrat")
    assert (feinstein.phone, feinstein.web_url) == ("", "")


def hostile_person(**changes) -> dict:
    """The recorded Open States answer, with ``changes`` to its first state senator."""
    data = body("openstates-people-geo")
    data["results"][0].update(changes)
    return data


@pytest.mark.parametrize(
    ("name", "clean", "email", "phone", "url"),
    [
        (name, clean, email, phone, url)
        for (name, clean), email, phone, url in zip(
            HOSTILE_NAMES, HOSTILE_EMAILS, HOSTILE_PHONES, HOSTILE_URLS, strict=False
        )
    ],
)
def test_a_hostile_state_legislator_is_cleaned(name, clean, email, phone, url):
    data = hostile_person(
        name=name,
        party="Democratic\u2028",
        email=email,
        image=url,
        links=[{"url": url}],
        openstates_url=url,
        offices=[{"name": "District Office", "voice": phone}],
    )
    data["results"][0]["current_role"]["district"] = "15\r\nBcc: x@evil.example"
    senator = us.parse_people(data)[0]
    assert (senator.name, senator.party) == (clean, "Democratic")
    assert senator.district_name == "California 15 Bcc: x@evil.example"
    assert (senator.email, senator.phone, senator.web_url, senator.photo_url) == ("", "", "", "")


def test_a_hostile_open_states_answer_is_cleaned_by_the_provider(db, stubs):
    stubs.geocoder()
    stubs.people(hostile_person(name="Alex\r\nExample", links=[{"url": "javascript:alert(1)"}]))
    result = make_provider(db, key="secret-key").lookup("95014", address=ADDRESS)
    senator = next(o for o in result.officials if o.level == "state")
    assert senator.name == "Alex Example"
    assert senator.web_url == "https://openstates.org/person/alex-example-00a015/"


# -- privacy: the address is used once and kept nowhere -----------------------------------------


def test_urllib3_log_lines_lose_the_address():
    record = logging.LogRecord(
        "urllib3.connectionpool",
        logging.DEBUG,
        __file__,
        1,
        '%s://%s:%s "%s %s %s" %s %s',
        (
            "https",
            "geocoding.geo.census.gov",
            443,
            "GET",
            "/geocoder/geographies/onelineaddress?address=10300+Torre+Ave&format=json",
            "HTTP/1.1",
            200,
            None,
        ),
        None,
    )
    assert us.RedactAddress().filter(record)
    assert "Torre" not in record.getMessage()
    assert "address=[redacted]&format=json" in record.getMessage()


def test_the_provider_installs_the_redaction_on_urllib3(db):
    make_provider(db)
    assert any(
        isinstance(f, us.RedactAddress) for f in logging.getLogger("urllib3.connectionpool").filters
    )


# -- the supporter's pages ----------------------------------------------------------------------


def add_us_campaign(db, slug: str = SLUG, title: str = "Tell Congress") -> None:
    """A live US campaign at ``slug`` writing to members of Congress, with one English letter."""
    from advocacy import models

    with db.write() as session:
        row = models.Campaign(
            slug=slug,
            title=title,
            introduction="Write to your members of Congress.",
            country="US",
            provider="us",
            target_offices=["Senator", "Representative"],
            status="live",
        )
        session.add(row)
        session.flush()
        letter = models.Letter(campaign_id=row.id, language="en")
        session.add(letter)
        session.flush()
        session.add(
            models.LetterVersion(
                campaign_id=row.id,
                letter_id=letter.id,
                language="en",
                version=1,
                subject="About our policy",
                body="Dear {{ official.name }},\n\nPlease act.\n",
            )
        )


@pytest.fixture
def campaign(db) -> str:
    """A live US campaign writing to members of Congress."""
    add_us_campaign(db)
    return SLUG


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def us_lookup(client, postcode: str, address: str | None, follow: bool = True):
    page = client.get(f"/c/{SLUG}/").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "postcode": postcode}
    if address is not None:
        data["address"] = address
    return client.post(f"/c/{SLUG}/lookup", data=data, follow_redirects=follow)


def session_of(app, client) -> dict:
    cookie = client.get_cookie("session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_a_us_campaign_asks_for_a_street_address_and_others_do_not(client, campaign):
    page = page_text(client.get(f"/c/{SLUG}/"))
    assert 'name="address"' in page and "Street address" in page
    assert "For example 20500" in page
    demo = page_text(client.get("/c/canada-beijing-policy/"))
    assert 'name="address"' not in demo


def test_a_zip_and_address_list_members_of_congress(app, client, campaign, stubs, db, caplog):
    caplog.set_level(logging.DEBUG)
    stubs.geocoder()
    response = us_lookup(client, " 95014 ", ADDRESS)
    page = page_text(response)
    assert response.status_code == 200
    assert "Your officials for 95014" in page and "Federal" in page
    for name in ("Dianne Feinstein", "Kamala D. Harris", "Ro Khanna"):
        assert f"Write to {name}" in page
    # Kept between pages: the districts, never the address.
    saved = session_of(app, client)["postcode"]
    assert saved == {
        "campaign": SLUG,
        "code": "95014",
        "districts": {"state": "CA", "cd": "17", "sldu": "015", "sldl": "026"},
    }
    assert "Torre" not in json.dumps(session_of(app, client))
    assert "Torre" not in caplog.text
    with db.reader() as session:
        for table in ("lookup_cache", "contact_actions", "us_legislators"):
            for row in session.execute(text(f"SELECT * FROM {table}")):  # noqa: S608 - fixed names
                assert "Torre" not in repr(row)
    # The officials page again: from the session's districts, no new geocoding.
    again = page_text(client.get(f"/c/{SLUG}/officials"))
    assert "Write to Ro Khanna" in again
    assert len(stubs.calls(GEOCODER_URL)) == 1


def test_an_empty_address_is_asked_for(client, campaign, stubs):
    response = us_lookup(client, "95014", "   ")
    assert response.status_code == 422
    assert "Please enter your street address" in page_text(response)
    assert not stubs.mock.calls


def test_an_invalid_zip_is_explained(client, campaign, stubs):
    response = us_lookup(client, "9501", ADDRESS)
    assert response.status_code == 422
    assert "A ZIP code has five digits" in page_text(response)
    assert not stubs.mock.calls


def test_an_unknown_address_says_so_on_the_form(client, campaign, stubs):
    stubs.geocoder("census-onelineaddress-nomatch")
    response = us_lookup(client, "95014", "1 Nowhere Lane")
    page = page_text(response)
    assert response.status_code == 422
    assert "We could not find this address" in page
    assert 'value="1 Nowhere Lane"' in page  # given back to correct, not kept


def test_an_address_in_two_districts_asks_for_city_and_state(client, campaign, stubs):
    data = body("census-onelineaddress-ca17")
    data["result"]["addressMatches"].append(
        body("census-onelineaddress-de-atlarge")["result"]["addressMatches"][0]
    )
    stubs.geocoder(data)
    response = us_lookup(client, "95014", "10300 Torre")
    assert response.status_code == 422
    assert "Please add your city and state" in page_text(response)


def test_the_recorded_layer_error_gets_a_friendly_page(client, campaign, stubs):
    stubs.geocoder("census-onelineaddress-layers-error")
    response = us_lookup(client, "20500", "1600 Pennsylvania Avenue NW")
    assert response.status_code == 503
    assert "We cannot look up officials right now" in page_text(response)


def test_geocoder_down_gets_a_friendly_page(client, campaign, stubs):
    for _ in range(3):
        stubs.geocoder({"error": "boom"}, status=502)
    response = us_lookup(client, "95014", ADDRESS)
    assert response.status_code == 503


def test_without_districts_in_the_session_the_address_is_asked_again(client, campaign):
    with client.session_transaction() as session:
        session["postcode"] = {"campaign": SLUG, "code": "95014"}
    response = client.get(f"/c/{SLUG}/officials")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/c/{SLUG}/")
    page = page_text(client.get(response.headers["Location"]))
    assert "Please enter your ZIP code and street address again" in page


def test_a_member_without_email_links_to_the_contact_form_with_the_letter_to_copy(
    app, client, campaign, stubs, db
):
    stubs.geocoder()
    page = us_lookup(client, "95014", ADDRESS).get_data(as_text=True)
    link = next(h for h in write_links(page) if "Feinstein" in _label(page, h))
    letter = client.get(link).get_data(as_text=True)
    assert "This official publishes no email address" in unescape(letter)
    form_url = "https://www.feinstein.senate.gov/public/index.cfm/e-mail-me"
    assert f'href="{form_url}"' in letter
    assert "Dear Dianne Feinstein," in unescape(letter)
    send = client.post(link, data=letter_form_data(letter), follow_redirects=True)
    assert send.status_code == 200
    send_page = send.get_data(as_text=True)
    assert 'href="mailto:' not in send_page
    assert "through their web page or contact form" in unescape(send_page)
    assert f'href="{form_url}"' in send_page
    assert re.search(r'<textarea id="copy-body" readonly[^>]*>\s*Dear Dianne Feinstein,', send_page)
    assert "I have contacted this office" in unescape(send_page)
    confirm = {
        "csrf_token": csrf_token(send_page),
        "postcode": hidden(send_page, "postcode"),
        "token": hidden(send_page, "token"),
        "template_id": hidden(send_page, "template_id"),
        "proof": hidden(send_page, "proof"),
    }
    thanks = client.post(link.replace("/write/", "/sent/"), data=confirm, follow_redirects=True)
    assert thanks.status_code == 200
    with db.reader() as session:
        [action] = session.scalars(select(ContactAction))
    assert (action.official_name, action.method, action.provider, action.level) == (
        "Dianne Feinstein",
        "web_form",
        "us",
        "federal",
    )
    assert (action.district_id, action.postcode_prefix) == ("CA", "950")  # the ZIP3 area only
    # After sending, the districts are still known: the thanks page offers the others.
    assert "districts" in session_of(app, client)["postcode"]
    assert "Ro Khanna" in page_text(thanks)


@pytest.mark.parametrize("openstates_key", ["test-key"])
def test_with_a_key_state_legislators_are_listed_under_state(client, campaign, stubs):
    stubs.geocoder()
    stubs.people()
    page = page_text(us_lookup(client, "95014", ADDRESS))
    assert "<h2>State</h2>" in page
    assert "Alex Example" in page and "State Senator" in page
    # Not a target of this campaign ("Senator" is a US senator, not a state one).
    assert "Write to Alex Example" not in page


def _label(page: str, href: str) -> str:
    match = re.search(rf'href="{re.escape(href)}">([^<]*)<', page)
    return unescape(match.group(1)) if match else ""


def test_fixture_sources_are_documented():
    readme = (FIXTURES / "us" / "README.md").read_text(encoding="utf-8")
    for path in Path(FIXTURES / "us").glob("*.json"):
        assert f"`{path.name}`" in readme


def test_custom_targets_join_the_members_of_congress(app, client, campaign, stubs, db):
    from advocacy import campaigns as campaign_service
    from advocacy.civic import directory

    row = campaign_service.campaign_by_slug(db, SLUG)
    targets = directory.parse_targets_csv(
        b"name,office,level,district,email,phone,url,postcodes\n"
        b"Secretary of State,Secretary of State,federal,United States,,202-555-0100,"
        b"https://www.state.gov/contact-us/,*\n",
        "US",
    )
    campaign_service.replace_targets(db, row, targets)
    with db.write() as session:
        session.get(type(row), row.id).target_mode = "both"
    stubs.geocoder()
    page = us_lookup(client, "95014", ADDRESS).get_data(as_text=True)
    assert "Write to Secretary of State" in page and "Feinstein" in page
    # And again from the districts kept in the session, without the address.
    again = client.get(f"/c/{SLUG}/officials").get_data(as_text=True)
    assert "Write to Secretary of State" in again

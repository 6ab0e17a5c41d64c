"""The Represent provider: parsing recorded-shape bodies, and the HTTP client's behaviour on
errors, rate limits, timeouts and malformed answers."""

from __future__ import annotations

import pytest
import requests
from responses import matchers

from advocacy import civic
from advocacy.civic.represent import RepresentProvider, level_for, parse_postcode

from .conftest import REPRESENT, represent_body
from .test_civic_checks import HOSTILE_EMAILS, HOSTILE_NAMES, HOSTILE_PHONES, HOSTILE_URLS


def make_provider(retries: int = 2, retry_after_cap: float = 3.0, deadline: float = 5.0):
    config = {
        "USER_AGENT": "Advocacy-test/1",
        "HTTP_RETRIES": retries,
        "HTTP_BACKOFF": 0.0,
        "HTTP_RETRY_AFTER_MAX": retry_after_cap,
    }
    return RepresentProvider(REPRESENT, civic.make_session(config), timeout=1.0, deadline=deadline)


# -- parsing ------------------------------------------------------------------------------------


def test_parses_every_official_once_with_level_and_contacts():
    result = parse_postcode(represent_body("K1P5G4"), "K1P 5G4")
    names = [o.name for o in result.officials]
    assert len(names) == len(set(names)) == 5  # MP and MPP appear in both lists, kept once
    mp = next(o for o in result.officials if o.elected_office == "MP")
    assert (mp.level, mp.body, mp.district_name, mp.district_id) == (
        "federal",
        "House of Commons",
        "Ottawa Centre",
        "35075",
    )
    assert mp.party == "Liberal" and mp.email == "alexandra.placeholder@parl.gc.ca"
    assert mp.phone == "1-613-555-0110"  # the constituency office before the legislature
    assert mp.photo_url.startswith("https://www.ourcommons.ca/")
    levels = {o.name: o.level for o in result.officials}
    assert levels["Jean-François Exemple"] == "provincial"
    assert levels["Mark Placeholder"] == "municipal"
    assert result.city == "Ottawa" and result.province == "ON"
    assert not result.ambiguous


def test_a_code_spanning_two_ridings_is_ambiguous_for_mps_only():
    result = parse_postcode(represent_body("G6G1B2"), "G6G 1B2")
    mps = [o for o in result.officials if o.elected_office == "MP"]
    assert {o.district_name for o in mps} == {"Mégantic—L'Érable—Lotbinière", "Beauce"}
    assert result.ambiguous_groups == [("House of Commons", "MP")]
    assert [o.at_centroid for o in mps] == [True, False]
    mna = next(o for o in result.officials if o.elected_office == "MNA")
    assert mna.level == "provincial" and mna.email == "" and mna.phone == "418 555-0160"
    maire = next(o for o in result.officials if o.elected_office == "Maire")
    assert maire.district_id == ""  # no boundary_url


def test_missing_lists_and_large_answers():
    rural = parse_postcode(represent_body("V0C1R0"), "V0C 1R0")  # no centroid list
    assert [o.elected_office for o in rural.officials] == ["MP", "MLA"]
    toronto = parse_postcode(represent_body("M5V3L9"), "M5V 3L9")  # no concordance list
    assert len(toronto.officials) == 40
    assert not toronto.ambiguous  # 37 councillors elected at large share one district


def test_empty_answer_gives_no_officials():
    body = {"code": "X0A0A0", "boundaries_centroid": [], "boundaries_concordance": []}
    assert parse_postcode(body, "X0A 0A0").officials == ()


@pytest.mark.parametrize("body", [[], "text", None, {"representatives_centroid": "oops"}])
def test_malformed_bodies_are_upstream_errors(body):
    with pytest.raises(civic.UpstreamUnavailable):
        parse_postcode(body, "K1P 5G4")


def test_representatives_without_name_or_office_are_skipped():
    body = represent_body("K1P5G4")
    body["representatives_centroid"].append({"name": "", "elected_office": "MP"})
    body["representatives_centroid"].append("not an object")
    assert len(parse_postcode(body, "K1P 5G4").officials) == 5


@pytest.mark.parametrize(
    ("office", "body", "level"),
    [
        ("MP", "House of Commons", "federal"),
        ("MHA", "House of Assembly of Newfoundland and Labrador", "provincial"),
        ("MNA", "Assemblée nationale du Québec", "provincial"),
        ("Regional Councillor", "Brampton City Council", "municipal"),
    ],
)
def test_levels(office, body, level):
    assert level_for(office, body) == level


# -- a hostile or broken upstream ---------------------------------------------------------------


def hostile_mp(**changes) -> dict:
    """The recorded K1P5G4 body with ``changes`` made to the MP (listed in both lists)."""
    body = represent_body("K1P5G4")
    for rep in body["representatives_centroid"] + body["representatives_concordance"]:
        if rep["elected_office"] == "MP":
            rep.update(changes)
    return body


def the_mp(body: dict) -> civic.Official:
    return next(o for o in parse_postcode(body, "K1P 5G4").officials if o.district_id == "35075")


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_web_or_photo_address_that_is_not_plain_http_is_dropped(url):
    mp = the_mp(hostile_mp(url=url, personal_url=url, photo_url=url))
    assert (mp.web_url, mp.photo_url) == ("", "")
    assert mp.name == "Alexandra Placeholder"  # still listed: the supporter can write


def test_the_personal_page_stands_in_for_a_hostile_official_page():
    mp = the_mp(hostile_mp(url="javascript:alert(1)", personal_url="https://alex.example.ca/"))
    assert mp.web_url == "https://alex.example.ca/"


@pytest.mark.parametrize("number", HOSTILE_PHONES)
def test_a_phone_that_is_not_a_number_is_dropped(number):
    body = hostile_mp()
    for rep in body["representatives_centroid"]:
        for office in rep["offices"]:
            office["tel"] = number
    assert all(o.phone == "" for o in parse_postcode(body, "K1P 5G4").officials)


def test_a_hostile_constituency_phone_does_not_hide_a_good_one():
    body = represent_body("K1P5G4")
    mp = next(r for r in body["representatives_centroid"] if r["elected_office"] == "MP")
    for office in mp["offices"]:
        office["tel"] = (
            "javascript:alert(1)" if office["type"] == "constituency" else "613-555-0111"
        )
    assert the_mp(body).phone == "613-555-0111"


@pytest.mark.parametrize(("name", "clean"), HOSTILE_NAMES)
def test_names_and_places_are_one_clean_line(name, clean):
    mp = the_mp(
        hostile_mp(
            name=name,
            elected_office="MP\r\n",
            district_name="Ottawa\r\nCentre",
            party_name="Liberal\x00",
            representative_set_name="House of\u2028Commons",
        )
    )
    assert mp.name == clean
    assert (mp.elected_office, mp.district_name, mp.party, mp.body) == (
        "MP",
        "Ottawa Centre",
        "Liberal",
        "House of Commons",
    )
    assert mp.level == "federal"


@pytest.mark.parametrize("address", HOSTILE_EMAILS)
def test_an_email_that_is_not_one_plain_address_is_dropped(address):
    assert the_mp(hostile_mp(email=address)).email == ""


def test_a_hostile_answer_is_cleaned_by_the_provider_too(represent):
    body = hostile_mp(name="Alexandra\r\nPlaceholder", url="javascript:alert(1)")
    body["city"] = "Ottawa\nBcc: x@evil.example"
    represent.add("K1P5G4", body=body)
    result = make_provider().lookup("K1P 5G4")
    mp = next(o for o in result.officials if o.district_id == "35075")
    assert (mp.name, mp.web_url) == ("Alexandra Placeholder", "")
    assert result.city == "Ottawa Bcc: x@evil.example"


# -- HTTP ---------------------------------------------------------------------------------------


def test_asks_upper_case_without_space_and_names_itself(represent):
    represent.add("K1P5G4", match=[matchers.header_matcher({"User-Agent": "Advocacy-test/1"})])
    assert len(make_provider().lookup("K1P 5G4").officials) == 5


def test_unknown_code_is_not_found(represent):
    represent.add("K0K0K0", body={"detail": "Not found."}, status=404)
    with pytest.raises(civic.PostcodeNotFound):
        make_provider().lookup("K0K 0K0")
    assert represent.calls("K0K0K0") == 1  # a 404 is an answer, not retried


def test_server_errors_are_retried_twice_then_reported(represent):
    for _ in range(3):
        represent.add("K1P5G4", body={"error": "boom"}, status=500)
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider().lookup("K1P 5G4")
    assert represent.calls("K1P5G4") == 3


def test_a_passing_failure_is_retried_transparently(represent):
    represent.add("K1P5G4", body={}, status=503)
    represent.add("K1P5G4")
    assert len(make_provider().lookup("K1P 5G4").officials) == 5
    assert represent.calls("K1P5G4") == 2


def test_a_short_retry_after_is_honoured(represent):
    represent.add("K1P5G4", body={}, status=429, headers={"Retry-After": "1"})
    represent.add("K1P5G4")
    assert len(make_provider().lookup("K1P 5G4").officials) == 5


def test_a_long_retry_after_is_not_waited_for(represent):
    represent.add("K1P5G4", body={}, status=503, headers={"Retry-After": "120"})
    with pytest.raises(civic.UpstreamUnavailable) as caught:
        make_provider().lookup("K1P 5G4")
    assert caught.value.retry_after == 120
    assert represent.calls("K1P5G4") == 1


def test_a_timeout_is_upstream_unavailable(represent):
    represent.add("K1P5G4", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider().lookup("K1P 5G4")


def test_a_connection_error_is_upstream_unavailable(represent):
    represent.add("K1P5G4", body=requests.exceptions.ConnectionError("reset"))
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider().lookup("K1P 5G4")


def test_malformed_json_is_upstream_unavailable(represent):
    represent.mock.get(
        represent.url("K1P5G4"),
        body="<html>Service Unavailable</html>",
        status=200,
        content_type="text/html",
    )
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider().lookup("K1P 5G4")


def test_no_retry_once_the_deadline_would_pass(represent):
    for _ in range(3):
        represent.add("K1P5G4", body={}, status=503)
    # A deadline shorter than one attempt's timeout: the first failure is final.
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider(deadline=0.5).lookup("K1P 5G4")
    assert represent.calls("K1P5G4") == 1

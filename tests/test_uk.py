"""The UK provider (postcodes.io + the UK Parliament Members API): parsing recorded and
schema-built bodies, the HTTP client's behaviour on errors, and the supporter's pages for a
campaign in the United Kingdom."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
import requests
from responses import matchers
from sqlalchemy import select, update

from advocacy import campaigns, civic, create_app
from advocacy.civic.uk import (
    MEMBER_CONTACT_PAGE,
    UKProvider,
    find_constituency,
    parse_contacts,
    parse_outcode,
    parse_postcode,
    same_name,
)
from advocacy.models import ContactAction, LookupCacheEntry

from .conftest import FIXTURES, test_config
from .helpers import csrf_token, hidden, letter_form_data, lookup, write_links
from .test_civic_checks import HOSTILE_EMAILS, HOSTILE_NAMES, HOSTILE_PHONES, HOSTILE_URLS

POSTCODES = "https://postcodes.test"
MEMBERS = "https://members.test"
SLUG = "uk-beijing-policy"
BASE = f"/c/{SLUG}"


def uk_body(name: str):
    """A body from tests/fixtures/uk/ (see the README there for where each comes from)."""
    return json.loads((FIXTURES / "uk" / f"{name}.json").read_text(encoding="utf-8"))


class UKStub:
    """Helpers to stub postcodes.io and the Members API with the fixtures."""

    def __init__(self, mock) -> None:
        self.mock = mock

    def add(self, url: str, body=None, **kwargs):
        """Stub one answer: JSON ``body``, or an exception to raise (a timeout, say)."""
        if isinstance(body, Exception):
            return self.mock.get(url, body=body, **kwargs)
        return self.mock.get(url, json=body, **kwargs)

    def postcode(self, code: str, body=None, **kwargs):
        body = uk_body("postcodesio-postcode-lookup-BR87RE") if body is None else body
        return self.add(f"{POSTCODES}/postcodes/{code}", body, **kwargs)

    def outcode(self, code: str, body=None, **kwargs):
        body = uk_body(f"postcodesio-outcode-lookup-{code}") if body is None else body
        return self.add(f"{POSTCODES}/outcodes/{code}", body, **kwargs)

    def nearest(self, body=None, **kwargs):
        body = uk_body("postcodesio-reverse-geocode-BR8-centroid") if body is None else body
        return self.add(f"{POSTCODES}/postcodes", body, **kwargs)

    def search(self, name: str, body=None, skip: int = 0, **kwargs):
        body = uk_body(f"members-constituency-search-{name}") if body is None else body
        query = {"searchText": name, "skip": str(skip), "take": "20"}
        match = [matchers.query_param_matcher(query)]
        return self.add(f"{MEMBERS}/api/Location/Constituency/Search", body, match=match, **kwargs)

    def contact(self, member_id: int, body=None, **kwargs):
        body = uk_body(f"members-contact-{member_id}") if body is None else body
        return self.add(f"{MEMBERS}/api/Members/{member_id}/Contact", body, **kwargs)

    def sevenoaks(self):
        self.search("Sevenoaks")
        self.contact(90001)

    def orpington(self):
        self.search("Orpington")
        self.contact(90002)

    def calls(self, path: str) -> int:
        """How many requests went to ``path`` (query string aside)."""
        return sum(1 for c in self.mock.calls if c.request.url.split("?")[0].endswith(path))


@pytest.fixture
def uk(upstream) -> UKStub:
    return UKStub(upstream)


def make_provider(retries: int = 2, deadline: float = 5.0) -> UKProvider:
    config = {
        "USER_AGENT": "Advocacy-test/1",
        "HTTP_RETRIES": retries,
        "HTTP_BACKOFF": 0.0,
        "HTTP_RETRY_AFTER_MAX": 3.0,
    }
    session = civic.make_session(config)
    return UKProvider(POSTCODES, MEMBERS, session, timeout=1.0, deadline=deadline)


# -- parsing ------------------------------------------------------------------------------------


def test_a_postcode_gives_its_westminster_constituency_and_country():
    place = parse_postcode(uk_body("postcodesio-postcode-lookup-BR87RE"))
    [constituency] = place.constituencies
    assert (constituency.name, constituency.gss_code) == ("Sevenoaks", "E14001465")
    assert (place.country, place.district) == ("England", "Sevenoaks")


def test_the_2024_key_is_the_fallback():
    body = uk_body("postcodesio-postcode-lookup-BR87RE")
    del body["result"]["parliamentary_constituency"]
    del body["result"]["codes"]["parliamentary_constituency"]
    [constituency] = parse_postcode(body).constituencies
    assert (constituency.name, constituency.gss_code) == ("Sevenoaks", "E14001465")


def test_a_postcode_without_constituency_has_no_mp():
    # As for the Channel Islands and the Isle of Man, which have no MP.
    body = uk_body("postcodesio-postcode-lookup-BR87RE")
    body["result"]["parliamentary_constituency"] = None
    body["result"]["parliamentary_constituency_2024"] = None
    assert parse_postcode(body).constituencies == ()


def test_an_outcode_lists_every_constituency_it_touches():
    place, centre = parse_outcode(uk_body("postcodesio-outcode-lookup-BR8"))
    assert [c.name for c in place.constituencies] == ["Sevenoaks", "Orpington"]
    assert not any(c.at_centroid for c in place.constituencies)  # not known yet
    assert place.country == "England" and place.district == "Sevenoaks, Bromley"
    assert centre == pytest.approx((0.17398827115555, 51.41300203259024))


@pytest.mark.parametrize(
    "body", [[], "text", None, {"status": 200}, {"result": "oops"}, {"result": []}]
)
def test_malformed_postcodes_io_bodies_are_upstream_errors(body):
    with pytest.raises(civic.UpstreamUnavailable):
        parse_postcode(body)
    with pytest.raises(civic.UpstreamUnavailable):
        parse_outcode(body)


def test_only_the_current_constituency_of_that_exact_name_is_taken():
    found = find_constituency(uk_body("members-constituency-search-Sevenoaks"), "Sevenoaks")
    assert found["id"] == 90101 and found["endDate"] is None  # not the 1997-2024 one
    assert find_constituency(uk_body("members-constituency-search-Sevenoaks"), "Seven") is None


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Ynys Môn", "Ynys Mon", True),
        ("St Albans", "St. Albans", True),
        ("Weston-super-Mare", "Weston Super Mare", True),
        ("Brighton Kemptown & Peacehaven", "Brighton Kemptown and Peacehaven", True),
        ("York Outer", "York Central", False),
        ("York", "York Outer", False),
        ("", "", False),
    ],
)
def test_constituency_names_are_compared_loosely_but_whole(a, b, same):
    assert same_name(a, b) is same


def test_contacts_prefer_the_parliamentary_office_and_never_take_an_address():
    contacts = parse_contacts(uk_body("members-contact-90001"), 90001)
    assert contacts.email == "alex.placeholder.mp@parliament.uk"  # not the constituency office
    assert contacts.phone == "020 7219 5550"
    assert contacts.web_url == "https://www.alexplaceholder.example"  # the website, not X
    flat = " ".join(contacts.__dict__.values())
    assert "Placeholder Road" not in flat and "TN13" not in flat


def test_without_email_or_website_the_parliament_contact_page_is_the_way():
    contacts = parse_contacts(uk_body("members-contact-90002"), 90002)
    assert contacts.email == ""
    assert contacts.phone == "020 7219 5551"
    assert contacts.web_url == MEMBER_CONTACT_PAGE.format(id=90002)  # not Facebook


def test_an_email_filed_under_the_constituency_office_is_still_used():
    body = {"value": [{"type": "Constituency office", "email": "x.mp@parliament.uk"}]}
    assert parse_contacts(body, 1).email == "x.mp@parliament.uk"


def test_a_web_address_that_is_not_http_is_ignored():
    body = {
        "value": [
            {"type": "Website", "isWebAddress": True, "line1": "javascript:alert(1)"},
            {"type": "Parliamentary office", "email": "not an address"},
        ]
    }
    contacts = parse_contacts(body, 7)
    assert contacts.web_url == MEMBER_CONTACT_PAGE.format(id=7) and contacts.email == ""


def hostile_contacts(**changes) -> dict:
    """The recorded contacts of member 90001, with ``changes`` to the parliamentary office."""
    body = uk_body("members-contact-90001")
    office = next(e for e in body["value"] if e["type"] == "Parliamentary office")
    office.update(changes)
    return body


@pytest.mark.parametrize("address", HOSTILE_EMAILS)
def test_a_hostile_email_gives_way_to_the_next_good_one(address):
    contacts = parse_contacts(hostile_contacts(email=address), 90001)
    assert contacts.email == "office@alexplaceholder.example"  # the constituency office's


@pytest.mark.parametrize("number", HOSTILE_PHONES)
def test_a_hostile_phone_gives_way_to_the_next_good_one(number):
    assert parse_contacts(hostile_contacts(phone=number), 90001).phone == "01732 555010"


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_hostile_website_gives_the_parliament_contact_page(url):
    body = uk_body("members-contact-90001")
    for entry in body["value"]:
        if entry["type"] == "Website":
            entry["line1"] = url
            entry["website"] = url
    assert parse_contacts(body, 90001).web_url == MEMBER_CONTACT_PAGE.format(id=90001)


def hostile_member(**changes) -> dict:
    """The recorded Sevenoaks search, with ``changes`` to its sitting member."""
    body = uk_body("members-constituency-search-Sevenoaks")
    for item in body["items"]:
        representation = item["value"]["currentRepresentation"]
        if representation:
            representation["member"]["value"].update(changes)
    return body


@pytest.mark.parametrize(("name", "clean"), HOSTILE_NAMES)
def test_a_hostile_member_and_constituency_are_cleaned_by_the_provider(uk, name, clean):
    place = uk_body("postcodesio-postcode-lookup-BR87RE")
    place["result"]["parliamentary_constituency"] = "Sevenoaks\r\n"
    place["result"]["country"] = "England\x00"
    uk.postcode("BR87RE", place)
    uk.search("Sevenoaks", hostile_member(
        nameDisplayAs=name,
        latestParty={"name": "Conservative\u2028"},
        thumbnailUrl="javascript:alert(1)",
    ))  # fmt: skip
    uk.contact(90001)
    result = make_provider().lookup("BR8 7RE")
    [mp] = result.officials
    assert (mp.name, mp.party, mp.district_name) == (clean, "Conservative", "Sevenoaks")
    assert mp.photo_url == "" and result.province == "England"


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_hostile_thumbnail_is_dropped(uk, url):
    uk.postcode("BR87RE")
    uk.search("Sevenoaks", hostile_member(thumbnailUrl=url))
    uk.contact(90001)
    [mp] = make_provider().lookup("BR8 7RE").officials
    assert mp.photo_url == "" and mp.name == "Alex Placeholder"


@pytest.mark.parametrize("body", [[], None, {"value": "x"}, {"links": []}])
def test_malformed_members_bodies_are_upstream_errors(body):
    with pytest.raises(civic.UpstreamUnavailable):
        parse_contacts(body, 1)
    with pytest.raises(civic.UpstreamUnavailable):
        find_constituency(body, "Sevenoaks")


# -- HTTP: the provider -------------------------------------------------------------------------


def test_a_postcode_finds_its_mp_with_contacts(uk):
    uk.postcode("BR87RE", match=[matchers.header_matcher({"User-Agent": "Advocacy-test/1"})])
    uk.sevenoaks()
    result = make_provider().lookup("BR8 7RE")
    [mp] = result.officials
    assert (mp.name, mp.elected_office, mp.level, mp.body) == (
        "Alex Placeholder",
        "MP",
        "national",
        "House of Commons",
    )
    assert (mp.district_name, mp.district_id, mp.party) == (
        "Sevenoaks",
        "E14001465",
        "Conservative",
    )
    assert mp.email == "alex.placeholder.mp@parliament.uk" and mp.phone == "020 7219 5550"
    assert mp.web_url == "https://www.alexplaceholder.example"
    assert mp.photo_url == "https://members-api.parliament.uk/api/Members/90001/Thumbnail"
    assert mp.source == "uk" and mp.at_centroid
    assert (result.postcode, result.province, result.source) == ("BR8 7RE", "England", "uk")
    assert not result.ambiguous


def test_normalize_takes_a_full_postcode_or_an_outward_code():
    provider = make_provider()
    assert provider.normalize("br87re") == "BR8 7RE"
    assert provider.normalize(" br8 ") == "BR8"
    with pytest.raises(civic.InvalidPostcode):
        provider.normalize("K1A 0B1")


def test_an_invalid_postcode_is_invalid(uk):
    # postcodes.io's own check (api/app/lib/errors.ts); no recorded body, its documented shape.
    uk.postcode("BR87RE", {"status": 404, "error": "Invalid postcode"}, status=404)
    with pytest.raises(civic.InvalidPostcode):
        make_provider().lookup("BR8 7RE")


def test_an_unknown_postcode_is_not_found_and_not_retried(uk):
    uk.postcode("EC1A9ZZ", uk_body("postcodesio-postcode-404-notfound"), status=404)
    with pytest.raises(civic.PostcodeNotFound) as caught:
        make_provider().lookup("EC1A 9ZZ")
    assert not isinstance(caught.value, civic.PostcodeTerminated)
    assert uk.calls("/postcodes/EC1A9ZZ") == 1


def test_a_terminated_postcode_says_when(uk):
    uk.postcode("AB10AA", uk_body("postcodesio-postcode-404-terminated"), status=404)
    with pytest.raises(civic.PostcodeTerminated) as caught:
        make_provider().lookup("AB1 0AA")
    assert (caught.value.postcode, caught.value.year, caught.value.month) == ("AB1 0AA", 1996, 6)
    assert isinstance(caught.value, civic.PostcodeNotFound)  # views that know only that still work


def test_a_terminated_postcode_without_a_date_is_still_terminated(uk):
    uk.postcode("AB10AA", {"status": 404, "error": "x", "terminated": {}}, status=404)
    with pytest.raises(civic.PostcodeTerminated) as caught:
        make_provider().lookup("AB1 0AA")
    assert (caught.value.year, caught.value.month) == (None, None)


def test_an_unknown_outcode_is_not_found(uk):
    uk.add(f"{POSTCODES}/outcodes/ZZ9", {"status": 404, "error": "Outcode not found"}, status=404)
    with pytest.raises(civic.PostcodeNotFound):
        make_provider().lookup("ZZ9")


@pytest.mark.parametrize(
    "failure",
    [
        {"body": {"error": "boom"}, "status": 500},
        {"body": requests.exceptions.ReadTimeout("slow")},
        {"body": requests.exceptions.ConnectionError("reset")},
    ],
)
def test_postcodes_io_down_is_upstream_unavailable(uk, failure):
    for _ in range(3):
        uk.postcode("BR87RE", **failure)
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider().lookup("BR8 7RE")
    if "status" in failure:
        assert uk.calls("/postcodes/BR87RE") == 3  # two retries, then we give up


def test_malformed_json_is_upstream_unavailable(uk):
    uk.mock.get(f"{POSTCODES}/postcodes/BR87RE", body="<html>oops</html>", content_type="text/html")
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider().lookup("BR8 7RE")


def test_a_long_retry_after_is_reported(uk):
    uk.postcode("BR87RE", {}, status=429, headers={"Retry-After": "120"})
    with pytest.raises(civic.UpstreamUnavailable) as caught:
        make_provider().lookup("BR8 7RE")
    assert caught.value.retry_after == 120


@pytest.mark.parametrize("which", ["search", "contact"])
def test_members_api_down_is_upstream_unavailable(uk, which):
    uk.postcode("BR87RE")
    if which == "search":
        for _ in range(3):
            uk.search("Sevenoaks", {"error": "boom"}, status=500)
    else:
        uk.search("Sevenoaks")
        for _ in range(3):
            uk.contact(90001, {"error": "boom"}, status=503)
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider().lookup("BR8 7RE")


def test_members_api_malformed_json_is_upstream_unavailable(uk):
    uk.postcode("BR87RE")
    uk.mock.get(f"{MEMBERS}/api/Location/Constituency/Search", body="{not json")
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider().lookup("BR8 7RE")


def test_a_member_without_contact_details_can_still_be_reached(uk):
    uk.postcode("BR87RE")
    uk.search("Sevenoaks")
    uk.contact(90001, {"status": 404}, status=404)
    [mp] = make_provider().lookup("BR8 7RE").officials
    assert (mp.email, mp.phone) == ("", "")
    assert mp.web_url == MEMBER_CONTACT_PAGE.format(id=90001)


def test_a_vacant_seat_gives_no_mp_and_says_so(uk):
    body = uk_body("members-constituency-search-Sevenoaks")
    body["items"][1]["value"]["currentRepresentation"] = None
    uk.postcode("BR87RE")
    uk.search("Sevenoaks", body)
    result = make_provider().lookup("BR8 7RE")
    assert result.officials == ()
    assert result.extra == {"vacant": ["Sevenoaks"]}


def test_a_constituency_parliament_does_not_know_is_not_guessed(uk):
    body = uk_body("members-constituency-search-Sevenoaks")
    body["items"] = body["items"][:1]  # only the abolished one
    body["totalResults"] = 1
    uk.postcode("BR87RE")
    uk.search("Sevenoaks", body)
    with pytest.raises(civic.UpstreamUnavailable):
        make_provider().lookup("BR8 7RE")


def test_the_constituency_search_reads_further_pages(uk):
    first = uk_body("members-constituency-search-Sevenoaks")
    abolished = first["items"][0]
    first["items"] = [abolished] * 20
    first["totalResults"] = 21
    second = uk_body("members-constituency-search-Sevenoaks")
    second["items"] = second["items"][1:]
    second["totalResults"], second["skip"] = 21, 20
    uk.postcode("BR87RE")
    uk.search("Sevenoaks", first)
    uk.search("Sevenoaks", second, skip=20)
    uk.contact(90001)
    [mp] = make_provider().lookup("BR8 7RE").officials
    assert mp.name == "Alex Placeholder"
    assert uk.calls("/Constituency/Search") == 2


def test_no_constituency_means_no_members_api_call(uk):
    body = uk_body("postcodesio-postcode-lookup-BR87RE")
    body["result"]["parliamentary_constituency"] = None
    body["result"]["parliamentary_constituency_2024"] = None
    uk.postcode("BR87RE", body)
    assert make_provider().lookup("BR8 7RE").officials == ()
    assert uk.calls("/Constituency/Search") == 0


def test_an_outcode_spanning_two_constituencies_lists_both_mps(uk):
    uk.outcode("BR8")
    uk.nearest()
    uk.sevenoaks()
    uk.orpington()
    result = make_provider().lookup("BR8")
    assert [(o.name, o.district_name, o.at_centroid) for o in result.officials] == [
        ("Alex Placeholder", "Sevenoaks", True),  # holds the outcode's centre: listed first
        ("Sam Exemple-Témoin", "Orpington", False),
    ]
    assert result.ambiguous_groups == [("House of Commons", "MP")]
    # The GSS code is known for the centre's constituency only (outcodes carry no codes).
    assert [o.district_id for o in result.officials] == ["E14001465", ""]
    [call] = [c for c in uk.mock.calls if c.request.url.split("?")[0].endswith("/postcodes")]
    assert "radius=2000" in call.request.url and "limit=1" in call.request.url


def test_an_outcode_whose_centre_cannot_be_placed_still_lists_every_mp(uk):
    uk.outcode("BR8")
    for _ in range(3):
        uk.nearest({"error": "boom"}, status=500)
    uk.sevenoaks()
    uk.orpington()
    result = make_provider().lookup("BR8")
    assert [o.district_name for o in result.officials] == ["Sevenoaks", "Orpington"]
    assert not any(o.at_centroid for o in result.officials)
    assert result.ambiguous


# -- the pages, for a campaign in the United Kingdom ------------------------------------------

LETTER = """Subject: Your policy towards the government in Beijing
Language: en

Dear {{ official.name }},

As a constituent in {{ official.district }}, I would like to know where you stand on the
United Kingdom's policy towards the government of the People's Republic of China.

Sincerely,
"""


def make_gb_campaign(db, folder: Path) -> None:
    """A live GB campaign writing to MPs, through the same loader as the shipped campaigns."""
    folder.mkdir()
    (folder / "campaign.toml").write_text(
        f'slug = "{SLUG}"\ntitle = "Ask your MP about Beijing"\ncountry = "GB"\n'
        'provider = "uk"\nstatus = "live"\ntarget_offices = ["MP"]\n'
        'introduction = "Enter your postcode to find your MP."\n',
        encoding="utf-8",
    )
    (folder / "letter.en.txt").write_text(LETTER, encoding="utf-8")
    _campaign, created = campaigns.load_campaign_dir(db, folder)
    assert created


def make_app(tmp_path: Path, **overrides):
    config = test_config(tmp_path, UK_POSTCODES_URL=POSTCODES, UK_MEMBERS_URL=MEMBERS, **overrides)
    app = create_app(config)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    make_gb_campaign(app.extensions["advocacy_db"], tmp_path / "uk-campaign")
    return app


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    app.extensions["advocacy_db"].engine.dispose()


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _link_to(page: str, name: str) -> str:
    for href in write_links(page):
        match = re.search(rf'href="{re.escape(href)}">([^<]*)<', page)
        if match and name in unescape(match.group(1)):
            return href
    raise AssertionError(f"no link to write to {name}")


def test_a_uk_postcode_shows_the_mp_under_national(client, uk):
    uk.postcode("BR87RE")
    uk.sevenoaks()
    response = lookup(client, "br8-7re", slug=SLUG, follow=False)
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Your officials for BR8 7RE" in page
    assert "<h2>National</h2>" in page and "Federal" not in page
    assert "Alex Placeholder" in page and "Sevenoaks" in page and "Conservative" in page
    assert "Write to Alex Placeholder" in page
    assert "crosses a district boundary" not in page


def test_a_malformed_postcode_says_what_a_uk_postcode_looks_like(client, uk):
    response = lookup(client, "K1A 0B1", slug=SLUG)
    assert response.status_code == 422
    page = text(response)
    assert "A UK postcode has two parts" in page and "SW1A 1AA" in page
    assert "Canadian" not in page
    assert not uk.mock.calls


def test_the_campaign_page_gives_a_uk_example(client):
    page = text(client.get(f"{BASE}/"))
    assert "For example SW1A 1AA, or its first part alone (SW1A)" in page
    assert "K1A 0B1" not in page  # not the Canadian example


def test_an_unknown_postcode_says_so(client, uk):
    uk.postcode("EC1A9ZZ", uk_body("postcodesio-postcode-404-notfound"), status=404)
    response = lookup(client, "ec1a 9zz", slug=SLUG)
    assert response.status_code == 404
    assert "We could not find the postal code EC1A 9ZZ" in text(response)


def test_a_terminated_postcode_says_when_it_was_withdrawn(client, uk):
    uk.postcode("AB10AA", uk_body("postcodesio-postcode-404-terminated"), status=404)
    response = lookup(client, "ab10aa", slug=SLUG)
    assert response.status_code == 404
    page = text(response)
    assert "The postcode AB1 0AA was withdrawn in June 1996" in page
    assert "Please enter the postcode you use now" in page
    assert 'value="ab10aa"' in page  # what they typed is kept


def test_pages_after_the_lookup_read_the_stored_answer_and_never_ask_upstream(tmp_path, uk):
    app = make_app(tmp_path, LOOKUP_TTL=0)  # every stored answer is already stale
    client = app.test_client()
    uk.postcode("AB10AA")  # the BR8 7RE body: any answer that finds an MP
    uk.sevenoaks()
    assert lookup(client, "AB1 0AA", slug=SLUG).status_code == 200
    calls = len(uk.mock.calls)
    uk.postcode("AB10AA", uk_body("postcodesio-postcode-404-terminated"), status=404)
    response = client.get(f"{BASE}/officials")
    assert response.status_code == 200 and "Alex Placeholder" in text(response)
    assert len(uk.mock.calls) == calls
    # The lookup step asks again, and says the postcode is withdrawn now.
    response = lookup(client, "AB1 0AA", slug=SLUG)
    assert response.status_code == 404
    assert "The postcode AB1 0AA was withdrawn in June 1996" in text(response)
    app.extensions["advocacy_db"].engine.dispose()


@pytest.mark.parametrize(
    "failure",
    [
        {"body": {"error": "boom"}, "status": 500},
        {"body": requests.exceptions.ReadTimeout("slow")},
    ],
)
def test_postcodes_io_down_gets_a_friendly_page(client, uk, failure):
    for _ in range(3):
        uk.postcode("BR87RE", **failure)
    response = lookup(client, "BR8 7RE", slug=SLUG)
    assert response.status_code == 503
    assert "We cannot look up officials right now" in text(response)


def test_malformed_json_gets_a_friendly_page(client, uk):
    uk.mock.get(f"{POSTCODES}/postcodes/BR87RE", body="{not json")
    response = lookup(client, "BR8 7RE", slug=SLUG)
    assert response.status_code == 503
    assert "We cannot look up officials right now" in text(response)


def test_members_api_down_gets_a_friendly_page_and_nothing_is_cached(app, client, uk):
    uk.postcode("BR87RE")
    for _ in range(3):
        uk.search("Sevenoaks", {"error": "boom"}, status=500)
    assert lookup(client, "BR8 7RE", slug=SLUG).status_code == 503
    calls = len(uk.mock.calls)
    # Asked again at once: the failure is remembered, the upstream left alone.
    assert lookup(client, "BR8 7RE", slug=SLUG).status_code == 503
    assert len(uk.mock.calls) == calls
    with app.extensions["advocacy_db"].write() as session:
        session.execute(update(LookupCacheEntry).values(failed_until=None))  # time passes
    uk.postcode("BR87RE")
    uk.sevenoaks()
    assert "Alex Placeholder" in text(lookup(client, "BR8 7RE", slug=SLUG))


def test_lookups_are_cached(client, uk):
    uk.postcode("BR87RE")
    uk.sevenoaks()
    lookup(client, "BR8 7RE", slug=SLUG)
    lookup(client, "br87re", slug=SLUG)
    client.get(f"{BASE}/officials")
    assert uk.calls("/postcodes/BR87RE") == 1
    assert uk.calls("/Constituency/Search") == 1


def test_an_outcode_lists_every_candidate_mp_and_says_why(client, uk):
    uk.outcode("BR8")
    uk.nearest()
    uk.sevenoaks()
    uk.orpington()
    page = text(lookup(client, " br8 ", slug=SLUG))
    assert "Your officials for BR8" in page
    assert "Your postal code crosses a district boundary" in page
    assert "Write to Alex Placeholder" in page and "Write to Sam Exemple-Témoin" in page
    assert page.index("Sevenoaks") < page.index("Orpington")
    assert page.count("Most likely your district") == 1
    assert page.count("Possibly your district") == 1


def test_writing_to_an_mp_with_an_email_opens_a_mail(client, uk):
    uk.postcode("BR87RE")
    uk.sevenoaks()
    page = lookup(client, "BR8 7RE", slug=SLUG).get_data(as_text=True)
    link = _link_to(page, "Alex Placeholder")
    letter = client.get(link).get_data(as_text=True)
    assert "constituent in Sevenoaks" in unescape(letter)
    assert "publishes no email address" not in unescape(letter)
    send = client.post(link, data=letter_form_data(letter), follow_redirects=True).get_data(
        as_text=True
    )
    assert 'href="mailto:alex.placeholder.mp@parliament.uk?' in send


def test_an_mp_without_email_says_how_else_to_reach_them(client, uk, db):
    uk.outcode("BR8")
    uk.nearest()
    uk.sevenoaks()
    uk.orpington()
    page = lookup(client, "BR8", slug=SLUG).get_data(as_text=True)
    link = _link_to(page, "Sam Exemple-Témoin")
    letter = client.get(link).get_data(as_text=True)
    assert "This official publishes no email address" in unescape(letter)
    assert "https://members.parliament.uk/member/90002/contact" in letter
    assert "020 7219 5551" in letter
    send = client.post(link, data=letter_form_data(letter), follow_redirects=True).get_data(
        as_text=True
    )
    assert 'href="mailto:' not in send
    assert "through their web page or contact form" in unescape(send)
    assert "020 7219 5551" in send
    client.post(
        link.replace("/write/", "/sent/"),
        data={
            "csrf_token": csrf_token(send),
            "postcode": hidden(send, "postcode"),
            "token": hidden(send, "token"),
            "template_id": hidden(send, "template_id"),
            "proof": hidden(send, "proof"),
        },
    )
    with db.reader() as session:
        [action] = session.scalars(select(ContactAction)).all()
    assert (action.method, action.level, action.district_name, action.provider) == (
        "web_form",
        "national",
        "Orpington",
        "uk",
    )
    assert action.postcode_prefix == "BR8"

"""The checks at the provider boundary: what an upstream (or a poisoned cache) says about an
official can put no script in a link, nothing but a number in a ``tel:``, and no line break in a
name. The per-provider tests (test_represent, test_uk, test_us, test_directory) feed these same
values through each provider's parsing."""

from __future__ import annotations

import pytest

from advocacy import civic
from advocacy.civic import checks
from advocacy.civic.officials import LookupResult, Official
from advocacy.civic.provider import Provider
from advocacy.civic.represent import RepresentProvider
from advocacy.civic.uk import UKProvider
from advocacy.civic.us import USProvider

# Shared with the per-provider tests: values a hostile or broken upstream could send.
HOSTILE_URLS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/",
    "https://ok.example/a b",
    "https://ok.example/\nSet-Cookie: x",
    "https://ok.example/\r\nx",
    "https://ok.example/\u2028",
    "https://ok.example/\u202e",
    "https:\\\\evil.example",
    "https://",
    "https://ok.example:port/",
    "ftp://ok.example/photo.jpg",
]
HOSTILE_PHONES = [
    "javascript:alert(1)",
    "tel:+16135550100",
    "613-555-0100\r\nBcc: x@evil.example",
    "613-555-0100<script>",
    "613-555-0100; call me",
    "+1 613 555 0100 ext. 12 or 13",
    "--",
    "1" * 60,
]
HOSTILE_EMAILS = [
    "alex@parl.gc.ca\r\nBcc: everyone@evil.example",
    "alex@parl.gc.ca, everyone@evil.example",
    "alex@parl.gc.ca,everyone@evil.example",
    "alex@parl.gc.ca\r\nBcc:everyone@evil.example",
    "Alex <alex@parl.gc.ca>",
    "alex @parl.gc.ca",
    "alex@parl.gc.ca\x00",
    "javascript:alert(1)",
    "not an address",
]
# A name and what the checks make of it: control characters become a space, invisible
# formatting characters go, and whitespace runs collapse.
HOSTILE_NAMES = [
    ("Alex\r\nPlaceholder", "Alex Placeholder"),
    ("Alex\x00Placeholder", "Alex Placeholder"),
    ("Alex\u2028Placeholder", "Alex Placeholder"),
    ("Alex\u0085Placeholder", "Alex Placeholder"),
    ("Alex\tPlaceholder\n", "Alex Placeholder"),
    ("\u202eAlex Placeholder", "Alex Placeholder"),
    ("Alex\u200b Placeholder\ufeff", "Alex Placeholder"),
    ("Alex\ud800 Placeholder", "Alex Placeholder"),
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_only_clean_http_addresses_are_web_addresses(url):
    assert checks.web_url(url) == ""


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ourcommons.ca/members/en/alex-placeholder(123)",
        "http://ottawa.ca/en/city-hall?x=1&y=2#top",
        "HTTPS://ville.québec.qc.ca/conseil",
        "  https://www.ola.org/en/members  ",
    ],
)
def test_ordinary_web_addresses_are_kept(url):
    assert checks.web_url(url) == url.strip()


@pytest.mark.parametrize("number", HOSTILE_PHONES)
def test_only_digits_and_separators_are_a_phone(number):
    assert checks.phone(number) == ""


@pytest.mark.parametrize(
    ("number", "kept"),
    [
        ("1-613-555-0110", "1-613-555-0110"),
        ("+1 (613) 555.0110", "+1 (613) 555.0110"),
        ("020 7219 5550", "020 7219 5550"),
        ("613-555-0110 ext. 123", "613-555-0110 ext. 123"),
        ("613-555-0110 x123", "613-555-0110 x123"),
        ("418 555-0160 poste 2", "418 555-0160 poste 2"),
        ("418\u00a0555\u20110160", "418 555-0160"),  # typographic space and hyphen folded
    ],
)
def test_phones_with_separators_and_extensions_are_kept(number, kept):
    assert checks.phone(number) == kept


@pytest.mark.parametrize("address", HOSTILE_EMAILS)
def test_only_one_plain_address_is_an_email(address):
    assert checks.email(address) == ""


def test_an_ordinary_email_is_kept_as_given():
    assert checks.email(" Alex.Placeholder@Parl.GC.ca ") == "Alex.Placeholder@Parl.GC.ca"


@pytest.mark.parametrize(("name", "clean"), HOSTILE_NAMES)
def test_text_is_one_printable_line(name, clean):
    assert checks.text(name) == clean
    assert not checks.has_controls(checks.text(name))


def test_joiners_that_names_need_are_kept():
    assert checks.text("Mohammad\u200cReza") == "Mohammad\u200cReza"


def test_text_that_is_not_a_string_or_too_long():
    assert checks.text(None) == "" and checks.text(["Alex"]) == ""
    assert len(checks.text("x" * 10_000)) == checks.TEXT_MAX


def hostile_official(**changes) -> dict:
    values = {
        "name": "Alex\r\nPlaceholder",
        "elected_office": "MP\x00",
        "level": "federal",
        "body": "House of\u2028Commons",
        "district_name": "Ottawa\nCentre",
        "district_id": "35075\r",
        "party": "Liberal\x1b[31m",
        "email": "alex@parl.gc.ca\r\nBcc: everyone@evil.example",
        "phone": "javascript:alert(1)",
        "web_url": "javascript:alert(document.cookie)",
        "photo_url": "data:image/svg+xml,<svg onload=alert(1)>",
        "source": "represent",
        "at_centroid": True,
    }
    values.update(changes)
    return values


def test_an_official_from_untrusted_values_is_clean():
    official = Official.checked(**hostile_official())
    assert (official.name, official.elected_office, official.body) == (
        "Alex Placeholder",
        "MP",
        "House of Commons",
    )
    assert (official.district_name, official.district_id) == ("Ottawa Centre", "35075")
    assert official.party == "Liberal [31m"
    assert (official.email, official.phone, official.web_url, official.photo_url) == (
        "",
        "",
        "",
        "",
    )


def test_a_poisoned_cache_entry_is_cleaned_on_the_way_out():
    entry = {
        "postcode": "K1P 5G4",
        "city": "Ottawa\r\n",
        "province": "ON\x00",
        "source": "represent",
        "officials": [hostile_official(level="galactic", at_centroid="yes"), "not an official"],
        "extra": ["not", "a", "dict"],
    }
    result = LookupResult.from_dict(entry)
    (official,) = result.officials
    assert official.name == "Alex Placeholder" and official.web_url == ""
    assert official.phone == "" and official.email == "" and official.photo_url == ""
    assert official.level == "other" and official.at_centroid is True
    assert (result.city, result.province, result.extra) == ("Ottawa", "ON", {})


def test_a_clean_official_survives_the_cache_unchanged():
    official = Official.checked(
        name="Alexandra Placeholder",
        elected_office="MP",
        level="federal",
        body="House of Commons",
        district_name="Ottawa Centre",
        district_id="35075",
        party="Liberal",
        email="alexandra.placeholder@parl.gc.ca",
        phone="1-613-555-0110",
        web_url="https://www.ourcommons.ca/members/en/alexandra-placeholder(123)",
        photo_url="https://www.ourcommons.ca/Content/Parliamentarians/Images/x.jpg",
        source="represent",
        at_centroid=False,
    )
    assert Official.from_dict(official.to_dict()) == official


# -- contracts ----------------------------------------------------------------------------------


def test_the_protocol_is_exported_from_the_package():
    assert civic.Provider is Provider


@pytest.mark.parametrize(
    ("cls", "needs_address"),
    [(RepresentProvider, False), (UKProvider, False), (USProvider, True)],
)
def test_every_provider_declares_what_callers_use(cls, needs_address):
    # Declared on the class itself: callers never need getattr with a default.
    for attribute in ("name", "country", "needs_address", "offices", "normalize", "lookup"):
        assert attribute in vars(cls), attribute
    assert cls.needs_address is needs_address
    assert isinstance(cls.offices, tuple) and cls.offices
    assert all(isinstance(o, str) for o in cls.offices)


def test_the_uk_offers_mps_only():
    assert UKProvider.offices == ("MP",)


def test_built_providers_satisfy_the_protocol(tmp_path):
    from advocacy.config import Defaults
    from advocacy.db import Database

    config = {k: getattr(Defaults, k) for k in dir(Defaults) if k.isupper()}
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    providers = civic.build_providers(config, civic.make_session(config), db)
    assert set(providers) == {"represent", "uk", "us"}
    for provider in providers.values():
        assert isinstance(provider, Provider)
    assert providers["us"].db is db


def test_the_us_provider_needs_its_database():
    with pytest.raises(TypeError):
        USProvider("https://geocoder.test", civic.make_session(_session_config()), 1.0, 5.0)


def _session_config() -> dict:
    return {
        "USER_AGENT": "Advocacy-test/1",
        "HTTP_RETRIES": 0,
        "HTTP_BACKOFF": 0.0,
        "HTTP_RETRY_AFTER_MAX": 1.0,
    }

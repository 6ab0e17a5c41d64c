"""Fields the providers give that the app used to ignore (issue 11): the UK salutation
(``nameAddressAs``), Represent's first and last name and preferred languages, the offices'
postal addresses; the ``official.salutation`` merge field; and that they survive the cache."""

from __future__ import annotations

import json

from advocacy import letters
from advocacy.civic import represent, uk
from advocacy.civic.officials import LookupResult, Official

from .conftest import FIXTURES, represent_body


def uk_body(name: str):
    return json.loads((FIXTURES / "uk" / f"{name}.json").read_text(encoding="utf-8"))


def test_a_recorded_mp_is_greeted_as_the_house_suggests_and_has_a_postal_address():
    member = uk_body("members-member-172")["value"]  # recorded: Diane Abbott
    contacts = uk.parse_contacts(uk_body("members-contact-90001"), 172)
    official = uk.parse_official(
        uk.Constituency("Hackney North and Stoke Newington", "E14001274"), member, contacts
    )
    assert official.name == "Ms Diane Abbott"
    assert official.salutation == official.greeting == "Ms Abbott"
    # The parliamentary office's address, never the constituency office's.
    assert official.postal_address == "House of Commons, London, SW1A 0AA"
    assert letters.official_fields(official)["salutation"] == "Ms Abbott"


def test_without_a_salutation_the_greeting_is_the_name():
    member = dict(uk_body("members-member-172")["value"])
    del member["nameAddressAs"]
    official = uk.parse_official(uk.Constituency("Hackney North"), member, uk.Contacts())
    assert official.salutation == "" and official.greeting == "Ms Diane Abbott"
    assert official.postal_address == ""


def test_represent_first_and_last_name_languages_and_the_legislature_address():
    result = represent.parse_postcode(represent_body("K1P5G4"), "K1P 5G4")
    mp = next(o for o in result.officials if o.elected_office == "MP")
    assert mp.salutation == "Alexandra Placeholder"
    assert mp.languages == ("English", "French")
    # The legislature office (where letters to the member go), its lines joined.
    assert mp.postal_address == "House of Commons, Ottawa ON K1A 0A6"


def test_hostile_languages_are_dropped():
    official = Official.checked(
        name="A",
        elected_office="MP",
        level="federal",
        body="House of Commons",
        district_name="X",
        languages=["English", "<script>", "x" * 80, 3, "Français", "English"],
    )
    assert official.languages == ("English", "Français")
    assert (
        Official.checked(
            name="A", elected_office="B", level="x", body="", district_name="", languages="English"
        ).languages
        == ()
    )


def test_the_new_fields_survive_the_lookup_cache_format():
    result = represent.parse_postcode(represent_body("K1P5G4"), "K1P 5G4")
    again = LookupResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.officials == result.officials


def test_the_salutation_merge_field_is_allowed_and_rendered():
    letters.validate_template("Dear {{ official.salutation }},")
    member = uk_body("members-member-172")["value"]
    official = uk.parse_official(uk.Constituency("Hackney North"), member, uk.Contacts())
    context = {"official": letters.official_fields(official)}
    assert letters.render_text("Dear {{ official.salutation }},", context) == "Dear Ms Abbott,"

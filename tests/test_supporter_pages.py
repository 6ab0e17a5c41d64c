"""What first-time supporters ran into (issue 14), through the test client: the send page, a
split postal code, no local officials, the signature's default, the campaign page's order."""

from __future__ import annotations

import re

from .conftest import DEMO_SLUG
from .helpers import lookup
from .test_public import BASE, confirm, open_letter, review, text

MP = "Alexandra Placeholder"
MP_EMAIL = "alexandra.placeholder@parl.gc.ca"
SPLIT_MPS = ("Émilie Côté-Exemple", "Luc Lévesque-Témoin")
# Represent's answer for a postal code in no district it knows (X0A 0H0, Nunavut).
NO_DISTRICT = {
    "code": "X0A0H0",
    "city": "Iqaluit",
    "province": "NU",
    "boundaries_centroid": [],
    "boundaries_concordance": [],
    "representatives_centroid": [],
    "representatives_concordance": [],
}


def send_page_for(client, represent, code: str, name: str) -> tuple[str, str]:
    link, letter = open_letter(client, represent, code, name)
    return link, text(review(client, link, letter))


def test_the_send_page_gives_the_address_on_its_own_line_and_a_way_without_a_mail_program(
    client, represent
):
    _, send = send_page_for(client, represent, "K1P 5G4", MP)
    own_line = re.search(r'<p class="address-line"><strong[^>]*>([^<]+)</strong></p>', send)
    assert own_line and own_line.group(1) == MP_EMAIL
    assert "Nothing opened, or you write from webmail" in send
    assert 'id="copy-body" readonly' in send  # the letter, ready to select and copy


def test_after_writing_to_one_candidate_the_other_is_never_suggested(client, represent):
    link, send = send_page_for(client, represent, "G6G 1B2", SPLIT_MPS[0])
    thanks = text(confirm(client, link, send))
    assert "1 letter has been sent" in thanks
    assert SPLIT_MPS[1] not in thanks  # the other MP for the same office: maybe not theirs
    assert "Also write to" in thanks  # other offices are still suggested


def test_the_most_likely_candidate_is_marked(client, represent):
    represent.add("G6G1B2")
    page = text(lookup(client, "G6G 1B2"))
    assert "The one marked “most likely” represents the centre" in page
    assert page.count('class="likely"') == 1
    assert page.count("Possibly your district") == 1


def test_no_local_officials_is_said(client, represent):
    represent.add("X0A0H0", body=NO_DISTRICT)
    page = text(lookup(client, "X0A 0H0"))
    assert "We found no local officials for this postal code" in page
    assert "Prime Minister" in page  # the campaign's own target is still offered


def test_local_officials_found_says_nothing_of_the_kind(client, represent):
    represent.add("K1P5G4")
    assert "no local officials" not in text(lookup(client, "K1P 5G4"))


def test_the_signature_shows_the_first_three_characters_unless_asked(client, represent):
    _, letter = open_letter(client, represent, "K1P 5G4", MP)
    checked = re.findall(r'<input checked id="show_postcode-\d"[^>]*value="(\w+)"', letter)
    assert checked == ["prefix"]  # what the browser sends unless the supporter changes it


def test_the_postal_code_box_comes_before_the_campaigns_text(client):
    page = client.get(f"{BASE}/").get_data(as_text=True)
    assert page.index('name="postcode"') < page.index("Hong Kong")


def test_pages_name_their_icon(client):
    page = client.get(f"/c/{DEMO_SLUG}/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    response = client.get(icon)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"

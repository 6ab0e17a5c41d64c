"""The supporter's path through the test client: campaign, postal code, officials, letter,
send, thanks; and every way it can go wrong."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import pytest
import requests
from sqlalchemy import func, select

from advocacy import create_app
from advocacy.models import ContactAction

from .conftest import DEMO_SLUG, test_config
from .helpers import csrf_token, hidden, letter_form_data, lookup, textarea, write_links

BASE = f"/c/{DEMO_SLUG}"


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def actions(db) -> list[ContactAction]:
    with db.reader() as session:
        return list(session.scalars(select(ContactAction)))


def open_letter(client, represent, code: str, name: str):
    """Look up ``code`` and open the letter form for the official called ``name``."""
    represent.add(code.replace(" ", ""))
    page = lookup(client, code).get_data(as_text=True)
    link = next(href for href in write_links(page) if name in _link_label(page, href))
    return link, client.get(link).get_data(as_text=True)


def _link_label(page: str, href: str) -> str:
    match = re.search(rf'href="{re.escape(href)}">([^<]*)<', page)
    return unescape(match.group(1)) if match else ""


def review(client, link: str, letter_page: str, **changes):
    return client.post(link, data=letter_form_data(letter_page, **changes), follow_redirects=True)


def confirm(client, link: str, send_page: str, follow: bool = True):
    data = {
        "csrf_token": csrf_token(send_page),
        "postcode": hidden(send_page, "postcode"),
        "token": hidden(send_page, "token"),
        "template_id": hidden(send_page, "template_id"),
        "proof": hidden(send_page, "proof"),
    }
    return client.post(link.replace("/write/", "/sent/"), data=data, follow_redirects=follow)


def mailto_of(page: str) -> str:
    match = re.search(r'href="(mailto:[^"]+)"', page)
    assert match, "no mailto link on the page"
    return unescape(match.group(1))


# -- the campaign and the postal code -----------------------------------------------------------


def test_home_shows_the_demo_campaign_and_a_postcode_form(client):
    page = text(client.get("/"))
    assert "what is your policy towards Beijing?" in page
    assert "diaspora communities" in page
    assert 'name="postcode"' in page and "Find my officials" in page


@pytest.mark.parametrize("spelling", ["k1p 5g4", "K1P5G4", " K1P-5G4 "])
def test_any_common_spelling_finds_the_officials(client, represent, spelling):
    represent.add("K1P5G4")
    response = lookup(client, spelling, follow=False)
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Your officials for K1P 5G4" in page
    assert page.index("Federal") < page.index("Provincial") < page.index("Municipal")
    for shown in (
        "Alexandra Placeholder",
        "Ottawa Centre",
        "Liberal",
        "Jean-François Exemple",
        "New Democratic",
        "Mark Placeholder",
        "Somerset",
        "Lynn Sample",
    ):
        assert shown in page


def test_only_targeted_offices_can_be_written_to(client, represent):
    represent.add("K1P5G4")
    page = text(lookup(client, "K1P 5G4"))
    assert "Write to Alexandra Placeholder" in page  # MP
    assert "Write to Jean-François Exemple" in page  # MPP
    assert "Write to Mark Placeholder" not in page  # Mayor: shown for information
    assert page.count("this campaign does not write to this office") == 3


@pytest.mark.parametrize("typed", ["12345", "K1A 0B", "SW1A 1AA", "D1A 0B1", "<b>x</b>"])
def test_a_malformed_code_is_explained_on_the_same_page(client, represent, typed):
    response = lookup(client, typed)
    page = text(response)
    assert response.status_code == 422
    assert "A Canadian postal code has six characters" in page and "like K1A 0B1" in page
    assert f'value="{typed}"' in page  # what they typed is kept
    assert "<b>x</b>" not in response.get_data(as_text=True)  # and escaped
    assert not represent.mock.calls  # nothing asked upstream


def test_an_empty_code_asks_for_one(client):
    response = lookup(client, "   ")
    assert response.status_code == 422
    assert "Please enter your postal code" in text(response)


def test_an_unknown_code_says_so(client, represent):
    represent.add("K0K0K0", body={"detail": "Not found."}, status=404)
    response = lookup(client, "k0k 0k0")
    assert response.status_code == 404
    assert "We could not find the postal code K0K 0K0" in text(response)
    assert 'value="k0k 0k0"' in text(response)


def test_officials_page_without_a_postcode_sends_back_to_the_form(client):
    response = client.get(f"{BASE}/officials", follow_redirects=True)
    assert "Please enter your postal code first" in text(response)
    assert 'name="postcode"' in text(response)


def test_an_unknown_campaign_is_not_found(client):
    response = client.get("/c/no-such-campaign/")
    assert response.status_code == 404
    assert "There is no open campaign at this address" in text(response)


# -- upstream trouble ---------------------------------------------------------------------------


@pytest.fixture
def provider_only(db):
    """The demo campaign without its custom targets: only Represent's officials."""
    from advocacy.models import Campaign

    with db.write() as session:
        session.scalar(select(Campaign)).target_mode = "provider"


@pytest.mark.parametrize(
    "failure",
    [
        {"body": {"error": "boom"}, "status": 500},
        {"body": requests.exceptions.ReadTimeout("slow")},
        {"body": requests.exceptions.ConnectionError("connection reset by peer")},
    ],
)
def test_upstream_down_gets_a_friendly_page(client, represent, provider_only, failure):
    for _ in range(3):
        represent.add("K1P5G4", **failure)
    response = lookup(client, "K1P 5G4")
    assert response.status_code == 503
    page = text(response)
    assert "We cannot look up officials right now" in page
    assert "Please try again in a minute" in page


def test_malformed_json_gets_a_friendly_page(client, represent, provider_only):
    represent.mock.get(represent.url("K1P5G4"), body="{not json", status=200)
    response = lookup(client, "K1P 5G4")
    assert response.status_code == 503
    assert "We cannot look up officials right now" in text(response)


def test_rate_limited_upstream_says_when_to_retry(client, represent, provider_only):
    represent.add("K1P5G4", body={}, status=429, headers={"Retry-After": "120"})
    response = lookup(client, "K1P 5G4")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "120"
    assert "Please try again in 2 minutes" in text(response)


def test_lookups_are_cached(client, represent):
    represent.add("K1P5G4")
    lookup(client, "K1P 5G4")
    lookup(client, "k1p5g4")
    client.get(f"{BASE}/officials")
    assert represent.calls("K1P5G4") == 1


def test_a_stale_answer_is_served_when_upstream_is_down(tmp_path, represent):
    app = create_app(test_config(tmp_path, LOOKUP_TTL=0))
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo"])
    client = app.test_client()
    represent.add("K1P5G4")
    assert lookup(client, "K1P 5G4").status_code == 200
    for _ in range(3):
        represent.add("K1P5G4", body={}, status=503)
    response = lookup(client, "K1P 5G4")
    assert response.status_code == 200
    page = text(response)
    assert "Alexandra Placeholder" in page
    assert "may be out of date" in page


# -- a code that spans districts ----------------------------------------------------------------


def test_a_code_spanning_two_ridings_lists_both_mps_and_says_why(client, represent):
    represent.add("G6G1B2")
    page = text(lookup(client, "G6G 1B2"))
    assert "Your postal code crosses a district boundary" in page
    assert "Write to Émilie Côté-Exemple" in page and "Write to Luc Lévesque-Témoin" in page
    assert "Mégantic—L'Érable—Lotbinière" in page and "Beauce" in page
    assert page.count("Most likely your district") == 1
    assert page.count("Possibly your district") == 1


def test_an_unambiguous_code_has_no_boundary_notice(client, represent):
    represent.add("K1P5G4")
    assert "crosses a district boundary" not in text(lookup(client, "K1P 5G4"))


# -- the letter ---------------------------------------------------------------------------------


def test_the_letter_is_rendered_for_the_official(client, represent):
    _, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    page = unescape(page)
    assert 'value="Your policy towards the government in Beijing"' in page
    body = textarea(page, "body")
    assert body.startswith("Dear Alexandra Placeholder,")
    assert "constituent in Ottawa Centre" in body
    assert "Hong Kong" in body and "transnational repression" in body.lower() and "5G" in body
    assert "written reply" in body
    assert 'name="email"' not in page  # never asked for an email address


def test_the_letter_form_is_editable_and_signed(client, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    edited = textarea(page, "body") + "\n\nMy family in Hong Kong cannot speak; I can."
    send = text(
        review(
            client,
            link,
            page,
            body=edited,
            subject="My question to you",
            name="Wei Chen",
            city="Ottawa",
        )
    )
    link_text = unquote(mailto_of(send))
    assert "My family in Hong Kong cannot speak; I can." in link_text
    assert "subject=My question to you" in link_text
    assert link_text.endswith("Wei Chen\r\nOttawa K1P 5G4")


def test_the_signature_can_carry_only_the_first_part_of_the_postcode(client, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    send = text(review(client, link, page, name="Wei", show_postcode="prefix"))
    assert unquote(mailto_of(send)).endswith("Wei\r\nK1P")


def test_the_mailto_link_is_encoded_as_rfc_6068_asks(client, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    mailto = mailto_of(text(review(client, link, page)))
    assert mailto.startswith("mailto:alexandra.placeholder@parl.gc.ca?subject=Your%20policy")
    assert "%0D%0A" in mailto and "+" not in mailto and " " not in mailto and "\n" not in mailto


def test_a_letter_too_long_for_a_link_is_offered_to_copy(client, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    long_body = textarea(page, "body") + "\n\n" + "我们要求您回答。" * 60
    response = review(client, link, page, body=long_body)
    send = text(response)
    assert response.status_code == 200
    assert "&body=" not in send and 'id="mailto"' not in send
    assert "too long to open in your email program directly" in send
    assert "alexandra.placeholder@parl.gc.ca" in send
    assert "我们要求您回答。" in send  # in the letter to copy
    short = re.search(r'href="(mailto:[^"]+)" id="mailto-subject"', send).group(1)
    assert short == (
        "mailto:alexandra.placeholder@parl.gc.ca?subject="
        "Your%20policy%20towards%20the%20government%20in%20Beijing"
    )


def test_an_official_without_email_says_how_else_to_reach_them(client, represent, db):
    link, page = open_letter(client, represent, "V0C 1R0", "Pat Nobody-Example")
    page = unescape(page)
    assert "This official publishes no email address" in page
    assert "250-555-0170" in page
    send = text(review(client, link, page))
    assert 'href="mailto:' not in send
    assert "call their office at" in send and "250-555-0170" in send
    assert "I have contacted this office" in send
    confirm(client, link, send)
    [action] = actions(db)
    assert (action.official_name, action.method) == ("Pat Nobody-Example", "phone")


def test_an_official_with_a_web_page_but_no_email_points_to_it(client, represent, db):
    link, page = open_letter(client, represent, "G6G 1B2", "Geneviève Hébert-Modèle")
    assert "This official publishes no email address" in unescape(page)
    assert "https://www.assnat.qc.ca/fr/deputes/placeholder.html" in page
    assert "418 555-0160" in page
    send = text(review(client, link, page))
    assert "through their web page or contact form" in send
    confirm(client, link, send)
    [action] = actions(db)
    assert (action.method, action.level, action.district_name) == (
        "web_form",
        "provincial",
        "Lotbinière-Frontenac",
    )


def test_letter_fields_are_checked(client, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    response = review(client, link, page, body="   ", subject="", name="x" * 500)
    assert response.status_code == 422
    page = text(response)
    assert "The letter is empty" in page and "The letter needs a subject" in page
    assert "Please keep this under 100 characters" in page


def test_a_request_too_large_is_refused_politely(client, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    response = review(client, link, page, body="x" * 100_000)
    assert response.status_code == 413
    assert "too long" in text(response)


def test_an_official_the_campaign_does_not_target_cannot_be_written_to(client, represent):
    represent.add("K1P5G4")
    lookup(client, "K1P 5G4")
    from advocacy.civic.represent import parse_postcode

    from .conftest import represent_body

    mayor = next(
        o
        for o in parse_postcode(represent_body("K1P5G4"), "K1P 5G4").officials
        if o.elected_office == "Mayor"
    )
    assert client.get(f"{BASE}/write/{mayor.key}").status_code == 404
    assert client.get(f"{BASE}/write/0000000000000000").status_code == 404


# -- sending and counting -----------------------------------------------------------------------


def test_the_whole_path_logs_one_action_without_personal_data(client, represent, db):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    send = text(review(client, link, page, name="Wei Chen", city="Kanata"))
    assert actions(db) == []  # nothing is logged before the supporter confirms
    thanks = text(confirm(client, link, send))
    assert "1 letter has been sent in this campaign so far" in thanks
    with db.reader() as session:
        [action] = session.scalars(select(ContactAction)).all()
        template = action.template
        slug = template.campaign.slug
    assert (
        action.official_name,
        action.official_office,
        action.district_name,
        action.district_id,
        action.level,
        action.provider,
        action.method,
        action.postcode_prefix,
    ) == (
        "Alexandra Placeholder",
        "MP",
        "Ottawa Centre",
        "35075",
        "federal",
        "represent",
        "mailto",
        "K1P",
    )
    assert template.version == 1 and slug == DEMO_SLUG
    stored = " ".join(str(value) for value in vars(action).values())
    assert "Wei" not in stored and "Kanata" not in stored and "5G4" not in stored


def test_pressing_twice_reloading_or_resubmitting_counts_once(client, represent, db):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    send = text(review(client, link, page))
    confirm(client, link, send)
    confirm(client, link, send)  # pressed again, or the form resubmitted after Back
    client.get(f"{BASE}/thanks")  # reloaded
    assert len(actions(db)) == 1
    assert "1 letter has been sent" in text(client.get(f"{BASE}/thanks"))


def test_a_new_letter_form_counts_again(client, represent, db):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    confirm(client, link, text(review(client, link, page)))
    page = client.get(link).get_data(as_text=True)  # a second, deliberate letter
    thanks = text(confirm(client, link, text(review(client, link, page))))
    assert "2 letters have been sent" in thanks
    assert len(actions(db)) == 2


def test_thanks_lists_the_targeted_officials_not_yet_written_to(client, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    thanks = text(confirm(client, link, text(review(client, link, page))))
    assert "Also write to" in thanks and "Jean-François Exemple" in thanks
    assert "Mark Placeholder" not in thanks  # not targeted
    officials = text(client.get(f"{BASE}/officials"))
    assert "You have written to this official" in officials
    for link in write_links(thanks):  # the MPP, then the Prime Minister (a custom target)
        page = client.get(link).get_data(as_text=True)
        thanks = text(confirm(client, link, text(review(client, link, page))))
    assert "You have written to every official this campaign targets" in thanks


def test_a_forged_token_is_refused(client, represent, db):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    send = review(client, link, page).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(send),
        "postcode": "K1P 5G4",
        "token": "short",
        "template_id": "",
    }
    response = client.post(link.replace("/write/", "/sent/"), data=data)
    assert response.status_code == 400
    assert actions(db) == []


# -- CSRF ---------------------------------------------------------------------------------------


def test_a_post_without_csrf_token_is_refused(client, represent, db):
    represent.add("K1P5G4")
    response = client.post(f"{BASE}/lookup", data={"postcode": "K1P 5G4"})
    assert response.status_code == 400
    assert "This form has expired" in text(response)
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    send = review(client, link, page).get_data(as_text=True)
    response = client.post(
        link.replace("/write/", "/sent/"),
        data={"postcode": "K1P 5G4", "token": hidden(send, "token")},
    )
    assert response.status_code == 400
    assert actions(db) == []


def test_a_complete_confirmation_without_its_csrf_token_is_refused(client, represent, db):
    """The `sent` view's form skips its own CSRF check (issue 13): CSRFProtect's, before the
    view, still refuses a confirmation whose token is missing or wrong."""
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    send = review(client, link, page).get_data(as_text=True)
    data = {
        "postcode": hidden(send, "postcode"),
        "token": hidden(send, "token"),
        "template_id": hidden(send, "template_id"),
        "proof": hidden(send, "proof"),
    }
    for forged in ({}, {"csrf_token": "forged"}):
        response = client.post(link.replace("/write/", "/sent/"), data={**data, **forged})
        assert response.status_code == 400
        assert "This form has expired" in text(response)
    assert actions(db) == []
    assert confirm(client, link, send, follow=False).status_code == 303
    assert len(actions(db)) == 1


def test_an_expired_letter_form_keeps_the_letter(client, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    mine = textarea(page, "body") + "\n\nWritten over a long hour."
    response = review(client, link, page, body=mine, name="Wei", csrf_token="expired")
    assert response.status_code == 400
    again = text(response)
    assert "Nothing you wrote is lost" in again
    assert "Written over a long hour." in textarea(again, "body")
    assert 'value="Wei"' in again
    # The re-rendered form carries a fresh token that is accepted.
    send = review(client, link, response.get_data(as_text=True), body=mine)
    assert send.status_code == 200 and 'href="mailto:' in send.get_data(as_text=True)


def test_the_csrf_token_does_not_expire_after_an_hour(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


# -- photos -------------------------------------------------------------------------------------


def test_photos_are_served_by_the_app_not_the_browser(client, represent):
    represent.add("K1P5G4")
    page = lookup(client, "K1P 5G4").get_data(as_text=True)
    assert "ourcommons.ca" not in re.findall(r'<img[^>]*src="([^"]+)"', page)[0]
    src = re.findall(r'<img[^>]*src="([^"]+)"', page)[0]
    assert src.startswith("/photo/")
    photo_url = (
        "https://www.ourcommons.ca/Content/Parliamentarians/Images/OfficialMPPhotos/"
        "45/Placeholder.jpg"
    )
    represent.mock.get(photo_url, body=b"\xff\xd8\xff jpeg", content_type="image/jpeg")
    response = client.get(src)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == b"\xff\xd8\xff jpeg"
    assert client.get("/photo/forged-token").status_code == 404


def test_personal_pages_are_not_cached(client, represent):
    represent.add("K1P5G4")
    lookup(client, "K1P 5G4")
    assert client.get(f"{BASE}/officials").headers["Cache-Control"] == "no-store"


def test_count_is_the_number_of_rows(client, db, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    confirm(client, link, text(review(client, link, page)))
    with db.reader() as session:
        assert session.scalar(select(func.count(ContactAction.id))) == 1


# -- source attribution -------------------------------------------------------------------------


def test_a_source_code_is_carried_through_the_path_without_a_cookie(client, represent, db):
    represent.add("K1P5G4")
    page = client.get(f"{BASE}/?source=Newsletter-May").get_data(as_text=True)
    assert f'action="{BASE}/lookup?source=newsletter-may"' in page
    response = client.post(
        f"{BASE}/lookup?source=newsletter-may",
        data={"csrf_token": csrf_token(page), "postcode": "K1P 5G4"},
    )
    assert response.headers["Location"] == f"{BASE}/officials?source=newsletter-may"
    officials = client.get(response.headers["Location"]).get_data(as_text=True)
    link = next(h for h in re.findall(r'href="([^"]+/write/[^"]+)"', officials))
    link = unescape(link)
    assert link.endswith("?source=newsletter-may")
    letter = client.get(link).get_data(as_text=True)
    send = client.post(link, data=letter_form_data(letter), follow_redirects=True).get_data(
        as_text=True
    )
    sent_url = unescape(re.search(r'action="([^"]+/sent/[^"]+)"', send).group(1))
    assert sent_url.endswith("?source=newsletter-may")
    confirm_data = {
        "csrf_token": csrf_token(send),
        "postcode": hidden(send, "postcode"),
        "token": hidden(send, "token"),
        "template_id": hidden(send, "template_id"),
        "proof": hidden(send, "proof"),
    }
    client.post(sent_url, data=confirm_data)
    [action] = actions(db)
    assert action.source == "newsletter-may"
    cookies = [c.key for c in client._cookies.values()] if hasattr(client, "_cookies") else []
    assert all("source" not in key for key in cookies)


@pytest.mark.parametrize("raw", ["<script>", "a" * 60, "with space", ""])
def test_a_malformed_source_is_ignored(client, represent, db, raw):
    page = client.get(f"{BASE}/", query_string={"source": raw}).get_data(as_text=True)
    assert f'action="{BASE}/lookup"' in page


# -- custom targets (the demo campaign adds the Prime Minister for every postal code) -----------


def test_custom_targets_are_listed_with_the_providers_officials(client, represent):
    represent.add("K1P5G4")
    page = text(lookup(client, "K1P 5G4"))
    assert "Write to Prime Minister of Canada" in page
    assert "Write to Alexandra Placeholder" in page


def test_a_custom_target_gets_its_own_letter(client, represent, db):
    link, page = open_letter(client, represent, "K1P 5G4", "Prime Minister of Canada")
    assert textarea(page, "body").startswith("Dear Prime Minister,")
    send = text(review(client, link, page))
    assert mailto_of(send).startswith("mailto:pm@pm.gc.ca?subject=Your%20government")
    confirm(client, link, send)
    [action] = actions(db)
    assert (action.official_name, action.provider, action.level) == (
        "Prime Minister of Canada",
        "directory",
        "federal",
    )


def test_custom_targets_are_offered_when_the_budget_is_spent(tmp_path, represent):
    # A refusal by the shared budget is not a failure of the upstream, but the officials page
    # after the redirect must still show the campaign's own targets, not ask for the code again.
    app = create_app(test_config(tmp_path, UPSTREAM_BUDGET_PER_MINUTE=1))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        assert runner.invoke(args=command).exit_code == 0
    client = app.test_client()
    represent.add("M5V3L9")
    assert "Write to" in text(lookup(client, "M5V 3L9"))  # this minute's one call
    response = lookup(client, "K1P 5G4")
    assert response.status_code == 200
    page = text(response)
    assert "only the campaign's own targets are shown" in page
    assert "Write to Prime Minister of Canada" in page
    assert "enter your postal code" not in page.casefold()
    assert represent.calls("K1P5G4") == 0
    app.extensions["advocacy_db"].engine.dispose()


def test_custom_targets_are_offered_when_the_provider_is_down(client, represent):
    for _ in range(3):
        represent.add("K1P5G4", body={}, status=503)
    response = lookup(client, "K1P 5G4")
    assert response.status_code == 200
    page = text(response)
    assert "only the campaign's own targets are shown" in page
    assert "Write to Prime Minister of Canada" in page
    assert "Alexandra Placeholder" not in page

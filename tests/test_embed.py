"""/embed/<slug>: the supporter's path in a compact page for a partner's iframe, without any
cookie (the browser does not send the SameSite=Lax session cookie inside a cross-site frame),
framed only by the campaign's partner origins."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from advocacy import create_app, partners
from advocacy.campaigns import campaign_by_slug
from advocacy.models import ContactAction
from tests.conftest import DEMO_SLUG, test_config
from tests.helpers import field_value, hidden, textarea

BASE = f"/embed/{DEMO_SLUG}"
MP = "Alexandra Placeholder"
PARTNER = "https://partner.example"


def named(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return unescape(match.group(1))


def write_forms(html: str) -> dict[str, str]:
    """The officials one may write to: name -> the form's action."""
    found = re.findall(
        r'<strong>([^<]+)</strong>.*?<form method="post" action="([^"]+/write/[0-9a-f]+[^"]*)"',
        html,
        re.S,
    )
    return {unescape(name): unescape(action) for name, action in found}


@pytest.fixture
def browser(app):
    """A client that keeps no cookie, as a browser inside a cross-site iframe sends none."""
    return app.test_client(use_cookies=False)


def walk_to_send_page(browser, represent, query: str = ""):
    represent.add("K1P5G4")
    start = browser.get(BASE + query)
    assert start.status_code == 200
    page = start.get_data(as_text=True)
    officials = browser.post(
        f"{BASE}/lookup{query}",
        data={"form_token": named(page, "form_token"), "postcode": "k1p 5g4"},
    )
    assert officials.status_code == 200, officials.get_data(as_text=True)
    page = officials.get_data(as_text=True)
    action = write_forms(page)[MP]
    handoff = {"form_token": named(page, "form_token"), "lookup": named(page, "lookup")}
    letter = browser.post(action, data=handoff)
    assert letter.status_code == 200
    page = letter.get_data(as_text=True)
    review_action = unescape(re.search(r'action="([^"]+/review/[^"]+)"', page).group(1))
    form = {
        **handoff,
        "form_token": named(page, "form_token"),
        "subject": field_value(page, "subject"),
        "body": textarea(page, "body") + "\nMy own words.",
        "postcode": hidden(page, "postcode"),
        "token": hidden(page, "token"),
        "template_id": hidden(page, "template_id"),
        "started": hidden(page, "started"),
        "name": "Mei",
        "city": "Ottawa",
        "show_postcode": "prefix",
        "website": "",
    }
    return browser.post(review_action, data=form), form


def confirm(browser, send_page: str):
    sent_action = unescape(re.search(r'action="([^"]+/sent/[^"]+)"', send_page).group(1))
    return browser.post(
        sent_action,
        data={
            "form_token": named(send_page, "form_token"),
            "lookup": named(send_page, "lookup"),
            "postcode": hidden(send_page, "postcode"),
            "token": hidden(send_page, "token"),
            "template_id": hidden(send_page, "template_id"),
            "proof": hidden(send_page, "proof"),
            "website": "",
        },
    )


def stored(db) -> list[ContactAction]:
    with db.reader() as session:
        return list(session.scalars(select(ContactAction)))


def test_the_whole_path_without_a_cookie_counts_once_with_the_source(browser, db, represent):
    send, _form = walk_to_send_page(browser, represent, "?source=partner-news")
    assert send.status_code == 200
    page = send.get_data(as_text=True)
    assert f"Send your letter to {MP}" in page
    assert "source=partner-news" in page  # carried in the form's address
    done = confirm(browser, page)
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"{BASE}/thanks?source=partner-news")
    again = confirm(browser, page)  # pressed twice: counted once
    assert again.status_code == 303
    [action] = stored(db)
    assert action.source == "partner-news" and action.official_name == MP
    assert action.personalized is True and action.postcode_prefix == "K1P"
    thanks = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 letter has been sent" in thanks


def test_no_response_sets_a_cookie_and_pages_have_no_header_or_footer(browser, represent):
    send, _form = walk_to_send_page(browser, represent)
    for response in (browser.get(BASE), send):
        assert "Set-Cookie" not in response.headers
    page = browser.get(BASE).get_data(as_text=True)
    assert "<header" not in page and "<footer" not in page and "<script" not in page
    # Nothing from another site: every address in the page is this app's own.
    for url in re.findall(r'(?:src|href|action)="([^"]+)"', page):
        assert url.startswith("/"), url


def test_frame_ancestors_are_the_campaigns_partners(browser, db):
    refused = browser.get(BASE)
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]
    assert refused.headers["X-Frame-Options"] == "DENY"
    partners.set_origins(db, campaign_by_slug(db, DEMO_SLUG).id, [PARTNER, "http://127.0.0.2:8080"])
    allowed = browser.get(BASE)
    policy = allowed.headers["Content-Security-Policy"]
    assert "frame-ancestors https://partner.example http://127.0.0.2:8080" in policy
    assert "script-src 'none'" in policy
    assert "X-Frame-Options" not in allowed.headers
    # The rest of the app still refuses every frame.
    assert browser.get(f"/c/{DEMO_SLUG}/").headers["X-Frame-Options"] == "DENY"


def test_a_form_without_its_token_is_refused(browser, represent):
    represent.add("K1P5G4")
    answer = browser.post(f"{BASE}/lookup", data={"postcode": "K1P 5G4"})
    assert answer.status_code == 400
    assert "This form has expired" in answer.get_data(as_text=True)
    forged = browser.post(f"{BASE}/lookup", data={"postcode": "K1P 5G4", "form_token": "x.y.z"})
    assert forged.status_code == 400
    assert represent.calls("K1P5G4") == 0


def test_a_forged_lookup_asks_for_the_postal_code_again(browser, represent):
    page = browser.get(BASE).get_data(as_text=True)
    answer = browser.post(
        f"{BASE}/write/0123456789abcdef",
        data={"form_token": named(page, "form_token"), "lookup": "forged"},
    )
    assert answer.status_code == 400
    assert "Please enter your postal code first" in answer.get_data(as_text=True)


def test_a_bad_postal_code_is_explained_in_the_frame(browser):
    page = browser.get(BASE).get_data(as_text=True)
    answer = browser.post(
        f"{BASE}/lookup", data={"form_token": named(page, "form_token"), "postcode": "12345"}
    )
    assert answer.status_code == 422
    assert "letter-digit-letter" in answer.get_data(as_text=True)


def test_a_robot_gets_the_pages_rules(tmp_path, represent):
    app = create_app(test_config(tmp_path, MIN_FILL_SECONDS=30.0, LOOKUP_RATE_LIMIT="3 per minute"))
    for command in (["init-db"], ["seed-demo"]):
        assert app.test_cli_runner().invoke(args=command).exit_code == 0
    browser = app.test_client(use_cookies=False)
    # Too fast: the letter comes back, nothing is counted.
    send, form = walk_to_send_page(browser, represent)
    assert send.status_code == 422
    assert "read your letter over once more" in send.get_data(as_text=True)
    # The honeypot, likewise.
    action = re.search(r'action="([^"]+/review/[^"]+)"', send.get_data(as_text=True)).group(1)
    trapped = browser.post(unescape(action), data={**form, "website": "http://spam.example"})
    assert trapped.status_code == 422
    assert stored(app.extensions["advocacy_db"]) == []
    # The lookup's rate limit is the pages' (one lookup above, then two, then 429).
    page = browser.get(BASE).get_data(as_text=True)
    token = named(page, "form_token")
    codes = [
        browser.post(
            f"{BASE}/lookup", data={"form_token": token, "postcode": "K1P 5G4"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]


def test_an_unknown_campaign_is_not_found(browser):
    answer = browser.get("/embed/no-such-campaign")
    assert answer.status_code == 404
    assert "<header" not in answer.get_data(as_text=True)


# -- the campaign's settings page -------------------------------------------------------------


def test_organizers_list_partner_sites_and_copy_the_snippet(app, client, runner, db):
    from tests.admin_helpers import create_organizer, login
    from tests.helpers import csrf_token

    create_organizer(runner)
    login(client)
    campaign_id = campaign_by_slug(db, DEMO_SLUG).id
    settings = f"/admin/campaigns/{campaign_id}/edit"
    page = client.get(settings).get_data(as_text=True)
    snippet = unescape(
        re.search(r'<textarea id="embed-snippet"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    ).strip()
    assert snippet.startswith(f'<iframe src="http://127.0.0.1:5000{BASE}?source=PARTNER-CODE"')

    url = f"/admin/campaigns/{campaign_id}/partners/origins"
    bad = client.post(url, data={"csrf_token": csrf_token(page), "origins": "partner.example/x"})
    assert bad.status_code == 422
    assert "is not a site address" in bad.get_data(as_text=True)
    assert partners.origins(db, campaign_id) == []
    saved = client.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "origins": "https://Partner.example/\nhttp://127.0.0.2:8080",
        },
    )
    assert saved.status_code == 303
    assert partners.origins(db, campaign_id) == ["https://partner.example", "http://127.0.0.2:8080"]
    page = client.get(settings).get_data(as_text=True)
    assert "https://partner.example\nhttp://127.0.0.2:8080" in unescape(page)
    # Without the CSRF token nothing changes.
    refused = client.post(url, data={"origins": ""})
    assert refused.status_code == 400
    assert partners.origins(db, campaign_id) == ["https://partner.example", "http://127.0.0.2:8080"]

"""Who runs a campaign, its contact and its privacy page (issue 14), through the test client."""

from __future__ import annotations

from html import unescape

from advocacy import campaign_contact

from .admin_helpers import create_organizer, login, post_form
from .conftest import DEMO_SLUG

ABOUT = "/admin/campaigns/1/about"


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_supporters_see_that_nobody_said_who_runs_it_and_a_generated_privacy_page(client):
    campaign_page = page(client.get(f"/c/{DEMO_SLUG}/"))
    assert "have not yet said who they are" in campaign_page
    assert f'href="/c/{DEMO_SLUG}/privacy"' in campaign_page
    privacy = page(client.get(f"/c/{DEMO_SLUG}/privacy"))
    assert "What we keep" in privacy
    # The figures are the app's settings (test config: a one-day lookup cache).
    assert "kept for 1 day(s)" in privacy
    assert "does not send letters for you" in privacy  # the demo has no email delivery


def test_organizers_name_themselves_and_write_the_privacy_page(app, client, db):
    create_organizer(app.test_cli_runner())
    login(client)
    response = post_form(
        client,
        ABOUT,
        {
            "organizer_name": "Hong Kong Watchers of Ottawa",
            "contact": "https://example.org/contact",
            "privacy_text": "We keep **nothing** that names you.",
        },
        follow=True,
    )
    assert response.status_code == 200 and "Saved." in page(response)
    saved = campaign_contact.get(db, 1)
    assert saved.organizer_name == "Hong Kong Watchers of Ottawa"

    supporter = app.test_client()
    campaign_page = page(supporter.get(f"/c/{DEMO_SLUG}/"))
    assert "This campaign is run by Hong Kong Watchers of Ottawa." in campaign_page
    assert 'href="https://example.org/contact"' in campaign_page
    privacy = page(supporter.get(f"/c/{DEMO_SLUG}/privacy"))
    assert "<strong>nothing</strong>" in privacy and "What we keep" not in privacy


def test_a_contact_must_be_an_email_or_web_address(app, client, db):
    create_organizer(app.test_cli_runner())
    login(client)
    response = post_form(client, ABOUT, {"organizer_name": "X", "contact": "javascript:alert(1)"})
    assert response.status_code == 422
    assert campaign_contact.get(db, 1).contact == ""


def test_the_about_form_needs_a_csrf_token(app, client, db):
    create_organizer(app.test_cli_runner())
    login(client)
    assert client.post(ABOUT, data={"organizer_name": "Forged"}).status_code == 400
    assert campaign_contact.get(db, 1).organizer_name == ""

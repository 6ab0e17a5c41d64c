"""Organizers create and edit campaigns; drafts and closed campaigns are not offered."""

from __future__ import annotations

import pytest

from advocacy import campaigns

from .admin_helpers import create_organizer, login, post_form
from .conftest import DEMO_SLUG


@pytest.fixture
def organizer_client(runner, client):
    create_organizer(runner)
    login(client)
    return client


def campaign_data(**changes) -> dict:
    data = {
        "title": "Protect Hong Kong's freedoms",
        "slug": "hong-kong-freedoms",
        "introduction": "Why it **matters**.\n\n<script>alert(1)</script>\n\n[More](https://example.org)",
        "provider": "represent",
        "target_offices": ["MP", "MPP"],
        "status": "draft",
        "target_mode": "provider",
        "goal": "500",
    }
    data.update(changes)
    return data


def test_the_list_shows_campaigns_with_their_counts(organizer_client):
    page = organizer_client.get("/admin/").get_data(as_text=True)
    assert "what is your policy towards Beijing?" in page
    assert f"/c/{DEMO_SLUG}/" in page


def test_create_a_campaign(organizer_client, db):
    response = post_form(organizer_client, "/admin/campaigns/new", campaign_data())
    assert response.status_code == 302
    campaign = campaigns.campaign_by_slug(db, "hong-kong-freedoms")
    assert campaign.title == "Protect Hong Kong's freedoms"
    assert campaign.target_offices == ["MP", "MPP"]
    assert (campaign.status, campaign.goal, campaign.country) == ("draft", 500, "CA")


def test_the_form_offers_the_provider_offices(organizer_client):
    page = organizer_client.get("/admin/campaigns/new").get_data(as_text=True)
    for office in ("MP", "MPP", "MLA", "MNA", "Mayor", "Councillor"):
        assert f'value="{office}"' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "Not A Slug!"}, "lower-case letters"),
        ({"slug": DEMO_SLUG}, "Another campaign already uses this address"),
        ({"title": ""}, "This field is required"),
        ({"target_offices": []}, "Choose at least one office"),
        ({"goal": "-3"}, "Number must be"),
        ({"status": "published"}, "Not a valid choice"),
    ],
)
def test_bad_campaign_settings_are_explained(organizer_client, changes, message):
    response = post_form(organizer_client, "/admin/campaigns/new", campaign_data(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_edit_a_campaign(organizer_client, db):
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    url = f"/admin/campaigns/{campaign.id}/edit"
    data = campaign_data(slug=DEMO_SLUG, status="live", title="New title")
    assert post_form(organizer_client, url, data).status_code == 302
    assert campaigns.campaign_by_slug(db, DEMO_SLUG).title == "New title"


def test_editing_an_unknown_campaign_is_not_found(organizer_client):
    assert organizer_client.get("/admin/campaigns/999/edit").status_code == 404


def test_a_campaign_form_without_csrf_is_refused(organizer_client, db):
    response = organizer_client.post("/admin/campaigns/new", data=campaign_data())
    assert response.status_code == 400
    assert campaigns.campaign_by_slug(db, "hong-kong-freedoms") is None


def test_a_draft_is_hidden_from_supporters_but_previewed_by_organizers(organizer_client, app):
    post_form(organizer_client, "/admin/campaigns/new", campaign_data())
    preview = organizer_client.get("/c/hong-kong-freedoms/")
    assert preview.status_code == 200
    assert "this campaign is a draft" in preview.get_data(as_text=True)
    anonymous = app.test_client()
    assert anonymous.get("/c/hong-kong-freedoms/").status_code == 404
    assert "Protect Hong Kong" not in anonymous.get("/").get_data(as_text=True)


def test_a_closed_campaign_says_it_has_ended(organizer_client, app, db):
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    post_form(
        organizer_client,
        f"/admin/campaigns/{campaign.id}/edit",
        campaign_data(slug=DEMO_SLUG, status="closed"),
    )
    response = app.test_client().get(f"/c/{DEMO_SLUG}/")
    assert response.status_code == 410
    assert "This campaign has ended" in response.get_data(as_text=True)


def test_the_introduction_is_markdown_without_html(organizer_client):
    post_form(organizer_client, "/admin/campaigns/new", campaign_data(status="live"))
    page = organizer_client.get("/c/hong-kong-freedoms/").get_data(as_text=True)
    assert "<strong>matters</strong>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert '<a href="https://example.org">More</a>' in page

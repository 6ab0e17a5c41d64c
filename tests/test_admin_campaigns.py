"""Organizers create and edit campaigns; drafts and closed campaigns are not offered."""

from __future__ import annotations

import re

import pytest

from advocacy import campaigns

from .admin_helpers import create_organizer, login, post_form
from .conftest import DEMO_SLUG
from .helpers import csrf_token


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


HUGE = "99999999999999999999"  # more than a 64-bit database integer holds


def _filled(rule, value: str) -> str:
    """The rule's URL with every <int:...> part set to ``value`` and every other part to 1."""
    path = rule.rule
    for name, converter in rule._converters.items():
        part = value if converter.__class__.__name__.endswith("IntegerConverter") else "1"
        path = re.sub(rf"<[^>]*\b{name}>", part, path)
    return path


@pytest.mark.parametrize("value", [HUGE, str(2**63), "9" * 5000, "0" * 30 + "1" + "0" * 20])
def test_huge_ids_in_any_admin_url_are_not_found(app, organizer_client, value):
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin/") and "<int:" in rule.rule
    ]
    assert len(rules) >= 8  # edit, letters, tallies, targets, held, ...
    for rule in rules:
        url = _filled(rule, value)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = organizer_client.open(url, method=method)
            assert response.status_code == 404, (method, url[:120], response.status_code)


def test_the_largest_database_id_is_an_ordinary_not_found(organizer_client):
    response = organizer_client.get(f"/admin/campaigns/{2**63 - 1}/edit")
    assert response.status_code == 404


@pytest.mark.parametrize("delivery_id", [HUGE + "999", "²", "-1", "", "1e3"])
def test_a_held_letter_decision_with_a_bad_id_is_a_bad_request(organizer_client, db, delivery_id):
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    token = csrf_token(
        organizer_client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    )
    response = organizer_client.post(
        f"/admin/campaigns/{campaign.id}/held",
        data={"csrf_token": token, "delivery": delivery_id, "decision": "release"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "field"),
    [("/admin/campaigns/new", "goal"), ("/admin/campaigns/1/letters/new", "position")],
)
def test_huge_numbers_in_admin_forms_are_form_errors(organizer_client, url, field):
    letter = {"language": "en", "editing": "free", "subject": "Hello", "body": "Dear you"}
    for value in (HUGE * 3, "9" * 5000, "-" + HUGE):
        response = post_form(organizer_client, url, campaign_data(**letter, **{field: value}))
        assert response.status_code == 422, (field, value[:30], response.status_code)
        assert "Not a valid integer value" in response.get_data(as_text=True) or (
            "Number must be" in response.get_data(as_text=True)
        )

"""What first-time organizers ran into (issue 14), through the test client."""

from __future__ import annotations

import re
from html import unescape

import pytest

from advocacy import charts, editor

from .admin_helpers import create_organizer, login, post_form
from .conftest import DEMO_SLUG
from .helpers import csrf_token


def campaigns_demo(db):
    from advocacy import campaigns

    return campaigns.campaign_by_slug(db, DEMO_SLUG)


LETTERS = "/admin/campaigns/1/letters"
PRIVACY_NOTE = "We keep no name, email or IP address with your letter"


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def organizer(app, client):
    create_organizer(app.test_cli_runner())
    login(client)
    return client


def test_the_login_page_says_things_once_and_shows_no_organizer_links(client):
    login_page = page(client.get("/admin/campaigns/1/edit", follow_redirects=True))
    assert login_page.count("Please log in to see this page.") == 1
    assert ">Campaigns</a>" not in login_page
    assert PRIVACY_NOTE not in login_page  # the supporters' note is not about organizers


def test_organizer_pages_carry_no_supporters_footer(organizer):
    assert PRIVACY_NOTE not in page(organizer.get("/admin/"))


def test_dates_have_one_format_with_their_zone_and_authors_are_named(organizer):
    letters = page(organizer.get(LETTERS))
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", letters), letters
    assert "the campaign files shipped with the app" in letters
    assert "letter_templates/" not in letters
    assert "Letter for everyone" in letters  # the main letter has no name of its own
    history = page(organizer.get(f"{LETTERS}/1/history"))
    shipped = r"Saved by the campaign files shipped with the app on \d{4}-\d\d-\d\d \d\d:\d\d UTC"
    assert re.search(shipped, history)


def test_a_group_letter_after_the_letter_for_everyone_is_flagged(organizer, app, db):
    assert "never used" not in page(organizer.get(LETTERS))
    created = post_form(
        organizer,
        f"{LETTERS}/new",
        {
            "language": "en",
            "name": "Mayors",
            "applies_to": "Mayor",
            "position": "99",
            "editing": "free",
            "subject": "Hello",
            "body": "Dear {{ official.name }},\n\nHello.\n",
            "save": "1",
        },
    )
    assert created.status_code == 302, page(created)
    letters = page(organizer.get(LETTERS))
    assert "Some letters for a group of officials are never used" in letters
    assert letters.count("never used</strong>") == 1


def test_switching_to_blocks_warns_when_the_letter_has_no_editable_block(organizer, db):
    settings = page(organizer.get(f"{LETTERS}/1/settings"))
    assert "This letter has no editable block yet" in settings
    with_block = "Dear {{ official.name }},\n[[ editable: Why? ]]\nBecause.\n[[ end ]]\n"
    saved = post_form(
        organizer, f"{LETTERS}/1/edit", {"subject": "Hello", "body": with_block, "save": "1"}
    )
    assert saved.status_code in (200, 302), page(saved)
    assert editor.get_letter(db, campaigns_demo(db), 1) is not None
    assert "This letter has no editable block yet" not in page(
        organizer.get(f"{LETTERS}/1/settings")
    )


def test_the_campaign_address_help_shows_the_pattern(organizer):
    settings = organizer.get("/admin/campaigns/1/edit").get_data(as_text=True)
    assert "Supporters open the campaign at /c/&lt;address&gt;/." in settings


def test_a_single_day_is_drawn_as_a_column_with_its_figure():
    svg = str(
        charts.line_chart(
            [("2026-11-26", 4)], title="Contacts by day", description="d", chart_id="chart-day"
        )
    )
    assert "<rect " in svg and ">4</text>" in svg
    assert 'font-size="15"' in svg  # 13 px was unreadable once scaled to a phone


def test_the_tallies_say_the_counts_are_what_supporters_reported(organizer):
    tallies = page(organizer.get("/admin/campaigns/1/tallies"))
    assert "These are the contacts supporters reported" in tallies


def test_restoring_a_version_brings_back_its_editing_mode(organizer, db):
    with_block = "Dear {{ official.name }},\n[[ editable: Why? ]]\nBecause.\n[[ end ]]\n"
    post_form(organizer, f"{LETTERS}/1/edit", {"subject": "Free", "body": with_block, "save": "1"})
    post_form(organizer, f"{LETTERS}/1/settings", {"language": "en", "editing": "blocks"})
    post_form(
        organizer, f"{LETTERS}/1/edit", {"subject": "Blocks", "body": with_block, "save": "1"}
    )
    campaign = campaigns_demo(db)
    rows = editor.history(db, editor.get_letter(db, campaign, 1))
    by_subject = {row.version.subject: row.version for row in rows}
    assert by_subject["Free"].editing == "free" and by_subject["Blocks"].editing == "blocks"
    history = page(organizer.get(f"{LETTERS}/1/history"))
    assert "Editing: blocks" in history and "Editing: free" in history

    free_version = by_subject["Free"]
    restore = f"{LETTERS}/1/versions/{free_version.id}/restore"
    history_page = organizer.get(f"{LETTERS}/1/history").get_data(as_text=True)
    organizer.post(restore, data={"csrf_token": csrf_token(history_page)})
    assert editor.get_letter(db, campaign, 1).editing == "free"

"""The supporter's path in a real browser (system Chromium), against the app served for real.

Represent is a loopback HTTP server answering from tests/fixtures/represent/; the database is a
fresh SQLite file per test. Each test checks what the supporter sees, or what was stored.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import func, select

from advocacy.models import Campaign, ContactAction
from tests.conftest import DEMO_SLUG

pytestmark = pytest.mark.e2e

MP = "Alexandra Placeholder"
MP_EMAIL = "alexandra.placeholder@parl.gc.ca"
OWN_WORDS = "I live in Ottawa Centre and I would like to know where you stand."


def contact_actions(live_app) -> list[ContactAction]:
    with live_app.db.reader() as session:
        return list(session.scalars(select(ContactAction).order_by(ContactAction.id)))


def find_officials(page, postcode: str) -> None:
    page.get_by_label("Your postal code").fill(postcode)
    page.get_by_role("button", name="Find my officials").click()


def level_section(page, heading: str):
    return page.locator("section.level").filter(
        has=page.get_by_role("heading", level=2, name=heading, exact=True)
    )


def test_whole_path_without_javascript(live_app, tab_nojs):
    page = tab_nojs.page
    page.goto(f"{live_app.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("policy towards Beijing")

    # Postal code typed the way people type it: lower case, a hyphen, spaces around.
    page.get_by_label("Your postal code").press_sequentially(" k1p-5g4 ")
    page.get_by_role("button", name="Find my officials").click()

    expect(page).to_have_url(f"{live_app.url}/c/{DEMO_SLUG}/officials")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your officials for K1P 5G4")
    headings = page.locator("section.level > h2").all_inner_texts()
    assert headings[:2] == ["Federal", "Provincial"], headings
    assert "Municipal" in headings
    federal = level_section(page, "Federal")
    expect(federal.get_by_role("heading", level=3, name=MP)).to_be_visible()
    expect(level_section(page, "Provincial")).to_contain_text("Jean-François Exemple")
    # Offices the campaign does not write to are shown, without a link.
    municipal = level_section(page, "Municipal")
    expect(municipal).to_contain_text("Mark Placeholder")
    expect(municipal.get_by_role("link")).to_have_count(0)

    federal.get_by_role("link", name=f"Write to {MP}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your letter to {MP}")
    body = page.get_by_label("Your letter")
    letter = body.input_value()
    assert MP in letter or "Placeholder" in letter
    body.fill(f"{letter.rstrip()}\n\n{OWN_WORDS}\n")
    page.get_by_label("Your name").fill("Mei Example")
    page.get_by_label("Your city or town").fill("Ottawa")
    page.get_by_role("button", name="Continue to send").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Send your letter to {MP}")
    href = page.locator("a#mailto").get_attribute("href")
    assert href.startswith(f"mailto:{MP_EMAIL}?subject=")
    assert "%0D%0A" in href and "%20" in href
    assert "+" not in href
    sent_body = unquote(href.split("&body=", 1)[1])
    assert OWN_WORDS in sent_body
    assert "Mei Example" in sent_body and "Ottawa" in sent_body
    expect(page.locator("#copy-body")).to_have_value(re.compile(re.escape(OWN_WORDS)))
    assert contact_actions(live_app) == []  # nothing counts before the supporter says so

    page.locator("#confirm-sent").click()
    expect(page).to_have_url(f"{live_app.url}/c/{DEMO_SLUG}/thanks")
    expect(page.locator("p.count")).to_contain_text("1 letter has been sent")

    rows = contact_actions(live_app)
    assert len(rows) == 1
    row = rows[0]
    assert row.postcode_prefix == "K1P"
    assert (row.official_name, row.official_office, row.method) == (MP, "MP", "mailto")
    with live_app.db.reader() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.slug == DEMO_SLUG))
    assert row.campaign_id == campaign_id

    # Back to the send page and press the button again: still counted once. The send page is
    # a POST answer marked no-store (it shows the letter), so Chromium cannot take it from its
    # cache and shows "Confirm Form Resubmission" (ERR_CACHE_MISS); reloading there re-posts
    # the letter form, as a supporter who presses reload does, with the same idempotency token.
    try:
        page.go_back()
    except PlaywrightError as exc:
        assert "ERR_CACHE_MISS" in str(exc), exc
        page.wait_for_url(re.compile(r"^chrome-error://"))
        page.wait_for_load_state()
        page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Send your letter to {MP}")
    page.locator("#confirm-sent").click()
    expect(page).to_have_url(f"{live_app.url}/c/{DEMO_SLUG}/thanks")
    expect(page.locator("p.count")).to_contain_text("1 letter has been sent")
    assert len(contact_actions(live_app)) == 1
    assert tab_nojs.requests.foreign() == []


def test_malformed_postal_code_is_explained_on_the_same_page(live_app, tab_nojs):
    page = tab_nojs.page
    page.goto(f"{live_app.url}/c/{DEMO_SLUG}/")
    find_officials(page, "12345")

    expect(page.get_by_role("heading", level=1)).to_contain_text("policy towards Beijing")
    expect(page.get_by_role("alert")).to_contain_text("like K1A 0B1")
    field = page.get_by_label("Your postal code")
    expect(field).to_have_value("12345")
    expect(field).to_have_attribute("aria-invalid", "true")
    with live_app.db.reader() as session:
        assert session.scalar(select(func.count(ContactAction.id))) == 0


def test_postal_code_across_a_boundary_lists_both_mps(live_app, tab):
    page = tab.page
    page.goto(f"{live_app.url}/c/{DEMO_SLUG}/")
    find_officials(page, "G6G 1B2")

    expect(page.get_by_role("status")).to_contain_text("crosses a district boundary")
    federal = level_section(page, "Federal")
    for name in ("Émilie Côté-Exemple", "Luc Lévesque-Témoin"):
        expect(federal.get_by_role("heading", level=3, name=name)).to_be_visible()
        expect(federal.get_by_role("link", name=f"Write to {name}")).to_be_visible()
    expect(federal).to_contain_text("Most likely your district")
    expect(federal).to_contain_text("Possibly your district")


def test_browser_only_ever_talks_to_the_app(live_app, tab):
    """With JavaScript on, images loaded: every request stays on 127.0.0.1 (officials' photos
    come through the app, Represent is called by the server, never the browser)."""
    page = tab.page
    page.goto(f"{live_app.url}/")
    find_officials(page, "K1P5G4")
    expect(page.get_by_role("heading", level=3, name=MP)).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name=f"Write to {MP}").click()
    page.get_by_role("button", name="Continue to send").click()
    expect(page.locator("a#mailto")).to_have_attribute("href", re.compile(r"^mailto:"))
    page.wait_for_load_state("networkidle")
    page.locator("#confirm-sent").click()
    expect(page.locator("p.count")).to_contain_text("1 letter has been sent")
    page.wait_for_load_state("networkidle")

    urls = tab.requests.urls
    assert any("/photo/" in url for url in urls), urls  # the officials' photos were asked for
    assert any("/static/" in url for url in urls), urls
    assert tab.requests.foreign() == [], tab.requests.foreign()
    assert tab.requests.hosts() == {"127.0.0.1"}

"""Every supporter page and every organizer page in Chromium at 1280 px and 375 px: axe-core
(WCAG 2.1 AA) finds no violation, no page scrolls sideways on a phone, and a screenshot of each
is saved under tests/e2e/artifacts/ (ADVOCACY_E2E_ARTIFACTS elsewhere)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import DEMO_SLUG

from .accessibility import Audit, require_axe
from .conftest import TIMEOUT_MS
from .organizer import hold_a_letter, invalid_forms, log_in, organizer_account

pytestmark = pytest.mark.e2e

MP = "Alexandra Placeholder"


@pytest.fixture
def audited(browser):
    """A JavaScript page whose context lets the injected axe script run under our CSP."""
    require_axe()
    context = browser.new_context(locale="en-CA", bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_every_page_is_accessible_and_fits_a_phone(live_app, audited):
    page, url = audited, live_app.url
    supporter = Audit("supporter")
    page.goto(f"{url}/")
    supporter.check(page, "campaign")

    page.get_by_label("Your postal code").fill("12345")
    page.get_by_role("button", name="Find my officials").click()
    expect(page.get_by_role("alert")).to_be_visible()
    supporter.check(page, "campaign-postcode-error")

    page.get_by_label("Your postal code").fill("G6G 1B2")
    page.get_by_role("button", name="Find my officials").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("G6G 1B2")
    supporter.check(page, "officials-split-postcode")

    page.goto(f"{url}/c/{DEMO_SLUG}/")
    page.get_by_label("Your postal code").fill("K1P 5G4")
    assert invalid_forms(page) == []
    page.get_by_role("button", name="Find my officials").click()
    supporter.check(page, "officials")
    page.get_by_role("link", name=f"Write to {MP}").click()
    supporter.check(page, "letter")
    assert invalid_forms(page) == []
    page.get_by_role("button", name="Continue to send").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Send your letter")
    supporter.check(page, "send")
    assert invalid_forms(page) == []
    page.locator("#confirm-sent").click()
    expect(page.locator("p.count")).to_be_visible()
    supporter.check(page, "thanks")
    page.goto(f"{url}/c/no-such-campaign/")
    supporter.check(page, "not-found")
    page.goto(f"{url}/c/{DEMO_SLUG}/")
    page.locator("#privacy-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Privacy")
    supporter.check(page, "privacy")

    organizer = Audit("organizer", axe_at=("phone",))
    organizer_account(live_app)
    page.goto(f"{url}/admin/login")
    organizer.check(page, "login")
    log_in(page, live_app)
    organizer.check(page, "campaigns")
    hold_a_letter(live_app)
    pages = {
        "new-campaign": "/admin/campaigns/new",
        "settings": "/admin/campaigns/1/edit",
        "letters": "/admin/campaigns/1/letters",
        "new-letter": "/admin/campaigns/1/letters/new",
        "letter-settings": "/admin/campaigns/1/letters/1/settings",
        "letter-history": "/admin/campaigns/1/letters/1/history",
        "targets": "/admin/campaigns/1/targets",
        "who-runs-it": "/admin/campaigns/1/about",
        "held": "/admin/campaigns/1/held",
        "tallies": "/admin/campaigns/1/tallies",
    }
    for name, path in pages.items():
        page.goto(f"{url}{path}")
        organizer.check(page, name)
    page.goto(f"{url}/admin/campaigns/1/letters/1/edit")
    page.get_by_role("button", name="Preview (does not save)").click()
    expect(page.get_by_role("heading", name="Preview (not saved)")).to_be_visible()
    organizer.check(page, "letter-edit-preview")

    found = "\n".join(audit.problems() for audit in (supporter, organizer) if audit.problems())
    assert found == "", found
    assert len(supporter.pages) + len(organizer.pages) == 22

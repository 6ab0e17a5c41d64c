"""The send page in Chromium: reached by a redirect after the letter form, so Back from the
thanks page shows it again without the browser's "Confirm Form Resubmission"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from advocacy.models import ContactAction
from tests.conftest import DEMO_SLUG

pytestmark = pytest.mark.e2e

MP = "Alexandra Placeholder"
MP_EMAIL = "alexandra.placeholder@parl.gc.ca"


def test_back_from_the_thanks_page_shows_the_send_page_again(live_app, tab_nojs):
    page = tab_nojs.page
    page.goto(f"{live_app.url}/c/{DEMO_SLUG}/")
    page.get_by_label("Your postal code").fill("K1P 5G4")
    page.get_by_role("button", name="Find my officials").click()
    page.get_by_role("link", name=f"Write to {MP}").click()
    page.get_by_role("button", name="Continue to send").click()

    send_url = re.compile(rf"^{re.escape(live_app.url)}/c/{DEMO_SLUG}/send/[0-9a-f]+$")
    expect(page).to_have_url(send_url)
    expect(page.locator("#official-address")).to_have_text(MP_EMAIL)
    expect(page.locator("#no-mail-program")).to_be_visible()
    page.locator("#confirm-sent").click()
    expect(page.locator("p.count")).to_contain_text("1 letter has been sent")

    page.go_back()  # a GET page: no resubmission question, no chrome-error page
    expect(page).to_have_url(send_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Send your letter to {MP}")
    page.locator("#confirm-sent").click()
    expect(page.locator("p.count")).to_contain_text("1 letter has been sent")
    with live_app.db.reader() as session:
        assert session.scalar(select(func.count(ContactAction.id))) == 1

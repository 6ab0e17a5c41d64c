"""Helpers for the organizers' pages in Chromium: an account, logging in, and a held letter."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select

from advocacy.constants import DeliveryStatus
from advocacy.models import Campaign, Delivery
from tests.admin_helpers import EMAIL, PASSWORD, create_organizer

from .conftest import LiveApp


def organizer_account(live_app: LiveApp) -> None:
    create_organizer(live_app.app.test_cli_runner())


def log_in(page, live_app: LiveApp, next_path: str = "/admin/") -> None:
    """Open an organizer page, get the login form, and log in with the real button."""
    page.goto(f"{live_app.url}{next_path}")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_app.url}{next_path}")


def hold_a_letter(live_app: LiveApp, official: str = "Alexandra Placeholder") -> int:
    """A letter by email held back by the per-official cap, as delivery.confirm leaves it."""
    with live_app.db.write() as session:
        campaign = session.scalar(select(Campaign).order_by(Campaign.id))
        campaign.server_delivery = True
        row = Delivery(
            campaign_id=campaign.id,
            official_key="k" * 32,
            official_name=official,
            official_office="MP",
            official_email="alexandra.placeholder@parl.gc.ca",
            district_name="Ottawa Centre",
            level="federal",
            provider="represent",
            postcode_prefix="K1P",
            subject="My question",
            body="Dear MP, where do you stand?",
            email_hmac=secrets.token_hex(16),
            token=secrets.token_hex(16),
            status=DeliveryStatus.HELD,
            confirmed_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        return row.id


# Every form on a page must pass the browser's own validation when filled as a person would:
# returns the forms that do not, with the first invalid field and the browser's message.
INVALID_FORMS_JS = """() => Array.from(document.forms).flatMap((form, index) => {
  if (form.checkValidity()) return [];
  const bad = Array.from(form.elements).find((el) => el.willValidate && !el.validity.valid);
  return [{form: index, action: form.getAttribute('action') || location.pathname,
           field: bad ? (bad.name || bad.id) : '', message: bad ? bad.validationMessage : ''}];
})"""


def invalid_forms(page) -> list[dict]:
    return page.evaluate(INVALID_FORMS_JS)

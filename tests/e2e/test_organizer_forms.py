"""Every organizer form in a real browser (system Chromium): filled as a person would, checked
against the browser's own validation, and sent with its real button.

The Flask test client applies no HTML validation (`required`, `pattern`, `type=email`), so a
form the browser refuses to send passes every test-client test: only these tests see it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from advocacy.constants import DeliveryStatus
from advocacy.models import Campaign, Delivery, Letter, LetterVersion

from .organizer import hold_a_letter, log_in, organizer_account

pytestmark = pytest.mark.e2e

TARGETS_CSV = (
    "name,office,level,district,email,phone,url,postcodes\n"
    "Dana Example,Councillor,municipal,Ward 1,dana@example.org,,,K1P\n"
)


def press(page, name: str) -> None:
    """Check the button's form passes the browser's own validation as filled, then press it.
    (Other forms on the page, left empty as a person would, are not this button's concern.)"""
    button = page.get_by_role("button", name=name, exact=True)
    problem = button.evaluate(
        """(button) => {
          const form = button.form;
          if (!form || form.checkValidity()) return null;
          const bad = Array.from(form.elements).find((el) => el.willValidate && !el.validity.valid);
          return (bad ? (bad.name || bad.id) : '') + ': ' + (bad ? bad.validationMessage : '');
        }"""
    )
    assert problem is None, problem
    button.click()
    page.wait_for_load_state()


def notice(page):
    return page.get_by_role("status")


def test_every_organizer_form_with_its_real_button(live_app, tab, tmp_path):
    organizer_account(live_app)
    page = tab.page
    log_in(page, live_app)
    expect(page.get_by_role("heading", level=1)).to_have_text("Campaigns")

    # -- a new campaign: one office ticked is enough -------------------------------------------
    page.get_by_role("link", name="New campaign").click()
    page.locator("#title").fill("Ask your councillor")  # not a translation's title
    page.get_by_label("Address (slug)").fill("ask-your-councillor")
    page.get_by_label("Councillor", exact=True).check()
    press(page, "Create campaign")
    expect(notice(page)).to_contain_text("Campaign created")
    with live_app.db.reader() as session:
        created = session.scalar(select(Campaign).where(Campaign.slug == "ask-your-councillor"))
    assert created is not None and created.target_offices == ["Councillor"]

    # -- the demo campaign's settings: change the goal, untick an office -----------------------
    with live_app.db.reader() as session:
        demo = session.scalar(select(Campaign).order_by(Campaign.id))
    page.goto(f"{live_app.url}/admin/campaigns/{demo.id}/edit")
    # Each box sits on the line of its own label, and the help shows the address pattern.
    offices = page.get_by_role("group", name="Offices supporters may write to")
    assert offices.get_by_role("checkbox").count() == 16
    for box in offices.get_by_role("checkbox").all()[:3]:
        label = box.locator("xpath=ancestor::label")
        box_at, label_at = box.bounding_box(), label.bounding_box()
        assert (
            label_at["y"]
            <= box_at["y"] + box_at["height"] / 2
            <= label_at["y"] + label_at["height"]
        ), (box_at, label_at)
    expect(page.get_by_role("checkbox", name="MP", exact=True)).to_have_value("MP")
    expect(page.locator("#slug-help")).to_have_text(
        "Supporters open the campaign at /c/<address>/."
    )
    page.get_by_label("Goal (number of letters, optional)").fill("500")
    page.get_by_label("MHA", exact=True).uncheck()
    press(page, "Save")
    expect(notice(page)).to_contain_text("Saved.")
    with live_app.db.reader() as session:
        demo = session.get(Campaign, demo.id)
    assert demo.goal == 500 and "MHA" not in demo.target_offices and "MP" in demo.target_offices

    # -- a new letter for the new campaign: preview, then create -------------------------------
    page.goto(f"{live_app.url}/admin/campaigns/{created.id}/letters")
    page.get_by_role("link", name="New letter").click()
    page.get_by_label("Name (seen by organizers only)").fill("Councillors")
    page.get_by_label("Subject", exact=True).fill("Our city and Beijing")
    page.get_by_label("Letter", exact=True).fill(
        "Dear {{ official.name }},\n\nWhere do you stand?\n"
    )
    press(page, "Preview (does not save)")
    expect(page.get_by_role("heading", name="Preview (not saved)")).to_be_visible()
    expect(page.get_by_role("region", name="Preview")).to_contain_text("Where do you stand?")
    press(page, "Create the letter")
    with live_app.db.reader() as session:
        letter = session.scalar(select(Letter).where(Letter.campaign_id == created.id))
    assert letter is not None

    # -- a second version, then restore the first ----------------------------------------------
    edit_url = f"{live_app.url}/admin/campaigns/{created.id}/letters/{letter.id}/edit"
    page.goto(edit_url)
    page.get_by_label("Letter", exact=True).fill("Dear {{ official.name }},\n\nPlease answer.\n")
    press(page, "Save as a new version")
    page.goto(f"{live_app.url}/admin/campaigns/{created.id}/letters/{letter.id}/history")
    page.locator("#v1").get_by_role("button", name="Restore this version").click()
    page.wait_for_load_state()
    with live_app.db.reader() as session:
        bodies = list(
            session.scalars(
                select(LetterVersion.body)
                .where(LetterVersion.letter_id == letter.id)
                .order_by(LetterVersion.version)
            )
        )
    assert len(bodies) == 3 and bodies[2] == bodies[0] != bodies[1], bodies

    # -- the letter's settings: switch to blocks -----------------------------------------------
    page.goto(f"{live_app.url}/admin/campaigns/{created.id}/letters/{letter.id}/settings")
    page.get_by_role("radio", name=re.compile("^Blocks")).check()
    press(page, "Save settings")
    with live_app.db.reader() as session:
        assert session.get(Letter, letter.id).editing == "blocks"

    # -- custom targets: upload a CSV ----------------------------------------------------------
    csv_file = tmp_path / "targets.csv"
    csv_file.write_text(TARGETS_CSV, encoding="utf-8")
    page.goto(f"{live_app.url}/admin/campaigns/{created.id}/targets")
    page.get_by_label("CSV file (UTF-8)").set_input_files(str(csv_file))
    press(page, "Upload and replace")
    expect(page.locator("table.data")).to_contain_text("Dana Example")

    # -- a held letter: release it -------------------------------------------------------------
    held_id = hold_a_letter(live_app)
    page.goto(f"{live_app.url}/admin/campaigns/{demo.id}/held")
    press(page, "Release")
    expect(page.locator("table.data")).to_contain_text("No letter is held")
    with live_app.db.reader() as session:
        assert session.get(Delivery, held_id).status == DeliveryStatus.QUEUED

    # -- tallies: filter by dates, download a CSV ----------------------------------------------
    page.goto(f"{live_app.url}/admin/campaigns/{demo.id}/tallies")
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-12-31")
    press(page, "Show")
    assert "from=2026-01-01" in page.url and "to=2026-12-31" in page.url
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table as CSV").first.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0], text

    # -- log out ---------------------------------------------------------------------------------
    press(page, "Log out")
    expect(page.get_by_role("heading", level=1)).to_contain_text("log in")

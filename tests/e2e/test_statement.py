"""The statement and the office reports in Chromium, without JavaScript, against the app served
for real with a real SMTP server on loopback: sign (real button), confirm the address from the
email (real button), write without typing the postal code again, then an organizer saves a
statement version and emails the office's report (real buttons)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from advocacy import create_app
from advocacy.models import ReportSend, Signature
from tests.conftest import DEMO_SLUG, test_config
from tests.smtp import SmtpServer

from .conftest import LiveApp, _Served
from .organizer import log_in, organizer_account

pytestmark = pytest.mark.e2e

MP = "Alexandra Placeholder"
OWN_WORDS = "Please tell me, your constituent, where you stand on Beijing."


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def live_mail_app(tmp_path, represent_server, upstream, smtp) -> Iterator[LiveApp]:
    """The live app of conftest.py, with email set up (the loopback SMTP server)."""
    app = create_app(
        test_config(
            tmp_path,
            REPRESENT_URL=represent_server,
            SMTP_URL=smtp.url,
            MAIL_FROM="news@advocacy.example",
            PUBLIC_URL="http://placeholder.invalid",
        )
    )
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        assert runner.invoke(args=command).exit_code == 0
    served = _Served(app)
    app.config["PUBLIC_URL"] = served.url  # links in emails lead back to this server
    yield LiveApp(app, served.url, represent_server)
    served.stop()
    app.extensions["advocacy_db"].engine.dispose()


def test_sign_confirm_write_and_report_without_javascript(live_mail_app, tab_nojs, smtp):
    live, page = live_mail_app, tab_nojs.page
    page.goto(f"{live.url}/c/{DEMO_SLUG}/")
    page.get_by_role("link", name="Read and sign the statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign the statement")
    expect(page.locator("section.statement")).to_contain_text("transnational repression")
    page.get_by_label("With my name").check()
    page.get_by_label("Your name").fill("Mei Example")
    page.get_by_label("Show my signature in the public list of signers").check()
    page.get_by_label("Your postal code").fill("k1p 5g4")
    page.get_by_label("Your email address (optional)").fill("mei@example.org")
    page.get_by_label("Email me news of this campaign").check()
    page.get_by_role("button", name="Sign").click()

    expect(page.get_by_role("status").first).to_have_text("Your signature is counted.")
    expect(page.locator("p.count")).to_contain_text("1 person has signed so far.")
    expect(page.get_by_text("Check your email")).to_be_visible()

    # The confirmation email's link opens a page; only its button confirms.
    [message] = smtp.inbox.messages
    link = re.search(r"(http://127\.0\.0\.1:\d+/\S+)", message.message.get_content()).group(1)
    confirm_tab = page.context.new_page()
    confirm_tab.goto(link)
    with live.db.reader() as session:
        assert session.scalar(select(Signature)).email_confirmed_at is None
    confirm_tab.get_by_role("button", name="Confirm my address").click()
    expect(confirm_tab.get_by_role("status")).to_contain_text("your address is confirmed")
    confirm_tab.close()

    # Signed first, now writes: the officials page opens without the postal code typed again.
    page.get_by_role("link", name="See your officials and write to them").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your officials for K1P 5G4")
    page.get_by_role("link", name=f"Write to {MP}").click()
    body = page.get_by_label("Your letter")
    body.fill(f"{body.input_value().rstrip()}\n\n{OWN_WORDS}\n")
    page.get_by_label("My words may be quoted to this office").check()
    page.get_by_role("button", name="Continue to send").click()
    page.locator("#confirm-sent").click()
    expect(page).to_have_url(f"{live.url}/c/{DEMO_SLUG}/thanks")
    expect(page.locator("#sign-after-writing")).to_have_count(0)  # signed already

    # The campaign page: the running total, and the name the signer asked to list.
    page.goto(f"{live.url}/c/{DEMO_SLUG}/")
    expect(page.locator("section.statement-summary")).to_contain_text("Mei Example")

    # An organizer saves a new version of the statement and emails the MP's report.
    organizer_account(live)
    log_in(page, live)
    page.get_by_role("link", name="Statement").first.click()
    expect(page.locator("#signatures-by-district")).to_contain_text("Ottawa Centre")
    page.get_by_label("Statement (Markdown)").fill("We ask for **clear answers**.")
    page.get_by_role("button", name="Save the statement").click()
    expect(page.get_by_text("Saved as version 2 (en).")).to_be_visible()

    page.get_by_role("link", name="Reports").first.click()
    mp_cell = page.locator("td").get_by_text("MP", exact=True)
    row = page.locator("#offices tr").filter(has_text="Ottawa Centre").filter(has=mp_cell)
    row.get_by_role("link", name="Page").click()
    expect(page.locator("#headline")).to_contain_text(
        "1 constituent of Ottawa Centre wrote to you about this campaign"
    )
    expect(page.locator("#headline")).to_contain_text("1 signed its statement")
    expect(page.locator("blockquote")).to_contain_text(OWN_WORDS)
    page.get_by_label("The office's email address").fill("office@parl.example")
    page.get_by_role("button", name="Email this report to the office").click()
    expect(page.get_by_text("The report was sent to office@parl.example")).to_be_visible()
    assert smtp.inbox.messages[-1].recipients == ["office@parl.example"]
    with live.db.reader() as session:
        assert session.scalar(select(ReportSend)).to_address == "office@parl.example"
    assert tab_nojs.requests.foreign() == []


def test_replies_positions_scorecard_and_my_data_without_javascript(live_mail_app, tab_nojs, smtp):
    live, page = live_mail_app, tab_nojs.page
    reply = "I share your concern and will ask the minister."
    # A supporter writes to their MP, then reports the answer from the thanks page.
    page.goto(f"{live.url}/c/{DEMO_SLUG}/")
    page.get_by_label("Your postal code").fill("K1P 5G4")
    page.get_by_role("button", name="Find my officials").click()
    page.get_by_role("link", name=f"Write to {MP}").click()
    page.get_by_role("button", name="Continue to send").click()
    page.locator("#confirm-sent").click()
    page.get_by_role("link", name=f"What did {MP} answer?").click()
    page.get_by_label("Yes").check()
    page.get_by_label("Supports the campaign's ask").check()
    page.get_by_label("An excerpt of their reply (optional)").fill(reply)
    page.get_by_role("button", name="Send my report").click()
    expect(page.locator("#reply-recorded")).to_be_visible()

    # The organizer publishes the excerpt and records a sourced position.
    organizer_account(live)
    log_in(page, live)
    page.get_by_role("link", name="Positions").first.click()
    expect(page.locator("blockquote")).to_contain_text(reply)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Excerpt published.")).to_be_visible()
    office = page.get_by_label("Office").locator("option").filter(has_text=f"{MP} (MP, ")
    page.get_by_label("Office").select_option(office.get_attribute("value"))
    page.get_by_label("Position", exact=True).select_option("supports")
    page.get_by_label("Source (a speech, a vote, a statement)").fill(
        "https://www.ourcommons.ca/statement/1"
    )
    page.get_by_role("button", name="Record the position").click()
    expect(page.get_by_text(f"Position recorded for {MP}.")).to_be_visible()

    # The public scorecard, filtered with its real button.
    page.goto(f"{live.url}/c/{DEMO_SLUG}/scorecard")
    page.get_by_label("Level").select_option("federal")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"level=federal"))
    table = page.locator("#scorecard")
    expect(table).to_contain_text(MP)
    expect(table).to_contain_text("100 %")
    expect(table).to_contain_text(reply)
    expect(table.get_by_role("link", name="source")).to_have_attribute(
        "href", "https://www.ourcommons.ca/statement/1"
    )

    # A signer asks for their data by email, opens the link, and deletes it.
    page.goto(f"{live.url}/c/{DEMO_SLUG}/statement")
    page.get_by_label("Your postal code").fill("K1P 5G4")  # logging in started a new session
    page.get_by_label("Your email address (optional)").fill("lin@example.org")
    page.get_by_label("Email me news of this campaign").check()
    page.get_by_role("button", name="Sign").click()
    page.goto(f"{live.url}/my-data")
    page.get_by_label("Your email address").fill("lin@example.org")
    page.get_by_role("button", name="Email me the link").click()
    expect(page.locator("#link-sent")).to_be_visible()
    content = smtp.inbox.messages[-1].message.get_content()
    page.goto(re.search(r"(http://127\.0\.0\.1:\d+/my-data/\S+)", content).group(1))
    expect(page.locator("#held-signatures")).to_contain_text("lin@example.org")
    page.get_by_role("button", name="Delete all of it").click()
    expect(page.locator("#nothing-held")).to_be_visible()
    with live.db.reader() as session:
        assert session.scalar(select(Signature)).email == ""
    assert tab_nojs.requests.foreign() == []

"""A report for each office: counts of letters and signatures from its constituents, by week,
words only from writers who agreed to be quoted; page, CSV, command, and email (logged)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from advocacy.models import Campaign, ReportExcerpt, ReportSend

from .admin_helpers import create_organizer, login
from .conftest import DEMO_SLUG
from .helpers import lookup, textarea, write_links
from .smtp import SmtpServer
from .test_public import confirm, review
from .test_statement import make_app, sign

OWN_WORDS = "My family in Hong Kong cannot speak freely. Please answer me."


def write(client, quotable: bool, words: str = OWN_WORDS, send: bool = True) -> None:
    page = lookup(client, "K1P 5G4").get_data(as_text=True)
    link = next(h for h in write_links(page) if h)
    letter = client.get(link).get_data(as_text=True)
    body = textarea(letter, "body") + "\n\n" + words
    changes = {"body": body, **({"quotable": "y"} if quotable else {})}
    sent_page = review(client, link, letter, **changes).get_data(as_text=True)
    if send:
        assert confirm(client, link, sent_page).status_code == 200


def mp_office(app, db):
    """The id of the MP's office for K1P 5G4 (Ottawa Centre), as the reports list it."""
    from advocacy import reports

    with db.reader() as session:
        campaign = session.scalar(select(Campaign))
    return campaign, next(o for o in reports.offices(db, campaign) if o.office == "MP")


@pytest.fixture
def activity(app, db, represent):
    """Two letters to the MP (one quotable), a reviewed letter never sent (quotable), and one
    signature from the same postal code."""
    represent.add("K1P5G4")
    write(app.test_client(), quotable=True)
    write(app.test_client(), quotable=False, words="Not to be quoted, please.")
    write(app.test_client(), quotable=True, words="Never sent, never shown.", send=False)
    sign(app.test_client(), postcode="K1P 5G4")


def test_the_report_counts_letters_and_signatures_and_quotes_only_with_consent(
    app, client, db, runner, activity
):
    campaign, office = mp_office(app, db)
    assert office.letters == 2 and office.signatures == 1
    create_organizer(runner)
    login(client)
    listing = client.get(f"/admin/campaigns/{campaign.id}/reports").get_data(as_text=True)
    assert office.district in listing and office.id in listing
    page = client.get(f"/admin/campaigns/{campaign.id}/reports/{office.id}").get_data(as_text=True)
    assert re.search(
        rf"2 constituents of {office.district} wrote to you about this campaign\s*, and 1 "
        r"signed its statement\.",
        page,
    )
    assert OWN_WORDS in page
    assert "Not to be quoted" not in page and "Never sent" not in page
    assert 'media="print"' in page or "report.css" in page
    csv_text = client.get(
        f"/admin/campaigns/{campaign.id}/reports/{office.id}/report.csv"
    ).get_data(as_text=True)
    assert "letters,2" in csv_text and "signatures,1" in csv_text and OWN_WORDS in csv_text
    assert re.search(r"\d{4}-\d{2}-\d{2},2,1", csv_text)  # this week's row
    # The excerpt holds no name, postal code or link to the contact.
    with db.reader() as session:
        columns = ReportExcerpt.__table__.columns.keys()
        assert not {"name", "email", "postcode", "contact_action_id"} & set(columns)
        assert session.scalar(select(ReportExcerpt).where(ReportExcerpt.sent.is_(False)))


def test_the_report_command(app, db, runner, activity):
    _, office = mp_office(app, db)
    listing = runner.invoke(args=["report", "--campaign", DEMO_SLUG])
    assert office.id in listing.output
    html = runner.invoke(args=["report", "--campaign", DEMO_SLUG, "--official", office.id])
    assert html.exit_code == 0, html.output
    assert "<style>" in html.output and "@media print" in html.output
    assert "2 constituents of" in html.output and OWN_WORDS in html.output
    as_csv = runner.invoke(
        args=["report", "--campaign", DEMO_SLUG, "--official", office.id, "--format", "csv"]
    )
    assert "letters,2" in as_csv.output
    missing = runner.invoke(args=["report", "--campaign", DEMO_SLUG, "--official", "nope"])
    assert missing.exit_code != 0 and "no office" in missing.output


def test_purge_removes_excerpts_never_sent_and_past_retention(app, db, runner, activity):
    from datetime import UTC, datetime, timedelta

    with db.write() as session:
        for row in session.scalars(select(ReportExcerpt)):
            row.created_at = datetime.now(UTC) - timedelta(days=2)
    result = runner.invoke(args=["purge", "--older-than", "365"])
    assert "report excerpts: 1 removed" in result.output  # the one never sent
    result = runner.invoke(args=["purge", "--older-than", "1"])
    assert "report excerpts: 1 removed" in result.output
    _, office = mp_office(app, db)
    assert office.letters == 2  # counts stay


def test_an_organizer_emails_the_report_to_the_office_and_it_is_logged(tmp_path, represent):
    with SmtpServer() as smtp:
        app = make_app(
            tmp_path,
            SMTP_URL=smtp.url,
            MAIL_FROM="reports@advocacy.example",
            PUBLIC_URL="https://advocacy.example",
        )
        db = app.extensions["advocacy_db"]
        represent.add("K1P5G4")
        write(app.test_client(), quotable=True)
        campaign, office = mp_office(app, db)
        create_organizer(app.test_cli_runner())
        client = app.test_client()
        login(client)
        url = f"/admin/campaigns/{campaign.id}/reports/{office.id}"
        page = client.get(url).get_data(as_text=True)
        from .helpers import csrf_token

        bad = client.post(url + "/send", data={"csrf_token": csrf_token(page), "to": "nope"})
        assert bad.status_code == 422 and smtp.inbox.messages == []
        sent = client.post(
            url + "/send",
            data={"csrf_token": csrf_token(page), "to": "office@parl.example"},
            follow_redirects=True,
        )
        assert "The report was sent to office@parl.example" in sent.get_data(as_text=True)
        [message] = smtp.inbox.messages
        assert message.recipients == ["office@parl.example"]
        body = message.message.get_content()
        assert "1 constituent of" in body and OWN_WORDS in body
        with db.reader() as session:
            logged = session.scalar(select(ReportSend))
        assert logged.to_address == "office@parl.example" and logged.letters == 1
        listing = client.get(f"/admin/campaigns/{campaign.id}/reports").get_data(as_text=True)
        assert "office@parl.example" in listing


def test_a_blocks_letter_quotes_only_the_supporters_own_words(app, client, db, runner, represent):
    from .test_letter_blocks import (
        BLOCKS_BODY,
        MP,
        blocks_form,
        confirm,
        new_letter,
        open_letter,
        send_page,
    )

    create_organizer(runner)
    login(client)
    with db.reader() as session:
        campaign = session.scalar(select(Campaign))
    new_letter(
        client,
        campaign,
        name="Blocks",
        applies_to=["MP"],
        editing="blocks",
        subject="A question",
        body=BLOCKS_BODY,
    )
    link, page = open_letter(client, represent, MP)
    data = blocks_form(page, ["My grandmother cannot speak freely.", ""], quotable="y")
    confirm(client, link, send_page(client, link, data))
    with db.reader() as session:
        [row] = session.scalars(select(ReportExcerpt)).all()
    assert row.sent and row.text == "My grandmother cannot speak freely."
    assert "support sanctions" not in row.text  # the campaign's locked text is not quoted

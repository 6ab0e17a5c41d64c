"""Letters sent by email keep no readable text: once sent, failed or bounced, the row holds
only the letter sealed under a key that only the supporter's status link carries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from advocacy import delivery
from advocacy.models import Delivery

from .conftest import test_config
from .helpers import csrf_token, lookup, write_links
from .smtp import SmtpServer
from .test_delivery_pages import ask, make_app
from .test_public import review

NAME, CITY, POSTCODE = "Wei Chen", "Quartier Chinatown-Nord", "K1P 5G4"
SENTENCE = "I would be grateful for a written reply."  # from the demo letter's body
OFFICIAL = "alexandra.placeholder@parl.gc.ca"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def confirmed_letter(app, smtp) -> str:
    """Write, ask for delivery and confirm as a supporter would; returns the status link."""
    client = app.test_client()
    page = lookup(client, POSTCODE).get_data(as_text=True)
    link = next(iter(write_links(page)))
    letter = client.get(link).get_data(as_text=True)
    send = review(client, link, letter, name=NAME, city=CITY, show_postcode="full")
    ask(client, link, send.get_data(as_text=True))
    text = smtp.inbox.messages[-1].message.get_content()
    url = re.search(r"https://advocacy\.example(/c/\S+/confirm/\S+)", text).group(1)
    confirm_page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(confirm_page)})
    assert response.status_code == 303
    return response.headers["Location"]


def raw_row(app) -> dict:
    """Every column of the one deliveries row, as stored."""
    with app.extensions["advocacy_db"].reader() as session:
        return dict(session.execute(select(Delivery.__table__)).mappings().one())


def readable(row: dict) -> str:
    return "\n".join(str(value) for value in row.values())


def bounce(app, smtp) -> None:
    verp = next(m.envelope_from for m in smtp.inbox.messages if OFFICIAL in m.recipients)
    message = (
        f"Delivered-To: {verp}\r\nFrom: MAILER-DAEMON@parl.gc.ca\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n\r\n550 no such user\r\n"
    )
    result = app.test_cli_runner().invoke(args=["bounce"], input=message.encode())
    assert result.exit_code == 0, result.output


def test_a_sent_letter_leaves_no_text_name_or_key_in_its_row(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent)
    status_url = confirmed_letter(app, smtp)
    waiting = raw_row(app)
    # While it waits, the worker needs the text; the key is already in the supporter's link.
    assert SENTENCE in waiting["body"] and NAME in waiting["body"]
    assert waiting["seal_key"] and waiting["seal_key"] in status_url and waiting["sealed"]
    assert "Keep this page" in app.test_client().get(status_url).get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["deliver"])
    assert "sent 1" in result.output
    sent = raw_row(app)
    stored = readable(sent)
    for secret in (SENTENCE, NAME, CITY, POSTCODE, POSTCODE.replace(" ", ""), "wei@example.org"):
        assert secret not in stored
    assert waiting["seal_key"] not in stored
    assert sent["sealed"] == waiting["sealed"] and sent["seal_key"] == ""
    assert sent["status"] == "sent"


def test_after_a_bounce_the_status_link_still_offers_to_send_it_yourself(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent)
    status_url = confirmed_letter(app, smtp)
    app.test_cli_runner().invoke(args=["deliver"])
    bounce(app, smtp)
    assert raw_row(app)["status"] == "bounced"
    client = app.test_client()
    page = client.get(status_url).get_data(as_text=True)
    assert "returned it" in page and "Open it in my email" in page
    assert f'href="mailto:{OFFICIAL}' in page
    for text in (SENTENCE, NAME, CITY, POSTCODE):
        assert text in page


@pytest.mark.parametrize(
    "change",
    [
        lambda url: url.rsplit("~", 1)[0],  # the key removed
        lambda url: url.rsplit("~", 1)[0] + "~",  # an empty key
        lambda url: url.rsplit("~", 1)[0] + "~" + Fernet.generate_key().decode(),  # another key
        lambda url: url[:-6] + ("AAAAA=" if not url.endswith("AAAAA=") else "BBBBB="),  # altered
        lambda url: url + "~x",  # a second separator
        lambda url: url.rsplit("~", 1)[0] + "~%C3%A9%FF%00not-a-key",  # not base64, bad UTF-8
    ],
    ids=["removed", "empty", "other-key", "altered", "extra", "garbage"],
)
def test_without_the_right_key_the_status_shows_but_not_the_text(tmp_path, smtp, represent, change):
    app = make_app(tmp_path, smtp, represent)
    status_url = confirmed_letter(app, smtp)
    app.test_cli_runner().invoke(args=["deliver"])
    bounce(app, smtp)
    client = app.test_client()
    assert "Open it in my email" in client.get(status_url).get_data(as_text=True)
    response = client.get(change(status_url))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "returned it" in page and "only through the link you were given" in page
    assert "mailto:" not in page
    for text in (SENTENCE, NAME, CITY, POSTCODE):
        assert text not in page


def test_a_forged_letter_id_is_still_not_found(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent)
    status_url = confirmed_letter(app, smtp)
    key = status_url.rsplit("~", 1)[1]
    assert app.test_client().get(f"/letters/forged~{key}").status_code == 404


def test_a_failed_letter_notice_links_to_its_text_and_the_row_forgets_the_key(
    tmp_path, smtp, represent
):
    app = make_app(tmp_path, smtp, represent)
    smtp.inbox.refuse = {OFFICIAL: "550 no such user"}
    confirmed_letter(app, smtp)
    result = app.test_cli_runner().invoke(args=["deliver"])
    assert "failed 1" in result.output
    notice = smtp.inbox.messages[-1]
    assert notice.message["Subject"] == "Your letter could not be delivered"
    text = notice.message.get_content()
    assert "We could not deliver your letter to Alexandra Placeholder." in text
    link = re.search(r"https://advocacy\.example(/letters/\S+)", text).group(1)
    row = raw_row(app)
    stored = readable(row)
    assert row["status"] == "failed" and row["seal_key"] == "" and row["sealed"]
    assert link.rsplit("~", 1)[1] not in stored
    for secret in (SENTENCE, NAME, CITY, POSTCODE, "wei@example.org"):
        assert secret not in stored
    page = app.test_client().get(link).get_data(as_text=True)
    assert "could not deliver it" in page and "Open it in my email" in page
    assert SENTENCE in page and NAME in page


def test_purge_clears_the_sealed_text_after_the_keep_period(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent)
    status_url = confirmed_letter(app, smtp)
    runner = app.test_cli_runner()
    runner.invoke(args=["deliver"])
    bounce(app, smtp)
    db = app.extensions["advocacy_db"]
    keep = timedelta(seconds=app.config["LETTER_TEXT_KEEP"])
    with db.write() as session:  # sent just within the keep period: kept
        session.scalar(select(Delivery)).sent_at = datetime.now(UTC) - keep + timedelta(hours=1)
    runner.invoke(args=["deliver"])
    assert raw_row(app)["sealed"]
    with db.write() as session:
        session.scalar(select(Delivery)).sent_at = datetime.now(UTC) - keep - timedelta(hours=1)
    result = runner.invoke(args=["deliver"])
    assert "purged 1" in result.output
    row = raw_row(app)
    assert row["sealed"] == "" and row["status"] == "bounced"
    page = app.test_client().get(status_url).get_data(as_text=True)
    assert "returned it" in page and "Open it in my email" not in page


def test_a_declined_held_letter_keeps_only_its_sealed_text(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent, DELIVERY_CAP_PER_OFFICIAL=0)
    status_url = confirmed_letter(app, smtp)
    assert raw_row(app)["status"] == "held"
    db = app.extensions["advocacy_db"]
    row = raw_row(app)
    assert delivery.review_held(db, row["campaign_id"], row["id"], release=False)
    declined = raw_row(app)
    stored = readable(declined)
    assert declined["status"] == "failed" and declined["sealed"]
    for secret in (SENTENCE, NAME, CITY, POSTCODE, "wei@example.org", row["seal_key"]):
        assert secret not in stored
    page = app.test_client().get(status_url).get_data(as_text=True)
    assert "Open it in my email" in page and SENTENCE in page


def test_sealing_round_trips_and_refuses_a_wrong_key():
    sealed, key = delivery.seal("Subject", "Body\nWei Chen\nK1P 5G4")
    assert "Wei Chen" not in sealed and len(key) == 44
    assert delivery.unseal(sealed, key) == ("Subject", "Body\nWei Chen\nK1P 5G4")
    assert delivery.unseal(sealed, Fernet.generate_key().decode()) is None
    assert delivery.unseal(sealed, "") is None and delivery.unseal("", key) is None
    assert delivery.unseal(sealed, "é" * 44) is None


def test_status_tokens_carry_the_key_outside_the_signature(tmp_path):
    config = test_config(tmp_path)
    token = delivery.status_token(config, 7, "k" * 44)
    assert delivery.read_status_token(config, token) == (7, "k" * 44)
    assert delivery.read_status_token(config, token.split("~")[0]) == (7, "")
    assert delivery.status_token(config, 7, "") == token.split("~")[0]
    assert delivery.read_status_token(config, "7~" + "k" * 44) == (None, "")


def test_no_copy_of_a_sent_letter_lingers_in_the_database_files(tmp_path, smtp, represent):
    # SQLite keeps old page versions in its write-ahead log: the worker checkpoints it.
    app = make_app(tmp_path, smtp, represent)
    confirmed_letter(app, smtp)
    app.test_cli_runner().invoke(args=["deliver"])
    files = sorted(tmp_path.glob("advocacy.db*"))
    assert files
    for path in files:
        data = path.read_bytes()
        # (The sentence is the organizer's template, stored elsewhere; these are the supporter's.)
        for secret in (NAME, CITY, "wei@example.org"):
            assert secret.encode() not in data, path.name

"""Email delivery: request, confirm, send through a real SMTP server on loopback, retries,
failures, bounces and the TTL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
from sqlalchemy import func, select

from advocacy import actions, campaigns, delivery
from advocacy.civic.represent import parse_postcode
from advocacy.models import ContactAction, Delivery

from .conftest import DEMO_SLUG, represent_body
from .smtp import SmtpServer

TTL = timedelta(days=1)
RULES = delivery.Rules(
    pepper=b"pepper",
    confirm_ttl=TTL,
    repeat_window=timedelta(days=1),
    cap=None,
    cap_window=timedelta(days=1),
)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mp():
    result = parse_postcode(represent_body("K1P5G4"), "K1P 5G4")
    return next(o for o in result.officials if o.elected_office == "MP")


@pytest.fixture
def demo(db):
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    return campaign, campaigns.letter_version(db, campaign, "en")


def request(db, demo, official, email="wei@example.org", token=None, **changes):
    campaign, template = demo
    letter = dict(
        subject="Your policy towards Beijing",
        body="Dear MP,\n\nPlease answer.\n\nWei Chen\nK1P 5G4",
        name="Wei Chen",
    )
    letter.update({k: changes.pop(k) for k in ("subject", "body", "name") if k in changes})
    values = dict(
        postcode="K1P 5G4",
        letter=delivery.LetterText(**letter),
        supporter_email=email,
        token=token or actions.new_token(),
    )
    values.update(changes)
    return delivery.request_delivery(db, RULES, campaign, template, official, **values)


def sender_for(smtp, app) -> delivery.Sender:
    config = {**app.config, "SMTP_URL": smtp.url, "MAIL_FROM": "letters@advocacy.example"}
    return delivery.sender_from_config(config)


def count_actions(db) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count(ContactAction.id)))


def test_nothing_is_counted_or_sent_before_confirmation(db, demo, mp, smtp, app):
    request(db, demo, mp)
    report = delivery.process_queue(db, sender_for(smtp, app), lambda d: "url")
    assert report.sent == 0 and smtp.inbox.messages == [] and count_actions(db) == 0


def test_confirmed_letters_are_sent_from_our_domain_with_reply_to_the_supporter(
    db, demo, mp, smtp, app
):
    row = request(db, demo, mp)
    confirmed = delivery.confirm(db, RULES, demo[0], row.id)
    delivery.confirm(db, RULES, demo[0], row.id)  # the link used twice
    assert confirmed.status == "queued" and count_actions(db) == 1
    report = delivery.process_queue(db, sender_for(smtp, app), lambda d: "url")
    assert report.sent == 1
    [received] = smtp.inbox.messages
    message = received.message
    assert message["From"] == "Advocacy <letters@advocacy.example>"
    assert message["To"] == "Alexandra Placeholder <alexandra.placeholder@parl.gc.ca>"
    assert message["Reply-To"] == "Wei Chen <wei@example.org>"
    assert received.recipients == ["alexandra.placeholder@parl.gc.ca", "wei@example.org"]
    assert (
        received.envelope_from.startswith("bounces+") and "Please answer." in message.get_content()
    )
    sent = delivery.get(db, row.id)
    assert sent.status == "sent" and sent.supporter_email == "" and sent.supporter_name == ""
    with db.reader() as session:
        action = session.scalar(select(ContactAction))
    assert (action.method, action.official_name, action.postcode_prefix) == (
        "email",
        "Alexandra Placeholder",
        "K1P",
    )


def test_a_temporary_failure_is_retried_later(db, demo, mp, smtp, app):
    smtp.inbox.refuse = {"alexandra.placeholder@parl.gc.ca": "451 try again later"}
    row = request(db, demo, mp)
    delivery.confirm(db, RULES, demo[0], row.id)
    report = delivery.process_queue(db, sender_for(smtp, app), lambda d: "url")
    assert report.retrying == 1
    waiting = delivery.get(db, row.id)
    assert waiting.status == "queued" and waiting.attempts == 1
    assert waiting.next_attempt_at > datetime.now(UTC)
    # Not due yet: nothing happens; once due, it goes.
    assert delivery.process_queue(db, sender_for(smtp, app), lambda d: "url").retrying == 0
    smtp.inbox.refuse = {}
    with db.write() as session:
        session.get(Delivery, row.id).next_attempt_at = datetime.now(UTC)
    assert delivery.process_queue(db, sender_for(smtp, app), lambda d: "url").sent == 1


def test_a_refused_address_fails_and_the_supporter_is_told(db, demo, mp, smtp, app):
    smtp.inbox.refuse = {"alexandra.placeholder@parl.gc.ca": "550 no such user"}
    row = request(db, demo, mp)
    delivery.confirm(db, RULES, demo[0], row.id)
    with app.app_context():  # the notice's text is a template (the deliver command has one)
        report = delivery.process_queue(
            db, sender_for(smtp, app), lambda d: f"https://advocacy.example/letters/{d.id}"
        )
    assert report.failed == 1
    failed = delivery.get(db, row.id)
    assert failed.status == "failed" and failed.supporter_email == ""
    # Kept a while for the "send it yourself" page, but only sealed: the key is in the link.
    assert failed.sealed and (failed.body, failed.subject, failed.seal_key) == ("", "", "")
    copy, notice = smtp.inbox.messages  # the supporter's copy went; the official's did not
    assert copy.recipients == ["wei@example.org"]
    assert notice.recipients == ["wei@example.org"]
    assert notice.message["Subject"] == "Your letter could not be delivered"
    assert f"https://advocacy.example/letters/{row.id}" in notice.message.get_content()


def test_the_same_address_cannot_send_twice_to_one_official(db, demo, mp):
    first = request(db, demo, mp)
    delivery.confirm(db, RULES, demo[0], first.id)
    with pytest.raises(delivery.AlreadySent):
        request(db, demo, mp, email="WEI@example.org")
    with db.reader() as session:
        stored = session.scalars(select(Delivery.email_hmac)).all()
    assert all("wei" not in value for value in stored)


def test_the_same_form_token_gives_the_same_request(db, demo, mp):
    token = actions.new_token()
    assert request(db, demo, mp, token=token).id == request(db, demo, mp, token=token).id


def test_a_late_confirmation_is_refused_and_unconfirmed_requests_are_purged(db, demo, mp):
    row = request(db, demo, mp)
    with db.write() as session:
        session.get(Delivery, row.id).created_at = datetime.now(UTC) - timedelta(days=2)
    with pytest.raises(delivery.Expired):
        delivery.confirm(db, RULES, demo[0], row.id)
    assert delivery.purge(db, TTL, timedelta(days=3)) == 1
    assert delivery.get(db, row.id) is None  # and the address with it
    assert count_actions(db) == 0


def test_letter_text_is_cleared_after_a_few_days(db, demo, mp, smtp, app):
    row = request(db, demo, mp)
    delivery.confirm(db, RULES, demo[0], row.id)
    delivery.process_queue(db, sender_for(smtp, app), lambda d: "url")
    with db.write() as session:
        session.get(Delivery, row.id).sent_at = datetime.now(UTC) - timedelta(days=4)
    delivery.purge(db, TTL, timedelta(days=3))
    cleared = delivery.get(db, row.id)
    assert (cleared.subject, cleared.body, cleared.status) == ("", "", "sent")
    assert (cleared.sealed, cleared.seal_key) == ("", "")


@pytest.mark.parametrize("header", ["header injection\r\nBcc: x@example.org"])
def test_supporter_input_cannot_reach_a_header(db, demo, mp, header):
    from advocacy.mail import HeaderInjection

    with pytest.raises(HeaderInjection):
        request(db, demo, mp, subject=header)
    with pytest.raises(HeaderInjection):
        request(db, demo, mp, name=header)


# -- the commands -------------------------------------------------------------------------------


def test_deliver_command_sends_and_reports(app, db, demo, mp, smtp, runner):
    row = request(db, demo, mp)
    delivery.confirm(db, RULES, demo[0], row.id)
    app.config.update(SMTP_URL=smtp.url, MAIL_FROM="letters@advocacy.example")
    result = runner.invoke(args=["deliver"])
    assert result.exit_code == 0, result.output
    assert "sent 1, retrying 0, failed 0" in result.output
    # The letter, then the supporter's notice with its status link (issue 14).
    assert len(smtp.inbox.messages) == 2


def test_deliver_command_without_smtp_says_so(runner):
    result = runner.invoke(args=["deliver"])
    assert result.exit_code != 0 and "ADVOCACY_SMTP_URL" in result.output


def test_bounce_command_marks_the_letter(app, db, demo, mp, smtp, runner):
    row = request(db, demo, mp)
    delivery.confirm(db, RULES, demo[0], row.id)
    app.config.update(SMTP_URL=smtp.url, MAIL_FROM="letters@advocacy.example")
    runner.invoke(args=["deliver"])
    verp = smtp.inbox.messages[0].envelope_from
    bounce = (
        f"Delivered-To: {verp}\r\nFrom: MAILER-DAEMON@parl.gc.ca\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n\r\n550 no such user\r\n"
    )
    result = runner.invoke(args=["bounce"], input=bounce.encode())
    assert result.exit_code == 0, result.output
    assert delivery.get(db, row.id).status == "bounced"
    forged = bounce.replace(verp.split("+")[1].split("@")[0], f"{row.id}.000000000000")
    result = runner.invoke(args=["bounce"], input=forged.encode())
    assert result.exit_code != 0
    assert message_from_bytes(bounce.encode())["Delivered-To"] == verp

"""mailto: links as RFC 6068 asks; emails built safely and sent through real SMTP."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy import mail
from advocacy.mail import fits_mailto, mailto_link

from .smtp import SmtpServer


def test_spaces_and_line_breaks_are_percent_encoded():
    link = mailto_link("mp@parl.gc.ca", "A question", "Dear MP,\nWhy?\r\nThanks & bye")
    assert link == (
        "mailto:mp@parl.gc.ca?subject=A%20question"
        "&body=Dear%20MP%2C%0D%0AWhy%3F%0D%0AThanks%20%26%20bye"
    )


def test_without_a_body_only_address_and_subject():
    assert mailto_link("mp@parl.gc.ca", "Hi") == "mailto:mp@parl.gc.ca?subject=Hi"


@given(st.text(), st.text())
def test_any_text_round_trips_and_never_breaks_the_link(subject, body):
    link = mailto_link("a@b.ca", subject, body)
    assert not any(c in link for c in " +\r\n#")
    query = link.split("?", 1)[1]
    parts = dict(part.split("=", 1) for part in query.split("&"))
    assert unquote(parts["subject"]) == subject
    expected = "\r\n".join(body.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    assert unquote(parts.get("body", "")) == expected


def test_length_limit():
    assert fits_mailto("x" * 1600, 1600)
    assert not fits_mailto("x" * 1601, 1600)


# -- header injection ---------------------------------------------------------------------------

LETTER = mail.Letter(
    to_name="Alexandra Placeholder",
    to_address="mp@parl.gc.ca",
    subject="Your policy towards Beijing",
    body="Dear MP,\n\nA question.",
    reply_to="wei@example.org",
    supporter_name="Wei Chen",
)


def build(letter: mail.Letter):
    return mail.build_letter_message(
        letter,
        "letters@advocacy.example",
        "Advocacy",
        "bounces+1.abc@advocacy.example",
        "advocacy.example",
    )


@pytest.mark.parametrize(
    "evil",
    [
        "Hi\r\nBcc: victim@example.org",
        "Hi\nBcc: victim@example.org",
        "Hi\rBcc: x@example.org",
        "Hi\x85Bcc: x@example.org",
        "Hi\u2028Bcc: x@example.org",
        "Hi\u2029Bcc: x@example.org",
        "=?utf-8?q?Hi=0D=0ABcc:_x@example.org?=",
        "=?UTF-8?B?SGkNCkJjYzogeEBleGFtcGxlLm9yZw==?=",
        "Hi\x00there",
    ],
)
@pytest.mark.parametrize("field", ["subject", "supporter_name", "to_name"])
def test_line_breaks_and_encoded_words_are_refused_in_headers(evil, field):
    with pytest.raises(mail.HeaderInjection):
        build(mail.Letter(**{**LETTER.__dict__, field: evil}))


@pytest.mark.parametrize(
    "address",
    ["wei@example.org\r\nBcc: x@example.org", "wei@example.org, x@example.org", "not an address"],
)
def test_a_bad_reply_to_is_refused(address):
    with pytest.raises(ValueError):
        build(mail.Letter(**{**LETTER.__dict__, "reply_to": address}))


HEADERS = {
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Message-ID",
    "Return-Path",
    "Auto-Submitted",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
}


@settings(max_examples=300)
@given(subject=st.text(max_size=200), name=st.text(max_size=60), body=st.text(max_size=500))
def test_no_input_ever_adds_a_header(subject, name, body):
    letter = mail.Letter(
        **{**LETTER.__dict__, "subject": subject, "supporter_name": name, "body": body}
    )
    try:
        message = build(letter)
    except (mail.HeaderInjection, ValueError):
        return
    from email import message_from_bytes, policy

    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert set(parsed.keys()) <= HEADERS
    assert len(parsed.get_all("To")) == 1 and len(parsed.get_all("Cc")) == 1
    assert parsed.get_all("Bcc") is None
    assert parsed["To"].addresses[0].addr_spec == "mp@parl.gc.ca"


def test_the_letter_comes_from_our_domain_and_replies_go_to_the_supporter():
    message = build(LETTER)
    assert message["From"] == "Advocacy <letters@advocacy.example>"
    assert message["Reply-To"] == "Wei Chen <wei@example.org>"
    assert message["Cc"] == "Wei Chen <wei@example.org>"
    assert message["Message-ID"].endswith("@advocacy.example>")


def test_a_keyed_hash_of_an_address_is_not_a_plain_hash():
    import hashlib

    keyed = mail.email_hmac("Wei@Example.org", b"pepper")
    assert keyed == mail.email_hmac(" wei@example.org ", b"pepper")
    assert keyed != mail.email_hmac("wei@example.org", b"another pepper")
    assert keyed != hashlib.sha256(b"wei@example.org").hexdigest()


# -- SMTP ---------------------------------------------------------------------------------------


def test_a_letter_goes_through_a_real_smtp_server():
    with SmtpServer() as server:
        settings_ = mail.SmtpSettings.from_url(server.url, timeout=5)
        refused = mail.send(
            settings_,
            build(LETTER),
            "bounces+1.abc@advocacy.example",
            ["mp@parl.gc.ca", "wei@example.org"],
        )
        assert refused == {}
    [received] = server.inbox.messages
    assert received.envelope_from == "bounces+1.abc@advocacy.example"
    assert received.recipients == ["mp@parl.gc.ca", "wei@example.org"]
    assert received.message["Subject"] == "Your policy towards Beijing"
    assert received.message.get_content().replace("\r\n", "\n").strip() == "Dear MP,\n\nA question."


def test_smtp_refusals_say_whether_to_retry():
    with SmtpServer() as server:
        server.inbox.refuse = {
            "mp@parl.gc.ca": "550 no such user",
            "busy@parl.gc.ca": "451 try again later",
        }
        settings_ = mail.SmtpSettings.from_url(server.url, timeout=5)
        with pytest.raises(mail.SmtpError) as caught:
            mail.send(settings_, build(LETTER), "b@advocacy.example", ["mp@parl.gc.ca"])
        assert caught.value.permanent
        with pytest.raises(mail.SmtpError) as caught:
            mail.send(settings_, build(LETTER), "b@advocacy.example", ["busy@parl.gc.ca"])
        assert not caught.value.permanent


def test_an_unreachable_server_is_a_temporary_failure():
    from .smtp import free_port

    settings_ = mail.SmtpSettings.from_url(f"smtp://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(mail.SmtpError) as caught:
        mail.send(settings_, build(LETTER), "b@advocacy.example", ["mp@parl.gc.ca"])
    assert not caught.value.permanent


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example:2525", ("mail.example", 2525, "none", "")),
        ("smtp+starttls://me%40x:p%2Fw@mail.example", ("mail.example", 587, "starttls", "me@x")),
        ("smtps://mail.example", ("mail.example", 465, "tls", "")),
    ],
)
def test_smtp_urls(url, expected):
    settings_ = mail.SmtpSettings.from_url(url)
    assert (settings_.host, settings_.port, settings_.security, settings_.username) == expected


def test_a_bad_smtp_url_is_refused():
    with pytest.raises(ValueError, match="ADVOCACY_SMTP_URL"):
        mail.SmtpSettings.from_url("http://mail.example")

"""The status page of a letter sent by email (issue 14): its own address as text to keep, and,
after a bounce, the official's address as text, not only inside the mailto: link."""

from __future__ import annotations

import re
from html import unescape

import pytest

from .smtp import SmtpServer
from .test_delivery_pages import make_app
from .test_delivery_sealed import OFFICIAL, bounce, confirmed_letter


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def test_the_status_page_shows_its_address_then_after_a_bounce_the_officials(
    tmp_path, smtp, represent
):
    app = make_app(tmp_path, smtp, represent)
    status_url = confirmed_letter(app, smtp)
    client = app.test_client()
    waiting = unescape(client.get(status_url).get_data(as_text=True))
    shown = re.search(r'id="status-address"[^>]*value="([^"]+)"', waiting)
    assert shown and shown.group(1).endswith(status_url)

    app.test_cli_runner().invoke(args=["deliver"])
    bounce(app, smtp)
    returned = unescape(client.get(status_url).get_data(as_text=True))
    assert f'<strong class="address" id="official-address">{OFFICIAL}</strong>' in returned
    assert "Nothing opened, or you write from webmail" in returned


def test_a_bounced_letter_reaches_its_writer_through_the_link_they_were_sent(
    tmp_path, smtp, represent
):
    app = make_app(tmp_path, smtp, represent)
    confirmed_letter(app, smtp)
    app.test_cli_runner().invoke(args=["deliver"])
    notice = smtp.inbox.messages[-1]
    assert "wei@example.org" in notice.recipients and OFFICIAL not in notice.recipients
    text = notice.message.get_content()
    link = re.search(r"https://advocacy\.example(/letters/\S+)", text).group(1)

    bounce(app, smtp)  # the office's server returns it; the supporter's address is long gone
    page = unescape(app.test_client().get(link).get_data(as_text=True))
    assert "returned it" in page and "Open it in my email" in page
    assert "I would be grateful for a written reply." in page  # the letter itself

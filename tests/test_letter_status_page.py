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

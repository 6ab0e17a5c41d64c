"""mailto: links as RFC 6068 asks."""

from __future__ import annotations

from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from advocacy.mail import fits_mailto, mailto_link


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

"""Small helpers for tests that walk the supporter's path through the test client."""

from __future__ import annotations

import re
from html import unescape

from .conftest import DEMO_SLUG


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, f"no hidden field {name} in the page"
    return unescape(match.group(1))


def field_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no field {name} in the page"
    return unescape(match.group(1))


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name} in the page"
    return unescape(match.group(1))


def write_links(html: str) -> list[str]:
    return re.findall(r'href="(/c/[^/]+/write/[0-9a-f]+)"', html)


def lookup(client, postcode: str, slug: str = DEMO_SLUG, follow: bool = True):
    page = client.get(f"/c/{slug}/").get_data(as_text=True)
    return client.post(
        f"/c/{slug}/lookup",
        data={"csrf_token": csrf_token(page), "postcode": postcode},
        follow_redirects=follow,
    )


def letter_form_data(html: str, **changes) -> dict:
    data = {
        "csrf_token": csrf_token(html),
        "subject": field_value(html, "subject"),
        "body": textarea(html, "body"),
        "postcode": hidden(html, "postcode"),
        "token": hidden(html, "token"),
        "template_id": hidden(html, "template_id"),
        "started": hidden(html, "started"),
        "name": "",
        "city": "",
        "show_postcode": "full",
    }
    data.update(changes)
    return data

"""Sending letters. For now: ``mailto:`` links built as RFC 6068 asks."""

from __future__ import annotations

from urllib.parse import quote


def mailto_link(to: str, subject: str, body: str = "") -> str:
    """A ``mailto:`` URI: every reserved character percent-encoded (``%20``, never ``+``),
    line breaks as ``%0D%0A``. Without a body, only the address and subject."""
    address = quote(to.strip(), safe="@")
    link = f"mailto:{address}?subject={quote(subject, safe='')}"
    if body:
        crlf = "\r\n".join(body.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        link += f"&body={quote(crlf, safe='')}"
    return link


def fits_mailto(link: str, limit: int) -> bool:
    """Whether a link is short enough that common mail clients will not cut it."""
    return len(link) <= limit

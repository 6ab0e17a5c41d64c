"""Organizer-written Markdown rendered safely: no raw HTML, no images (which would make
supporters' browsers contact other sites), only http(s) and mailto links."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable(["image", "html_block", "html_inline"])
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _validate_link(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(_SAFE_SCHEMES) or url.startswith(("/", "#"))


_md.validateLink = _validate_link


def render_markdown(text: str) -> Markup:
    """HTML for organizer Markdown; safe to put in a page as it is."""
    return Markup(_md.render(text or ""))  # noqa: S704 - raw HTML is disabled above

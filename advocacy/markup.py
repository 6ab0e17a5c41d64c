"""Organizer-written Markdown rendered safely: no raw HTML, no images (which would make
supporters' browsers contact other sites), only http(s) and mailto links.

markdown-it is imported when the first Markdown is rendered, not when the app starts: a
server worker that never shows a campaign's page never loads it (issue 13, memory). Its
presence is still checked by create_app (LAZY_IMPORTS), so a broken install fails at start.
"""

from __future__ import annotations

import threading
from typing import Any

from markupsafe import Markup

_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_parser: Any = None
_parser_lock = threading.Lock()


def _validate_link(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(_SAFE_SCHEMES) or url.startswith(("/", "#"))


def _markdown() -> Any:
    """The one parser, built on first use."""
    global _parser
    if _parser is None:
        with _parser_lock:
            if _parser is None:
                from markdown_it import MarkdownIt

                md = MarkdownIt(
                    "commonmark", {"html": False, "linkify": False, "typographer": False}
                )
                md.disable(["image", "html_block", "html_inline"])
                md.validateLink = _validate_link
                _parser = md
    return _parser


def render_markdown(text: str) -> Markup:
    """HTML for organizer Markdown; safe to put in a page as it is."""
    return Markup(_markdown().render(text or ""))  # noqa: S704 - raw HTML is disabled above

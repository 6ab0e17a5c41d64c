"""Every supporter-facing string is marked for translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).parent.parent / "advocacy" / "templates").rglob("*.html"))


def bare_text(source: str) -> list[str]:
    """Words left in a page template once Jinja tags, comments and HTML tags are removed."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    return [w for w in source.split() if re.search(r"[^\W\d_]{2,}", w)]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_untranslated_text(template):
    assert bare_text(template.read_text(encoding="utf-8")) == []


def test_the_check_finds_bare_text():
    assert bare_text("<p>Hello {{ _('x') }}</p>") == ["Hello"]

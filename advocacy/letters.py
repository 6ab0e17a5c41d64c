"""Organizer letter templates: parsing the shipped files, and sandboxed plain-text rendering.

Templates are untrusted input. They render in Jinja's ImmutableSandboxedEnvironment, with only
the documented merge fields in the context, autoescape off (the letters are plain text), and
undefined names refused rather than rendered empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .civic.officials import Official

TEMPLATE_MAX = 20 * 1024  # bytes of template source
EDITING_MODES = ("free", "blocks")

_env = ImmutableSandboxedEnvironment(
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


class LetterError(ValueError):
    """A template that cannot be rendered, with a message an organizer can act on."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


@dataclass(frozen=True)
class LetterFile:
    """A letter template as shipped in letter_templates/: a header, a blank line, the body."""

    subject: str
    language: str
    body: str
    name: str = ""
    applies_to: tuple[str, ...] = ()  # levels or offices; empty: every official
    editing: str = "free"  # "free" or "blocks"


def parse_letter_file(text: str) -> LetterFile:
    """Read the header lines (``Subject:``, and optionally ``Language:``, ``Name:``, ``For:``
    levels or offices, ``Editing: free|blocks``), then the body after a blank line."""
    header, sep, body = text.replace("\r\n", "\n").partition("\n\n")
    if not sep:
        raise LetterError("a letter file needs header lines, a blank line, then the body")
    fields: dict[str, str] = {}
    for number, line in enumerate(header.splitlines(), start=1):
        name, colon, value = line.partition(":")
        if not colon:
            raise LetterError(f"header line is not 'Name: value': {line!r}", number)
        fields[name.strip().lower()] = value.strip()
    if not fields.get("subject"):
        raise LetterError("the header has no Subject: line")
    editing = fields.get("editing", "free").lower()
    if editing not in EDITING_MODES:
        raise LetterError(f"Editing: must be one of {', '.join(EDITING_MODES)}")
    applies_to = tuple(part.strip() for part in fields.get("for", "").split(",") if part.strip())
    return LetterFile(
        subject=fields["subject"],
        language=fields.get("language", "en"),
        body=body.strip("\n"),
        name=fields.get("name", ""),
        applies_to=applies_to,
        editing=editing,
    )


def load_letter_file(path: Path) -> LetterFile:
    return parse_letter_file(path.read_text(encoding="utf-8"))


def official_fields(official: Official) -> dict[str, str]:
    """The merge fields an organizer may use about the official."""
    return {
        "name": official.name,
        "office": official.elected_office,
        "district": official.district_name,
        "party": official.party,
        "level": official.level,
    }


def render_text(source: str, context: dict[str, Any]) -> str:
    """Render one template source in the sandbox."""
    if len(source.encode("utf-8")) > TEMPLATE_MAX:
        raise LetterError(f"the template is longer than {TEMPLATE_MAX // 1024} KB")
    try:
        return _env.from_string(source).render(context)
    except TemplateError as exc:
        raise LetterError(
            exc.message or exc.__class__.__name__, getattr(exc, "lineno", None)
        ) from exc


def render_letter(
    subject: str,
    body: str,
    official: Official,
    campaign_title: str,
    today: str,
    supporter: dict[str, str] | None = None,
) -> Letter:
    """The letter for one official, rendered from a campaign's template."""
    context = {
        "official": official_fields(official),
        "supporter": {"name": "", "city": "", "postcode": "", **(supporter or {})},
        "campaign": {"title": campaign_title},
        "today": today,
    }
    return Letter(
        subject=" ".join(render_text(subject, context).split()),
        body=render_text(body, context).strip("\n"),
    )


def signature(name: str, city: str, postcode: str) -> str:
    """The lines that end every letter, so an office can see the writer is a constituent."""
    place = " ".join(part for part in (city.strip(), postcode.strip()) if part)
    return "\n".join(part for part in (name.strip(), place) if part)


def sign(body: str, name: str, city: str, postcode: str) -> str:
    """The body with the supporter's signature after it."""
    lines = signature(name, city, postcode)
    return f"{body.rstrip()}\n\n{lines}" if lines else body.rstrip()

"""How the organizer pages show times and authors: one unambiguous format, with its zone."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _

from ... import campaigns, letters
from ...db import database
from . import bp

# Shipped campaign files record this as the author of their first versions.
SHIPPED_AUTHOR = "letter_templates/"


@bp.app_template_filter("utc")
def utc(moment: datetime | None) -> str:
    """2026-11-26 13:24 UTC: the same everywhere, sortable, never read as month/day."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # stored times are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@bp.app_template_filter("author")
def author(created_by: str | None) -> str:
    """Who saved a version, in words: an organizer's email, or the files shipped with the app."""
    if not created_by:
        return _("unknown")
    if created_by.startswith(SHIPPED_AUTHOR):
        return _("the campaign files shipped with the app")
    return created_by


@bp.app_template_global("unreachable_letters")
def unreachable_letters(letters: list) -> set[int]:
    """Letters for a group of officials that no official ever gets: a letter for everyone in
    the same language comes first (letters are tried by order, then by creation)."""
    unreachable: set[int] = set()
    ordered = sorted(letters, key=lambda letter: (letter.position, letter.id))
    for index, letter in enumerate(ordered):
        if not letter.applies_to:
            continue
        if any(
            not earlier.applies_to and earlier.language == letter.language
            for earlier in ordered[:index]
        ):
            unreachable.add(letter.id)
    return unreachable


@bp.app_template_global("editable_blocks")
def editable_blocks(letter) -> int | None:
    """How many editable blocks the letter's newest version has (None: no version yet, or a
    text that no longer parses), so the settings page can warn before "blocks" locks it all."""
    version = campaigns.newest_version(database(), letter)
    if version is None:
        return None
    try:
        return sum(segment.editable for segment in letters.split_blocks(version.body))
    except letters.LetterError:
        return None

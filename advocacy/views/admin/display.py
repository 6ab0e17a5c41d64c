"""How the organizer pages show times and authors: one unambiguous format, with its zone."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _

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

"""The organizers' letter editor: a campaign's letters, their settings, and their immutable
versions (save, restore, history with diffs). The views under /admin stay thin.

A version is never changed once saved: editing the text saves a new one, and restoring an old
one saves a copy of it as the newest. Contact actions point at the version they were sent
with, so old versions stay readable forever.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import letters
from .campaigns import SAMPLE_OFFICIAL
from .civic.officials import Official
from .constants import EditingMode
from .db import Database
from .models import Campaign, Letter, LetterVersion

# Who the sample letter is from, in previews and in the check made at every save.
SAMPLE_SUPPORTER = {"name": "Sam Supporter", "city": "Ottawa"}
SETTINGS = ("language", "name", "applies_to", "position", "editing")


class InvalidLetter(ValueError):
    """A letter's text refused at save time; ``problems`` by field ("subject", "body")."""

    def __init__(self, problems: dict[str, letters.LetterError]) -> None:
        super().__init__("; ".join(f"{field}: {exc}" for field, exc in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Limits:
    """How long a rendered letter may be (the app's LETTER_BODY_MAX and LETTER_SUBJECT_MAX)."""

    body_max: int = letters.RENDERED_MAX
    subject_max: int = letters.SUBJECT_MAX


@dataclass(frozen=True)
class LetterRow:
    letter: Letter
    current: LetterVersion | None


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "hunk" or "same"
    text: str


@dataclass(frozen=True)
class VersionRow:
    version: LetterVersion
    diff: list[DiffLine]  # against the version before it; empty for the first
    newest: bool


# -- Reading ----------------------------------------------------------------------------------


def letter_rows(db: Database, campaign: Campaign) -> list[LetterRow]:
    """The campaign's letters in the order they are matched, each with its newest version."""
    with db.reader() as session:
        rows = session.scalars(
            select(Letter)
            .where(Letter.campaign_id == campaign.id)
            .order_by(Letter.position, Letter.id)
        ).all()
        newest = {
            version.letter_id: version
            for version in session.scalars(
                select(LetterVersion)
                .where(LetterVersion.campaign_id == campaign.id)
                .order_by(LetterVersion.version)
            )
        }
    return [LetterRow(letter, newest.get(letter.id)) for letter in rows]


def get_letter(db: Database, campaign: Campaign, letter_id: int) -> Letter | None:
    """The letter, if it is one of this campaign's."""
    with db.reader() as session:
        letter = session.get(Letter, letter_id)
    return letter if letter is not None and letter.campaign_id == campaign.id else None


def versions(db: Database, letter: Letter) -> list[LetterVersion]:
    """Every version of the letter, oldest first."""
    with db.reader() as session:
        return list(
            session.scalars(
                select(LetterVersion)
                .where(LetterVersion.letter_id == letter.id)
                .order_by(LetterVersion.version)
            )
        )


def next_position(db: Database, campaign: Campaign) -> int:
    """A position after the campaign's existing letters (a new letter is matched last)."""
    with db.reader() as session:
        highest = session.scalar(
            select(func.max(Letter.position)).where(Letter.campaign_id == campaign.id)
        )
    return 0 if highest is None else highest + 1


# -- Checking ---------------------------------------------------------------------------------


def check_text(
    subject: str, body: str, campaign_title: str, today: str, limits: Limits = Limits()
) -> None:
    """Refuse (InvalidLetter) a subject or body outside the whitelist, or one that does not
    fit the limits once rendered for the sample official."""
    problems = letters.validate_letter(subject, body)
    if "subject" not in problems:
        try:
            letters.render_parts(
                subject,
                "",
                SAMPLE_OFFICIAL,
                campaign_title,
                today,
                SAMPLE_SUPPORTER,
                subject_max=limits.subject_max,
            )
        except letters.LetterError as exc:
            problems["subject"] = exc
    if "body" not in problems:
        try:
            letters.render_parts(
                "",
                body,
                SAMPLE_OFFICIAL,
                campaign_title,
                today,
                SAMPLE_SUPPORTER,
                body_max=limits.body_max,
            )
        except letters.LetterError as exc:
            problems["body"] = exc
    if problems:
        raise InvalidLetter(problems)


# -- Writing ----------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def create_letter(
    db: Database,
    campaign: Campaign,
    settings: dict,
    subject: str,
    body: str,
    created_by: str,
    today: str,
    limits: Limits = Limits(),
) -> tuple[Letter, LetterVersion]:
    """A new letter for the campaign with ``settings`` (see SETTINGS) and its first version."""
    subject, body = _clean(subject).strip(), _clean(body)
    check_text(subject, body, campaign.title, today, limits)
    with db.write() as session:
        letter = Letter(campaign_id=campaign.id, **_settings(settings))
        session.add(letter)
        session.flush()
        version = LetterVersion(
            letter_id=letter.id,
            campaign_id=campaign.id,
            language=letter.language,
            version=1,
            subject=subject,
            body=body,
            created_by=created_by,
            editing=letter.editing,
        )
        session.add(version)
        session.flush()
        return letter, version


def save_settings(db: Database, letter: Letter, settings: dict) -> Letter:
    """Change a letter's language, name, target group, position or editing mode (its text,
    kept in versions, is left as it is)."""
    with db.write() as session:
        stored = session.get(Letter, letter.id)
        if stored is None:
            raise LookupError(letter.id)
        for name, value in _settings(settings).items():
            setattr(stored, name, value)
        session.flush()
        return stored


def _settings(settings: dict) -> dict:
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown letter settings: {sorted(unknown)}")
    if settings.get("editing", EditingMode.FREE) not in letters.EDITING_MODES:
        raise ValueError(f"editing must be one of {letters.EDITING_MODES}")
    return dict(settings)


def save_version(
    db: Database,
    campaign: Campaign,
    letter: Letter,
    subject: str,
    body: str,
    created_by: str,
    today: str,
    limits: Limits = Limits(),
    editing: str | None = None,
) -> LetterVersion:
    """Save the text as the letter's newest version (checked first: InvalidLetter), with the
    letter's editing mode; ``editing`` (a restored version's) sets the letter's mode too."""
    subject, body = _clean(subject).strip(), _clean(body)
    check_text(subject, body, campaign.title, today, limits)
    for attempt in (1, 2):
        try:
            with db.write() as session:
                stored = session.get(Letter, letter.id)
                if stored is None or stored.campaign_id != campaign.id:
                    raise LookupError(letter.id)
                # SQLite serialises writers (BEGIN IMMEDIATE); elsewhere two organizers
                # saving at once meet the unique (letter, version) constraint: try again.
                highest = session.scalar(
                    select(func.max(LetterVersion.version)).where(
                        LetterVersion.letter_id == letter.id
                    )
                )
                version = LetterVersion(
                    letter_id=letter.id,
                    campaign_id=campaign.id,
                    language=stored.language,
                    version=(highest or 0) + 1,
                    subject=subject,
                    body=body,
                    created_by=created_by,
                    editing=editing or stored.editing,
                )
                if editing:
                    stored.editing = editing
                session.add(version)
                session.flush()
                return version
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def restore_version(
    db: Database,
    campaign: Campaign,
    letter: Letter,
    template_id: int,
    created_by: str,
    today: str,
    limits: Limits = Limits(),
) -> LetterVersion:
    """Save a copy of an old version as the newest one (the old one stays as it was)."""
    with db.reader() as session:
        old = session.get(LetterVersion, template_id)
    if old is None or old.letter_id != letter.id:
        raise LookupError(template_id)
    return save_version(
        db, campaign, letter, old.subject, old.body, created_by, today, limits, old.editing
    )


# -- History ----------------------------------------------------------------------------------


def _as_lines(version: LetterVersion) -> list[str]:
    return [f"Subject: {version.subject}", "", *version.body.split("\n")]


def diff(old: LetterVersion, new: LetterVersion) -> list[DiffLine]:
    """What changed from ``old`` to ``new``, as unified-diff lines (text only: the page
    escapes it)."""
    lines = difflib.unified_diff(_as_lines(old), _as_lines(new), n=2, lineterm="")
    result = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        result.append(DiffLine(kind, line))
    return result


def history(db: Database, letter: Letter) -> list[VersionRow]:
    """Every version, newest first, each with its diff against the one before it."""
    found = versions(db, letter)
    rows = [
        VersionRow(version, diff(found[i - 1], version) if i else [], i == len(found) - 1)
        for i, version in enumerate(found)
    ]
    return list(reversed(rows))


# -- Preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """The unsaved text rendered for one official: the letter, or why it cannot be."""

    official: Official
    letter: letters.LetterParts | None
    error: str = ""


def preview(
    subject: str,
    body: str,
    campaign: Campaign,
    officials: list[Official],
    today: str,
    limits: Limits = Limits(),
) -> list[Preview]:
    """The text (not saved) rendered for the sample official, then for each of ``officials``
    (for instance those of a postal code the organizer typed)."""
    subject, body = _clean(subject).strip(), _clean(body)
    result = []
    for official in [SAMPLE_OFFICIAL, *officials]:
        try:
            letter = letters.render_parts(
                subject,
                body,
                official,
                campaign.title,
                today,
                SAMPLE_SUPPORTER,
                body_max=limits.body_max,
                subject_max=limits.subject_max,
            )
        except letters.LetterError as exc:
            result.append(Preview(official, None, str(exc)))
        else:
            result.append(Preview(official, letter))
    return result

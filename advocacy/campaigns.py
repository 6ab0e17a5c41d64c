"""Campaigns: finding them, choosing their letter, and loading the shipped ones."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from .civic import directory
from .civic.officials import LookupResult, Official
from .constants import CampaignStatus, TargetMode
from .db import Database
from .letters import LetterError, load_letter_file, render_parts
from .models import Campaign, ContactAction, CustomTarget, Letter, LetterVersion

STATUSES = tuple(CampaignStatus)
SAMPLE_OFFICIAL = Official(
    name="Alex Sample",
    elected_office="MP",
    level="federal",
    body="House of Commons",
    district_name="Ottawa Centre",
    party="Independent",
    source="sample",
)


class CampaignConflict(ValueError):
    """Another campaign already uses this slug."""


def get_campaign(db: Database, campaign_id: int) -> Campaign | None:
    with db.reader() as session:
        return session.get(Campaign, campaign_id)


def campaign_by_slug(db: Database, slug: str) -> Campaign | None:
    with db.reader() as session:
        return session.scalar(select(Campaign).where(Campaign.slug == slug))


def save_campaign(db: Database, campaign_id: int | None, fields: dict) -> Campaign:
    """Create a campaign (``campaign_id`` None) or update one with ``fields``."""
    with db.write() as session:
        clash = session.scalar(
            select(Campaign.id).where(Campaign.slug == fields["slug"], Campaign.id != campaign_id)
            if campaign_id is not None
            else select(Campaign.id).where(Campaign.slug == fields["slug"])
        )
        if clash is not None:
            raise CampaignConflict(fields["slug"])
        campaign = session.get(Campaign, campaign_id) if campaign_id is not None else Campaign()
        if campaign is None:
            raise LookupError(campaign_id)
        for name, value in fields.items():
            setattr(campaign, name, value)
        session.add(campaign)
        session.flush()
        return campaign


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    contacts: int


def overview(db: Database) -> list[CampaignRow]:
    """Every campaign with its number of contacts, newest first."""
    with db.reader() as session:
        counts = dict(
            session.execute(
                select(ContactAction.campaign_id, func.count(ContactAction.id)).group_by(
                    ContactAction.campaign_id
                )
            ).all()
        )
        rows = session.scalars(select(Campaign).order_by(Campaign.id.desc())).all()
    return [CampaignRow(c, counts.get(c.id, 0)) for c in rows]


def visible_campaign(db: Database, slug: str, organizer: bool) -> Campaign | None:
    """The campaign at this address if supporters may see it (live), or if an organizer
    previews it (draft or closed)."""
    campaign = campaign_by_slug(db, slug)
    if campaign is None or (campaign.status != CampaignStatus.LIVE and not organizer):
        return None
    return campaign


def live_campaigns(db: Database) -> list[Campaign]:
    with db.reader() as session:
        return list(
            session.scalars(
                select(Campaign).where(Campaign.status == CampaignStatus.LIVE).order_by(Campaign.id)
            )
        )


def live_campaign(db: Database, slug: str) -> Campaign | None:
    """The campaign with this slug, if supporters may act on it."""
    with db.reader() as session:
        return session.scalar(
            select(Campaign).where(Campaign.slug == slug, Campaign.status == CampaignStatus.LIVE)
        )


def letter_for(
    db: Database, campaign: Campaign, language: str, official: Official | None = None
) -> Letter | None:
    """The campaign's letter for this official: the first (by position) whose target group
    includes the official, in ``language`` if there is one, else in any language."""
    with db.reader() as session:
        letters = session.scalars(
            select(Letter)
            .where(Letter.campaign_id == campaign.id)
            .order_by(Letter.position, Letter.id)
        ).all()
    matching = [
        letter
        for letter in letters
        if official is None or letter.applies(official.level, official.elected_office)
    ]
    return next((x for x in matching if x.language == language), None) or next(iter(matching), None)


def newest_version(db: Database, letter: Letter) -> LetterVersion | None:
    """The letter's newest version, with ``.letter`` loaded (its editing mode)."""
    with db.reader() as session:
        return session.scalar(
            select(LetterVersion)
            .options(joinedload(LetterVersion.letter))
            .where(LetterVersion.letter_id == letter.id)
            .order_by(LetterVersion.version.desc())
        )


TARGET_MODES = tuple(TargetMode)


def is_targeted(campaign: Campaign, official: Official) -> bool:
    """Whether supporters may write to this official: custom targets always, provider
    officials when the campaign targets their office."""
    return official.source == directory.NAME or campaign.targets(official.elected_office)


def custom_targets(db: Database, campaign: Campaign) -> list[directory.TargetRow]:
    with db.reader() as session:
        rows = session.scalars(
            select(CustomTarget)
            .where(CustomTarget.campaign_id == campaign.id)
            .order_by(CustomTarget.id)
        ).all()
    return [
        directory.TargetRow(
            name=r.name,
            office=r.office,
            level=r.level,
            district=r.district,
            email=r.email,
            phone=r.phone,
            url=r.url,
            postcodes=tuple(r.postcodes),
        )
        for r in rows
    ]


def _target_model(campaign_id: int, row: directory.TargetRow) -> CustomTarget:
    return CustomTarget(
        campaign_id=campaign_id,
        name=row.name,
        office=row.office,
        level=row.level,
        district=row.district,
        email=row.email,
        phone=row.phone,
        url=row.url,
        postcodes=list(row.postcodes),
    )


def replace_targets(db: Database, campaign: Campaign, rows: list[directory.TargetRow]) -> None:
    """Make ``rows`` the campaign's custom targets, all at once."""
    with db.write() as session:
        session.execute(delete(CustomTarget).where(CustomTarget.campaign_id == campaign.id))
        for row in rows:
            session.add(_target_model(campaign.id, row))


@dataclass(frozen=True)
class OfficialChoice:
    """An official as shown to a supporter: whether they may write, and why not."""

    official: Official
    targeted: bool
    ambiguous: bool


def choices(campaign: Campaign, result: LookupResult) -> list[tuple[str, list[OfficialChoice]]]:
    """The lookup's officials by level, each marked as targeted by the campaign or not."""
    return [
        (
            level,
            [
                OfficialChoice(o, is_targeted(campaign, o), result.is_ambiguous(o))
                for o in officials
            ],
        )
        for level, officials in result.by_level()
    ]


def targeted(campaign: Campaign, result: LookupResult) -> list[Official]:
    return [o for o in result.officials if is_targeted(campaign, o)]


# -- Loading shipped campaigns from letter_templates/ -------------------------------------------


class CampaignFileError(ValueError):
    """A campaign folder in letter_templates/ that cannot be loaded."""


def load_campaign_dir(db: Database, folder: Path) -> tuple[Campaign, bool]:
    """Create the campaign described by ``folder/campaign.toml`` and its ``letter.*.txt`` files,
    unless a campaign with its slug exists. Returns the campaign and whether it was created."""
    try:
        meta = tomllib.loads((folder / "campaign.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CampaignFileError(f"{folder}/campaign.toml: {exc}") from exc
    for key in ("slug", "title", "target_offices"):
        if key not in meta:
            raise CampaignFileError(f"{folder}/campaign.toml: missing '{key}'")
    if meta.get("status", CampaignStatus.LIVE) not in STATUSES:
        raise CampaignFileError(f"{folder}/campaign.toml: status must be one of {STATUSES}")
    if meta.get("target_mode", TargetMode.PROVIDER) not in TARGET_MODES:
        raise CampaignFileError(
            f"{folder}/campaign.toml: target_mode must be one of {TARGET_MODES}"
        )
    targets: list[directory.TargetRow] = []
    if (folder / "targets.csv").is_file():
        try:
            targets = directory.parse_targets_csv(
                (folder / "targets.csv").read_bytes(), meta.get("country", "CA")
            )
        except directory.DirectoryError as exc:
            raise CampaignFileError(f"{folder}/targets.csv: {exc}") from exc
    texts = texts_from_toml(meta, f"{folder}/campaign.toml")
    letters = []
    for path in sorted(folder.glob("letter.*.txt")):
        try:
            letter = load_letter_file(path)
            # Refuse a template that would fail for supporters.
            render_parts(letter.subject, letter.body, SAMPLE_OFFICIAL, meta["title"], "today")
        except LetterError as exc:
            raise CampaignFileError(f"{path}: {exc}") from exc
        letters.append(letter)
    if not letters:
        raise CampaignFileError(f"{folder}: no letter.<language>.txt file")
    # Letters for a named group of officials come before the catch-all ones: the first
    # matching letter is used.
    letters.sort(key=lambda file: not file.applies_to)

    with db.write() as session:
        existing = session.scalar(select(Campaign).where(Campaign.slug == meta["slug"]))
        if existing is not None:
            return existing, False
        campaign = Campaign(
            slug=meta["slug"],
            title=meta["title"],
            introduction=meta.get("introduction", ""),
            country=meta.get("country", "CA"),
            provider=meta.get("provider", "represent"),
            target_offices=list(meta["target_offices"]),
            status=meta.get("status", CampaignStatus.LIVE),
            goal=meta.get("goal"),
            target_mode=meta.get("target_mode", TargetMode.PROVIDER),
            texts=texts,
        )
        session.add(campaign)
        session.flush()
        for position, file in enumerate(letters):
            letter = Letter(
                campaign_id=campaign.id,
                language=file.language,
                name=file.name,
                applies_to=list(file.applies_to),
                position=position,
                editing=file.editing,
            )
            session.add(letter)
            session.flush()
            session.add(
                LetterVersion(
                    letter_id=letter.id,
                    campaign_id=campaign.id,
                    language=file.language,
                    version=1,
                    subject=file.subject,
                    body=file.body,
                    created_by="letter_templates/",
                )
            )
        for row in targets:
            session.add(_target_model(campaign.id, row))
        return campaign, True


def load_campaigns(db: Database, root: Path) -> list[tuple[Campaign, bool]]:
    """Load every campaign folder under ``root``."""
    return [
        load_campaign_dir(db, folder)
        for folder in sorted(root.iterdir())
        if (folder / "campaign.toml").is_file()
    ]


# Ids outside a 64-bit signed integer cannot be in any table (SQLite raises OverflowError).
ID_MAX = 2**63 - 1


def letter_version(
    db: Database,
    campaign: Campaign,
    language: str,
    official: Official | None = None,
    version_id: int | None = None,
) -> LetterVersion | None:
    """The letter version an official gets: the one a form was rendered with
    (``version_id``), if it is a version of this campaign's letter for them; else the newest
    version of the letter for them (see letter_for). ``.letter`` is loaded: its editing mode
    decides which parts of a form the server takes."""
    if version_id is not None and 0 < version_id <= ID_MAX:
        with db.reader() as session:
            version = session.get(
                LetterVersion, version_id, options=[joinedload(LetterVersion.letter)]
            )
        if (
            version is not None
            and version.campaign_id == campaign.id
            and (
                official is None or version.letter.applies(official.level, official.elected_office)
            )
        ):
            return version
    letter = letter_for(db, campaign, language, official)
    return newest_version(db, letter) if letter is not None else None


# -- letter languages (issue 9) ---------------------------------------------------------------


def letter_languages(db: Database, campaign: Campaign, official: Official) -> list[str]:
    """The languages of the campaign's letters for this official, in the letters' order."""
    with db.reader() as session:
        letters = session.scalars(
            select(Letter)
            .where(Letter.campaign_id == campaign.id)
            .order_by(Letter.position, Letter.id)
        ).all()
    found = [x.language for x in letters if x.applies(official.level, official.elected_office)]
    return list(dict.fromkeys(found))


# -- a campaign's title and introduction in each language (issue 9) ---------------------------

TEXT_FIELDS = ("title", "introduction")


def campaign_text(campaign: Campaign, field: str, language: str | None) -> str:
    """The campaign's ``field`` ("title" or "introduction") in ``language`` ("fr", "zh-Hant"
    or Babel's "zh_Hant") where the organizer wrote one, else the campaign's own text."""
    own = getattr(campaign, field) or ""
    texts = getattr(campaign, "texts", None) or {}
    if not language or not isinstance(texts, dict):
        return own
    wanted = language.replace("_", "-").casefold()
    for code, values in texts.items():
        if str(code).casefold() == wanted and isinstance(values, dict):
            translated = values.get(field)
            if isinstance(translated, str) and translated.strip():
                return translated
    return own


def texts_from_toml(meta: dict, where: str) -> dict[str, dict[str, str]]:
    """The optional ``[texts.fr]`` / ``[texts."zh-Hant"]`` tables of a campaign.toml."""
    raw = meta.get("texts", {})
    if not isinstance(raw, dict):
        raise CampaignFileError(f"{where}: [texts] must hold one table per language")
    texts: dict[str, dict[str, str]] = {}
    for language, values in raw.items():
        if not isinstance(values, dict) or not set(values) <= set(TEXT_FIELDS):
            raise CampaignFileError(
                f"{where}: [texts.{language}] may hold only {', '.join(TEXT_FIELDS)}"
            )
        if not all(isinstance(value, str) for value in values.values()):
            raise CampaignFileError(f"{where}: [texts.{language}] values must be text")
        texts[language] = {key: value.strip() for key, value in values.items() if value.strip()}
    return texts

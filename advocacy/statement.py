"""The campaign's statement: its versions (Markdown, per language), signatures counted once
per person, where they were counted, and the personal data they may hold.

A signature holds no postal code (its first three characters only), no network address, and
no email unless the signer asked for updates. It is counted once per person: by a keyed hash
of the normalised email where one was given, else by a keyed hash of the browser's own random
id. A second signature from the same person changes nothing: they are told they signed on
that day already (see :class:`AlreadySigned`).

Signatures are counted here and only here (tallies.py and the reports read these counts).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import mail
from .civic.officials import Official
from .civic.postcodes import prefix
from .constants import SignatureDisplay
from .db import Database
from .models import Campaign, Signature, SignatureDistrict, Statement

DISPLAYS = tuple(SignatureDisplay)
STATEMENT_MAX = 20_000  # characters of Markdown
PUBLIC_LIST_MAX = 500  # listed signers shown on the campaign page, newest first
BY = ("district", "day", "source")
CSV_COLUMNS = (
    "time_utc",
    "statement_version",
    "language",
    "display",
    "listed",
    "name",
    "email",
    "postcode_prefix",
    "source",
    "districts",
)


class StatementError(ValueError):
    """A statement text that cannot be saved."""


class AlreadySigned(Exception):
    """This person (by email or by browser) signed this campaign's statement already; their
    first signature stands, unchanged."""

    def __init__(self, signed_at: datetime) -> None:
        super().__init__("already signed")
        self.signed_at = signed_at


# -- versions -------------------------------------------------------------------------------------


def current(db: Database, campaign: Campaign, language: str) -> Statement | None:
    """The newest version of the statement in ``language``; else in English; else in any
    language. None when the campaign has no statement."""
    with db.reader() as session:
        rows = session.scalars(
            select(Statement)
            .where(Statement.campaign_id == campaign.id)
            .order_by(Statement.version.desc(), Statement.id.desc())
        ).all()
    for wanted in (language, "en"):
        for row in rows:
            if row.language == wanted:
                return row
    return rows[0] if rows else None


def get_version(db: Database, campaign: Campaign, statement_id: int | None) -> Statement | None:
    if statement_id is None or not 0 < statement_id < 2**63:
        return None
    with db.reader() as session:
        row = session.get(Statement, statement_id)
    return row if row is not None and row.campaign_id == campaign.id else None


def versions(db: Database, campaign: Campaign) -> list[Statement]:
    """Every version, newest first."""
    with db.reader() as session:
        return list(
            session.scalars(
                select(Statement)
                .where(Statement.campaign_id == campaign.id)
                .order_by(Statement.language, Statement.version.desc())
            ).all()
        )


def save(
    db: Database,
    campaign: Campaign,
    language: str,
    body: str,
    *,
    allow_anonymous: bool,
    list_signers: bool,
    by: str | None,
) -> Statement:
    """A new version of the statement in ``language`` (versions are never changed)."""
    body = (body or "").strip()
    if not body:
        raise StatementError("the statement is empty")
    if len(body) > STATEMENT_MAX:
        raise StatementError(f"the statement is longer than {STATEMENT_MAX} characters")
    with db.write() as session:
        last = session.scalar(
            select(func.max(Statement.version)).where(
                Statement.campaign_id == campaign.id, Statement.language == language
            )
        )
        row = Statement(
            campaign_id=campaign.id,
            language=language,
            version=(last or 0) + 1,
            body=body,
            allow_anonymous=allow_anonymous,
            list_signers=list_signers,
            created_by=by,
        )
        session.add(row)
        session.flush()
        return row


def load_statement_dir(db: Database, campaign: Campaign, folder: Path) -> int:
    """Version 1 of ``folder/statement.<language>.md`` for a campaign that has no statement
    yet, with the rules in ``statement.toml`` (allow_anonymous, list_signers). Returns how
    many languages were loaded."""
    files = sorted(folder.glob("statement.*.md"))
    if not files or versions(db, campaign):
        return 0
    rules: dict[str, Any] = {}
    if (folder / "statement.toml").is_file():
        rules = tomllib.loads((folder / "statement.toml").read_text(encoding="utf-8"))
    for path in files:
        language = path.name[len("statement.") : -len(".md")]
        save(
            db,
            campaign,
            language,
            path.read_text(encoding="utf-8"),
            allow_anonymous=bool(rules.get("allow_anonymous", True)),
            list_signers=bool(rules.get("list_signers", False)),
            by="letter_templates/",
        )
    return len(files)


def load_statements(db: Database, root: Path) -> list[tuple[str, int]]:
    """The statements of the shipped campaign folders under ``root`` (see load_statement_dir),
    for campaigns that exist and have none: (slug, languages loaded) per folder."""
    loaded = []
    for folder in sorted(root.iterdir()):
        if not (folder / "campaign.toml").is_file():
            continue
        slug = tomllib.loads((folder / "campaign.toml").read_text(encoding="utf-8")).get("slug")
        with db.reader() as session:
            campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
        if campaign is not None:
            loaded.append((campaign.slug, load_statement_dir(db, campaign, folder)))
    return loaded


# -- signing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignerKeys:
    """Who is signing, as keyed hashes: by email where given, else by browser."""

    signer: str
    browser: str
    email_hmac: str  # "" without an email


def signer_keys(pepper: bytes, email: str, browser: str) -> SignerKeys:
    browser_key = hmac.new(pepper, f"browser:{browser}".encode(), hashlib.sha256).hexdigest()
    email_key = mail.email_hmac(email, pepper) if email.strip() else ""
    return SignerKeys(email_key or browser_key, browser_key, email_key)


def initials(name: str) -> str:
    """ "Jane van Doe" -> "J. v. D."; a name written without spaces (陳大文) -> its first letter."""
    return " ".join(f"{word[0]}." for word in name.split() if word)


def shown_as(display: SignatureDisplay, name: str, city: str) -> str:
    """How the signature reads in the list (and the organizers' export)."""
    name, city = " ".join(name.split()), " ".join(city.split())
    if display == SignatureDisplay.NAME:
        return name
    if display == SignatureDisplay.INITIALS:
        return ", ".join(part for part in (initials(name), city) if part)
    return ""


@dataclass(frozen=True)
class SignatureRequest:
    display: SignatureDisplay
    name: str
    city: str
    listed: bool
    email: str  # "" when none was given
    updates: bool  # consent to updates by email: only then is the address stored
    source: str


def counted_districts(officials: Iterable[Official], ambiguous) -> list[Official]:
    """One entry per district a signature counts in: the targeted officials, except offices
    for which the postal code names more than one candidate (we cannot tell which)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for official in officials:
        key = (official.elected_office, official.district_name, official.district_id)
        if ambiguous(official) or key in seen:
            continue
        seen.add(key)
        out.append(official)
    return out


def sign(
    db: Database,
    campaign: Campaign,
    version: Statement | None,
    request: SignatureRequest,
    keys: SignerKeys,
    postcode: str,
    districts: Sequence[Official],
) -> Signature:
    """Record a signature; AlreadySigned when this person (by email or browser) signed."""
    if request.display == SignatureDisplay.ANONYMOUS and version and not version.allow_anonymous:
        raise StatementError("anonymous signatures are not allowed")
    store_email = bool(request.updates and request.email.strip())
    with db.write() as session:
        earlier = session.scalar(
            select(Signature.created_at).where(
                Signature.campaign_id == campaign.id,
                or_(
                    Signature.signer_key == keys.signer,
                    Signature.browser_key == keys.browser,
                    *((Signature.email_hmac == keys.email_hmac,) if keys.email_hmac else ()),
                ),
            )
        )
        if earlier is not None:
            raise AlreadySigned(earlier)
        row = Signature(
            campaign_id=campaign.id,
            statement_id=version.id if version else None,
            signer_key=keys.signer,
            browser_key=keys.browser,
            display=request.display,
            shown_as=shown_as(request.display, request.name, request.city),
            listed=request.listed and request.display != SignatureDisplay.ANONYMOUS,
            email=mail.checked_address(request.email) if store_email else "",
            email_hmac=keys.email_hmac if store_email else "",
            postcode_prefix=prefix(postcode) if postcode else "",
            source=request.source,
        )
        for official in districts:
            row.districts.append(
                SignatureDistrict(
                    campaign_id=campaign.id,
                    official_name=official.name[:200],
                    official_office=official.elected_office[:100],
                    district_name=official.district_name[:200],
                    district_id=official.district_id[:100],
                    level=official.level[:20],
                )
            )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # the same person, at the same moment, from another page
            session.rollback()
            raise AlreadySigned(datetime.now(UTC)) from None
        return row


# -- confirming an address (double opt-in) --------------------------------------------------------


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def confirm_token(secret_key: str, signature_id: int) -> str:
    return _serializer(secret_key, "signature-email").dumps(signature_id)


def read_confirm_token(secret_key: str, token: str, max_age: int) -> int | None:
    try:
        value = _serializer(secret_key, "signature-email").loads(token, max_age=max_age)
    except BadData:
        return None
    return value if isinstance(value, int) else None


def confirm_email(db: Database, campaign_id: int, signature_id: int) -> bool:
    """Mark the signer's address confirmed; False when it is gone (purged or deleted)."""
    with db.write() as session:
        row = session.get(Signature, signature_id)
        if row is None or row.campaign_id != campaign_id or not row.email:
            return False
        if row.email_confirmed_at is None:
            row.email_confirmed_at = datetime.now(UTC)
        return True


# -- counting -------------------------------------------------------------------------------------


def total(db: Database, campaign_id: int) -> int:
    with db.reader() as session:
        return (
            session.scalar(
                select(func.count(Signature.id)).where(Signature.campaign_id == campaign_id)
            )
            or 0
        )


@dataclass(frozen=True)
class Row:
    label: tuple[str, ...]
    signatures: int


def tally(
    db: Database,
    campaign_id: int,
    by: str,
    bounds: tuple[datetime | None, datetime | None] = (None, None),
) -> list[Row]:
    """Signatures counted by district, day (UTC) or source, largest first (days in order),
    made from ``bounds[0]`` (included) to ``bounds[1]`` (excluded) when given."""
    low, high = bounds
    when = [Signature.campaign_id == campaign_id]
    if low is not None:
        when.append(Signature.created_at >= low)
    if high is not None:
        when.append(Signature.created_at < high)
    with db.reader() as session:
        if by == "district":
            query = (
                select(
                    SignatureDistrict.district_name,
                    SignatureDistrict.district_id,
                    SignatureDistrict.level,
                    func.count(SignatureDistrict.id),
                )
                .join(Signature, Signature.id == SignatureDistrict.signature_id)
                .where(*when)
                .group_by(
                    SignatureDistrict.district_name,
                    SignatureDistrict.district_id,
                    SignatureDistrict.level,
                )
            )
        elif by == "source":
            query = (
                select(Signature.source, func.count(Signature.id))
                .where(*when)
                .group_by(Signature.source)
            )
        elif by == "day":
            query = select(Signature.created_at).where(*when)
            days: dict[str, int] = {}
            for (when,) in session.execute(query):
                day = when.astimezone(UTC).date().isoformat()
                days[day] = days.get(day, 0) + 1
            return [Row((day,), count) for day, count in sorted(days.items())]
        else:
            raise ValueError(by)
        rows = [
            Row(tuple(str(v) if v else "" for v in values[:-1]), values[-1])
            for values in session.execute(query)
        ]
    if by == "source":
        rows = [Row((row.label[0] or "direct",), row.signatures) for row in rows]
    return sorted(rows, key=lambda row: (-row.signatures, row.label))


def for_official(db: Database, campaign_id: int, office: str, district_name: str) -> list[datetime]:
    """When each signature counted in this official's district was made (for the reports)."""
    with db.reader() as session:
        return list(
            session.scalars(
                select(Signature.created_at)
                .join(SignatureDistrict, SignatureDistrict.signature_id == Signature.id)
                .where(
                    SignatureDistrict.campaign_id == campaign_id,
                    SignatureDistrict.official_office == office,
                    SignatureDistrict.district_name == district_name,
                )
            ).all()
        )


def listed(db: Database, campaign_id: int, limit: int = PUBLIC_LIST_MAX) -> list[str]:
    """The names of signers who asked to be listed, newest first."""
    with db.reader() as session:
        return list(
            session.scalars(
                select(Signature.shown_as)
                .where(
                    Signature.campaign_id == campaign_id,
                    Signature.listed.is_(True),
                    Signature.shown_as != "",
                )
                .order_by(Signature.created_at.desc(), Signature.id.desc())
                .limit(limit)
            ).all()
        )


def export_csv(db: Database, campaign_id: int) -> str:
    """Every signature; the name only for those who signed with one, the email only for
    those who asked for updates and confirmed their address."""
    with db.reader() as session:
        rows = session.execute(
            select(Signature, Statement.version, Statement.language)
            .outerjoin(Statement, Statement.id == Signature.statement_id)
            .where(Signature.campaign_id == campaign_id)
            .order_by(Signature.created_at, Signature.id)
        ).all()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for signature, version, language in rows:
            districts = "; ".join(
                f"{d.district_name} ({d.official_office})" for d in signature.districts
            )
            writer.writerow(
                [
                    signature.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    version or "",
                    language or "",
                    signature.display,
                    "yes" if signature.listed else "no",
                    _csv_safe(signature.shown_as),
                    signature.email if signature.email_confirmed_at else "",
                    signature.postcode_prefix,
                    signature.source or "direct",
                    _csv_safe(districts),
                ]
            )
    return out.getvalue()


def _csv_safe(value: str) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# -- personal data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    emails: int
    names: int


def purge(db: Database, older_than: timedelta, unconfirmed_ttl: timedelta) -> Purged:
    """Remove personal data past retention, keeping every signature (and so every count):
    emails and names not listed publicly of signatures older than ``older_than``, and
    addresses never confirmed within ``unconfirmed_ttl``."""
    now = datetime.now(UTC)
    with db.write() as session:
        emails = session.execute(
            update(Signature)
            .where(
                Signature.email != "",
                or_(
                    Signature.created_at < now - older_than,
                    (Signature.email_confirmed_at.is_(None))
                    & (Signature.created_at < now - unconfirmed_ttl),
                ),
            )
            .values(email="", email_hmac="", email_confirmed_at=None)
        ).rowcount
        names = session.execute(
            update(Signature)
            .where(
                Signature.shown_as != "",
                Signature.listed.is_(False),
                Signature.created_at < now - older_than,
            )
            .values(shown_as="")
        ).rowcount
    return Purged(emails or 0, names or 0)


def held_for(db: Database, email_hmac: str) -> list[Signature]:
    """The signatures that hold this address (what a signer sees from their data link)."""
    if not email_hmac:
        return []
    with db.reader() as session:
        return list(
            session.scalars(
                select(Signature).where(Signature.email_hmac == email_hmac, Signature.email != "")
            ).all()
        )


def forget(db: Database, email_hmac: str) -> int:
    """Delete the personal data of the signatures holding this address (the signature is
    still counted: it becomes anonymous and unlisted)."""
    if not email_hmac:
        return 0
    with db.write() as session:
        return (
            session.execute(
                update(Signature)
                .where(Signature.email_hmac == email_hmac)
                .values(
                    email="",
                    email_hmac="",
                    email_confirmed_at=None,
                    shown_as="",
                    listed=False,
                    display=SignatureDisplay.ANONYMOUS,
                )
            ).rowcount
            or 0
        )


def district_table(
    db: Database, campaign: Campaign, bounds: tuple[datetime | None, datetime | None]
) -> str:
    """Signatures by district as a text table, for ``advocacy tally --by district``."""
    rows = tally(db, campaign.id, "district", bounds)
    head = ("district", "level", "signatures")
    body = [(row.label[0], row.label[2], str(row.signatures)) for row in rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(3)]
    lines = [f"\n{campaign.slug}: statement signatures by district"]
    if not body:
        return lines[0] + "\n\n(no signatures)"
    lines.append("")
    for line in [head, *body]:
        lines.append(
            "  ".join(
                cell.rjust(widths[i]) if i == 2 else cell.ljust(widths[i])
                for i, cell in enumerate(line)
            ).rstrip()
        )
    return "\n".join(lines)

"""SQLAlchemy 2.0 models. Nothing here is SQLite-only: the same schema runs on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .constants import CampaignStatus, DeliveryStatus, EditingMode, TargetMode


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Campaign(Base):
    """What supporters are asked to do, and which offices they may write to."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2), default="CA")
    provider: Mapped[str] = mapped_column(String(40), default="represent")
    # Elected offices supporters may write to, as the provider names them ("MP", "MPP", ...).
    target_offices: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=CampaignStatus.LIVE)
    # Whether supporters may have the app send their letter by email (when SMTP is set up).
    server_delivery: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Whom supporters see: the provider's officials, the campaign's custom targets, or both.
    target_mode: Mapped[str] = mapped_column(
        String(10), default=TargetMode.PROVIDER, server_default=TargetMode.PROVIDER.value
    )
    goal: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Officials changed on this day (an election, a by-election): lookups stored before it
    # are asked again (issue 11).
    officials_changed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The title and introduction in other languages (issue 9): {"fr": {"title": ..., ...}}.
    texts: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    templates: Mapped[list[LetterVersion]] = relationship(
        back_populates="campaign", order_by="LetterVersion.version"
    )

    def targets(self, elected_office: str) -> bool:
        """Whether supporters of this campaign may write to holders of this office."""
        wanted = {office.casefold() for office in self.target_offices or []}
        return elected_office.casefold() in wanted


class Organizer(Base):
    """Someone who prepares campaigns and reads tallies. Logs in with email and password."""

    __tablename__ = "organizers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped at logout and at a password change: sessions that carry an older value are
    # logged out (a copied session cookie stops working).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Letter(Base):
    """A campaign's letter for one language and one group of officials. Its text lives in
    immutable versions (LetterVersion); the newest version is the one supporters get."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    name: Mapped[str] = mapped_column(String(100), default="")
    # Levels ("federal", ...) or offices ("MP", ...) this letter is for; empty: every official.
    # The first matching letter (by position) is used.
    applies_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # What supporters may change: anything, or only the marked blocks.
    editing: Mapped[str] = mapped_column(String(10), default=EditingMode.FREE)

    campaign: Mapped[Campaign] = relationship()
    versions: Mapped[list[LetterVersion]] = relationship(
        back_populates="letter", order_by="LetterVersion.version"
    )

    def applies(self, level: str, office: str) -> bool:
        wanted = {item.casefold() for item in self.applies_to or []}
        return not wanted or level.casefold() in wanted or office.casefold() in wanted


class LetterVersion(Base):
    """One immutable version of a letter: subject and body templates, who saved it, when."""

    __tablename__ = "letter_templates"
    __table_args__ = (UniqueConstraint("letter_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    version: Mapped[int] = mapped_column(Integer, default=1)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # Issue 14: the letter's editing mode when this version was saved, so restoring a version
    # brings its mode back (None: saved before modes were recorded; restoring keeps the mode).
    editing: Mapped[str | None] = mapped_column(String(10), nullable=True)

    campaign: Mapped[Campaign] = relationship(back_populates="templates")
    letter: Mapped[Letter] = relationship(back_populates="versions")


class ContactAction(Base):
    """One supporter's contact with one official. Holds no name, email or IP address."""

    __tablename__ = "contact_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("letter_templates.id"))
    official_name: Mapped[str] = mapped_column(String(200))
    official_office: Mapped[str] = mapped_column(String(100))
    district_name: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(20))
    # The forward sortation area (first three characters), never the whole postal code.
    postcode_prefix: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    idempotency_token: Mapped[str] = mapped_column(String(64), unique=True)
    # Where the supporter came from: the ?source= code of the link they followed (a partner,
    # a mailing), carried through the forms, never in a cookie. "" when none.
    source: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Whether the supporter changed the campaign's text (None: not known, older rows).
    personalized: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # HMAC of (daily-salted client, official, letter): the same letter from the same client
    # within the repeat window counts once. Not reversible to an address.
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)

    template: Mapped[LetterVersion | None] = relationship()


class CustomTarget(Base):
    """An official from an organizer's CSV, and the postal codes (or prefixes) they cover."""

    __tablename__ = "custom_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    office: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    postcodes: Mapped[list[str]] = mapped_column(JSON, default=list)  # prefixes, or ["*"]


class Delivery(Base):
    """A letter the app sends by email for a supporter, after they confirm their address.

    The supporter's address and name are kept only until the letter is sent (and deleted with
    the row if it is never confirmed); ``email_hmac`` (keyed, not a plain hash) remains to
    tell repeat letters apart. The letter's text is kept a few days after sending, so a
    bounce can still be answered with a "send it yourself" link, then cleared.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("letter_templates.id"))
    contact_action_id: Mapped[int | None] = mapped_column(ForeignKey("contact_actions.id"))
    official_key: Mapped[str] = mapped_column(String(32))
    official_name: Mapped[str] = mapped_column(String(200))
    official_office: Mapped[str] = mapped_column(String(100))
    official_email: Mapped[str] = mapped_column(String(254))
    district_name: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(40))
    postcode_prefix: Mapped[str] = mapped_column(String(4))
    source: Mapped[str] = mapped_column(String(40), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The letter's subject and body encrypted under ``seal_key``, which only the supporter's
    # status link keeps once the letter has gone (the row then holds no readable text).
    sealed: Mapped[str] = mapped_column(Text, default="", server_default="")
    seal_key: Mapped[str] = mapped_column(String(64), default="", server_default="")
    supporter_name: Mapped[str] = mapped_column(String(100), default="")
    supporter_email: Mapped[str] = mapped_column(String(254), default="")
    email_hmac: Mapped[str] = mapped_column(String(64), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # the letter form's token
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.UNCONFIRMED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    message_id: Mapped[str] = mapped_column(String(250), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UpstreamState(Base):
    """Per provider: this minute's budget of calls, and the circuit breaker's state."""

    __tablename__ = "upstream_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    open_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LookupCacheEntry(Base):
    """A provider's answer for one postal code, kept for the lookup TTL (and served stale
    when the provider is down)."""

    __tablename__ = "lookup_cache"

    # provider name and a keyed hash of the postal code: the table holds no postal code.
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)  # "" when only a failure is remembered
    # Rounded down to the hour, so that it cannot be matched to a contact's time.
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Until then, the last upstream failure for this key is answered without a new call.
    failed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LookupLease(Base):
    """Who is asking the upstream for a key right now (issue 13), so that the other workers and
    hosts wait for that answer instead of asking too. Deleted when the answer lands; a holder
    that died is replaced once ``expires_at`` passes. Used only without Redis (with Redis the
    lease is a ``SET NX PX`` key there)."""

    __tablename__ = "lookup_leases"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # the lookup cache's key
    holder: Mapped[str] = mapped_column(String(32))  # a random token of the holder's
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class USLegislator(Base):
    """A member of the US Congress as of the last ``advocacy refresh-us-legislators`` (public
    data from the congress-legislators data set: their current term only)."""

    __tablename__ = "us_legislators"

    bioguide_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    chamber: Mapped[str] = mapped_column(String(3))  # "sen" or "rep", as the data set says
    state: Mapped[str] = mapped_column(String(2), index=True)  # USPS code: "CA", "DC", "PR"
    # House only: the district number, 0 for at-large states and non-voting delegates.
    district: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state_rank: Mapped[str] = mapped_column(String(10), default="")  # senators: senior, junior
    party: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    url: Mapped[str] = mapped_column(String(300), default="")
    contact_form: Mapped[str] = mapped_column(String(300), default="")
    term_end: Mapped[str] = mapped_column(String(10), default="")  # ISO date, as published
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The Washington office's postal address, as published (issue 11: letters by post).
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")


# -- issue 13: tally counters ---------------------------------------------------------------------


class TallyCounter(Base):
    """How many contacts a campaign had on one UTC day for one value of one dimension of the
    tallies ("district", "official", "level", "source", "method", "wording"). Updated in the
    transaction that logs the contact; ``advocacy rebuild-tallies`` recounts them from
    contact_actions. Counts by day and totals are sums of the "level" rows."""

    __tablename__ = "tally_counters"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    # "district"..., or "district:all" for all time (then ``day`` is 0001-01-01).
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # The dimension's values (tallies.COLUMNS), "" where it has fewer than three.
    value1: Mapped[str] = mapped_column(String(200), primary_key=True)
    value2: Mapped[str] = mapped_column(String(200), primary_key=True)
    value3: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


# -- the statement (issue 10) ---------------------------------------------------------------------


class Statement(Base):
    """One immutable version of a campaign's statement in one language (Markdown), with the
    signing rules it was published with. The newest version of a language is the one shown."""

    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("campaign_id", "language", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    version: Mapped[int] = mapped_column(Integer, default=1)
    body: Mapped[str] = mapped_column(Text)
    # Whether signers may stay anonymous (else they give a name, public only if they ask).
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    # Whether the campaign page lists the signers who asked to be listed.
    list_signers: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(254), nullable=True)


class Signature(Base):
    """One person's signature of a campaign's statement, counted once.

    ``signer_key`` is a keyed hash of the normalised email where one was given, else of the
    browser's own random id; ``browser_key`` always the latter. Neither is reversible. The
    email itself is kept only when the signer asked for updates (and until confirmed, only
    for ADVOCACY_CONFIRM_TTL); the name only when they signed with one.
    """

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("campaign_id", "signer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"))
    signer_key: Mapped[str] = mapped_column(String(64))
    browser_key: Mapped[str] = mapped_column(String(64), index=True)
    display: Mapped[str] = mapped_column(String(10))
    shown_as: Mapped[str] = mapped_column(String(200), default="")  # "" once purged
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str] = mapped_column(String(254), default="")
    email_hmac: Mapped[str] = mapped_column(String(64), default="", index=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    postcode_prefix: Mapped[str] = mapped_column(String(4), default="")
    source: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    districts: Mapped[list[SignatureDistrict]] = relationship(
        back_populates="signature", cascade="all, delete-orphan"
    )


class SignatureDistrict(Base):
    """A district (and its official, as the lookup named them) a signature was counted in.
    Offices where the postal code is ambiguous (two candidates) are left out."""

    __tablename__ = "signature_districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    official_name: Mapped[str] = mapped_column(String(200))
    official_office: Mapped[str] = mapped_column(String(100))
    district_name: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(20))

    signature: Mapped[Signature] = relationship(back_populates="districts")


# -- partner sites: embeds and the JSON API (issue 12) --------------------------------------------


class PartnerOrigin(Base):
    """A partner site allowed to embed a campaign (CSP ``frame-ancestors``) and to call its API
    from a browser (CORS): a scheme, host and port, as the organizer listed it."""

    __tablename__ = "partner_origins"
    __table_args__ = (UniqueConstraint("campaign_id", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    origin: Mapped[str] = mapped_column(String(200))  # "https://partner.example[:port]"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A read-only token for one campaign's tallies. Only a SHA-256 of the token is kept: the
    organizer sees the token once, when it is made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # whom it was given to, for the organizer
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, to tell tokens apart.
    hint: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReportExcerpt(Base):
    """Words from a letter whose writer ticked "my words may be quoted to this office", for
    that office's report. Pending (``sent`` False) until the writer confirms sending; holds
    no name, email or postal code, and no link to the contact."""

    __tablename__ = "report_excerpts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    official_office: Mapped[str] = mapped_column(String(100))
    district_name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    # The letter form's token until the letter is confirmed sent, then "".
    token: Mapped[str] = mapped_column(String(64), default="", index=True)
    sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ReportSend(Base):
    """An office's report emailed by an organizer: who, to which address, when."""

    __tablename__ = "report_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    official_office: Mapped[str] = mapped_column(String(100))
    district_name: Mapped[str] = mapped_column(String(200))
    to_address: Mapped[str] = mapped_column(String(254))
    sent_by: Mapped[str] = mapped_column(String(254))
    letters: Mapped[int] = mapped_column(Integer, default=0)
    signatures: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(40), default="sent")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- who runs a campaign (issue 14) ---------------------------------------------------------------


class CampaignContact(Base):
    """Who runs a campaign, how to reach them, and its privacy page, as organizers set them.
    An empty privacy text means the page the app generates from the actual settings."""

    __tablename__ = "campaign_contacts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    organizer_name: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(254), default="")  # an email address or a URL
    privacy_text: Mapped[str] = mapped_column(Text, default="")  # Markdown; "" = generated
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), nullable=True)


# -- issue 10 (continued): replies and positions -------------------------------------------------


class ReplyReport(Base):
    """A supporter's report of an official's answer to their letter: whether they replied,
    the position, and an optional excerpt (public only once an organizer approves it). One
    per browser and official (``reporter_key``, a keyed hash); nothing names the supporter."""

    __tablename__ = "reply_reports"
    __table_args__ = (UniqueConstraint("campaign_id", "reporter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    reporter_key: Mapped[str] = mapped_column(String(64))
    official_name: Mapped[str] = mapped_column(String(200))
    official_office: Mapped[str] = mapped_column(String(100))
    district_name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(40), default="")  # province or state
    replied: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[str] = mapped_column(String(20))
    excerpt: Mapped[str] = mapped_column(Text, default="")
    excerpt_status: Mapped[str] = mapped_column(String(10), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OfficialPosition(Base):
    """An official's public position as an organizer recorded it, with its source (a speech,
    a vote, a statement). The newest per office is the one shown."""

    __tablename__ = "official_positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    official_name: Mapped[str] = mapped_column(String(200))
    official_office: Mapped[str] = mapped_column(String(100))
    district_name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20), default="")
    position: Mapped[str] = mapped_column(String(20))
    source_url: Mapped[str] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- issue 11: offices of members of Congress in their states and districts ----------------------


class USDistrictOffice(Base):
    """An office of a member of Congress at home, from the congress-legislators data set's
    ``legislators-district-offices`` (public data), as of ``advocacy
    refresh-us-district-offices``: where a letter by post goes."""

    __tablename__ = "us_district_offices"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "D000399-austin"
    bioguide_id: Mapped[str] = mapped_column(String(16), index=True)
    address: Mapped[str] = mapped_column(String(300))  # one line, as a letter's address
    phone: Mapped[str] = mapped_column(String(40), default="")
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

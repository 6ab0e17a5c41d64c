"""The supporter's path as one service: campaign -> postal code -> officials -> letter ->
confirmation -> one counted contact.

Views parse a request, call one function here and render; everything that is not HTTP lives
here: which campaign and official a request is about, which letter version, the rules that
tell people from robots (minimum fill time, honeypot, a signed proof), "untouched" letters,
the contact method, whether a ``mailto:`` link fits, and the fingerprint that counts the same
letter from the same browser once.

Rules about the upstream budget:
- only :meth:`SupporterPath.look_up` (the rate-limited lookup step, with a valid form) may
  call a provider; every later step reads what that step stored (:meth:`officials`,
  :meth:`resolve`) or refuses with :class:`PostcodeNeeded`. A stranger posting random postal
  codes to the letter or confirmation forms spends nothing.
- one upstream lookup per supporter request at most; a failure is remembered for a moment
  (see civic/cache.py), so the redirect after it and reloads do not repeat it.

Errors are one family, :class:`PathError`; civic errors (InvalidPostcode, PostcodeNotFound,
UpstreamUnavailable, ...) pass through unchanged. views/errors.py turns both into pages.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeSerializer
from sqlalchemy import Connection

from . import actions, campaigns, civic, delivery, letters, locales, mail, memo, statement
from .civic import directory
from .civic.cache import LookupCache
from .civic.postcodes import prefix
from .constants import CampaignStatus, ContactMethod, EditingMode, PostcodeShown, TargetMode
from .db import Database
from .models import Campaign, LetterVersion

# Tables whose changes (committed by this process) drop the campaign data kept in memory.
MEMO_TABLES = ("campaigns", "letters", "letter_templates", "custom_targets", "campaign_contacts")

# -- errors -------------------------------------------------------------------------------------


class PathError(Exception):
    """Something in a supporter's request that the path cannot go on with."""


class CampaignNotFound(PathError):
    """No campaign supporters may use at this address."""


class CampaignEnded(PathError):
    """The campaign is closed."""


class PostcodeNeeded(PathError):
    """Nothing is known of this supporter's postal code here (never looked up, or long ago):
    they enter it again on the campaign page."""

    def __init__(self, slug: str, address: bool = False) -> None:
        super().__init__("postal code needed")
        self.slug = slug
        self.address = address  # the provider needs a street address too


class OfficialNotFound(PathError):
    """Not an official this campaign writes to, for this postal code."""


class NoLetter(PathError):
    """The campaign has no letter for this official."""


class LetterUnavailable(PathError):
    """The letter's template cannot be rendered for this official (too long once filled in)."""


class ConfirmationInvalid(PathError):
    """A confirmation that does not match the letter the supporter reviewed (or a robot's)."""


class DeliveryLetterInvalid(PathError):
    """The signed letter of a "send it for me" form is forged or belongs to another letter."""


# -- settings and values --------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The settings the supporter's path uses, bound from the app's config at start-up."""

    secret_key: str
    body_max: int
    subject_max: int
    field_max: int
    mailto_max: int
    min_fill_seconds: float
    repeat_window: timedelta
    email_delivery: bool  # SMTP is set up, so campaigns may offer "send it for me"
    memo_seconds: float = 5.0  # issue 13: campaign data kept in memory at most this long

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            secret_key=config["SECRET_KEY"],
            body_max=config["LETTER_BODY_MAX"],
            subject_max=config["LETTER_SUBJECT_MAX"],
            field_max=config["SUPPORTER_FIELD_MAX"],
            mailto_max=config["MAILTO_MAX"],
            min_fill_seconds=config["MIN_FILL_SECONDS"],
            repeat_window=timedelta(seconds=config["DUPLICATE_LETTER_WINDOW"]),
            email_delivery=bool(config["SMTP_URL"]),
            memo_seconds=float(config["CAMPAIGN_MEMO_SECONDS"]),
        )


@dataclass(frozen=True)
class Looked:
    """What a supporter looked up for a campaign, as their (encrypted) session keeps it: the
    postal code, and for providers that need an address the districts found (public
    identifiers, never the address)."""

    campaign: str
    postcode: str
    districts: dict[str, Any] | None = None

    def to_session(self) -> dict[str, Any]:
        saved: dict[str, Any] = {"campaign": self.campaign, "code": self.postcode}
        if self.districts:
            saved["districts"] = self.districts
        return saved

    @classmethod
    def from_session(cls, saved: Any, campaign: Campaign) -> Looked | None:
        if not isinstance(saved, dict) or saved.get("campaign") != campaign.slug:
            return None
        code, districts = saved.get("code"), saved.get("districts")
        if not isinstance(code, str) or not code:
            return None
        return cls(campaign.slug, code, districts if isinstance(districts, dict) else None)


@dataclass(frozen=True)
class Resolved:
    """One letter's context: the campaign, the postal code, its officials, the official
    written to and the letter version."""

    campaign: Campaign
    postcode: str
    result: civic.LookupResult
    official: civic.Official
    version: LetterVersion | None


@dataclass(frozen=True)
class Proof:
    """What the send page vouches for, signed: the letter form's token, the official, the
    postal code and letter version reviewed, when the form was shown, a digest of the letter,
    and whether it is the campaign's text untouched."""

    token: str
    official: str
    postcode: str
    version: int | None
    started: str
    digest: str
    untouched: bool


@dataclass(frozen=True)
class Composed:
    """A reviewed letter, ready to send: what the send page shows."""

    subject: str
    body: str  # signed with the supporter's name, city and postal code (as they chose)
    untouched: bool
    method: ContactMethod
    mailto: str  # "" when the letter is too long for a link (or there is no address)
    mailto_subject_only: str  # the address and subject only, for a letter too long
    proof: str

    def page(self) -> dict[str, Any]:
        """What a send page shows of the letter (the public and the embedded one)."""
        return {
            "untouched": self.untouched,
            "subject": self.subject,
            "body": self.body,
            "mailto": self.mailto,
            "mailto_subject_only": self.mailto_subject_only,
            "method": self.method,
        }


def officials_changed(campaign: Campaign) -> datetime | None:
    """When the campaign's officials last changed (an election; the organizer sets the day):
    lookups stored before it are fetched again, never served (issue 11)."""
    day = campaign.officials_changed_on
    return datetime.combine(day, datetime.min.time(), UTC) if day else None


def contact_method(official: civic.Official) -> ContactMethod:
    """How a supporter reaches this official themselves."""
    if official.email:
        return ContactMethod.MAILTO
    return ContactMethod.WEB_FORM if official.web_url else ContactMethod.PHONE


def _digest(subject: str, body: str) -> str:
    return hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


# -- the service ----------------------------------------------------------------------------------


class SupporterPath:
    """The supporter's path over one database, the providers and the lookup cache."""

    def __init__(
        self,
        db: Database,
        providers: Mapping[str, civic.Provider],
        cache: LookupCache,
        settings: Settings,
    ) -> None:
        self.db = db
        self.providers = providers
        self.cache = cache
        self.settings = settings
        # Campaigns and their custom targets, kept between requests (issue 13, memo.py).
        self.memo = memo.Memo(db, MEMO_TABLES, settings.memo_seconds)

    # campaigns

    def campaign(self, slug: str, organizer: bool = False) -> Campaign:
        """The campaign, if supporters may use it; organizers may also preview drafts."""
        campaign = self.memo.get(
            ("campaign", slug, organizer),
            lambda: campaigns.visible_campaign(self.db, slug, organizer),
        )
        if campaign is not None:
            return campaign
        closed = campaigns.campaign_by_slug(self.db, slug)
        if closed is not None and closed.status == CampaignStatus.CLOSED:
            raise CampaignEnded(slug)
        raise CampaignNotFound(slug)

    def live_campaigns(self) -> list[Campaign]:
        return campaigns.live_campaigns(self.db)

    def provider(self, campaign: Campaign) -> civic.Provider:
        try:
            return self.providers[campaign.provider]
        except KeyError:
            raise CampaignNotFound(campaign.slug) from None

    def normalize(self, campaign: Campaign, raw: str) -> str:
        return self.provider(campaign).normalize(raw or "")

    # officials

    def _mine(self, campaign: Campaign, postcode: str) -> tuple[civic.Official, ...]:
        if campaign.target_mode not in (TargetMode.DIRECTORY, TargetMode.BOTH):
            return ()
        return tuple(
            official
            for row, official in self.memo.get(
                ("custom targets", campaign.id),
                # Each row's Official is built (and checked) once, with the row.
                lambda: tuple(
                    (row, row.official()) for row in campaigns.custom_targets(self.db, campaign)
                ),
            )
            if row.covers(postcode)
        )

    @staticmethod
    def _with_mine(
        result: civic.LookupResult | None,
        mine: tuple[civic.Official, ...],
        postcode: str,
        failure: civic.UpstreamUnavailable | None = None,
    ) -> civic.LookupResult:
        if result is None:
            if not mine:
                assert failure is not None
                raise failure
            return civic.LookupResult(
                postcode=postcode,
                officials=mine,
                source=directory.NAME,
                extra={"provider_unavailable": True},
            )
        return replace(result, officials=result.officials + mine) if mine else result

    def look_up(
        self, campaign: Campaign, raw: str, address: str | None = None
    ) -> tuple[Looked, civic.LookupResult]:
        """The lookup step, the only one that may call a provider: the officials for what the
        supporter typed (and their street address, for providers that need one, which is
        never stored), with the campaign's custom targets."""
        provider = self.provider(campaign)
        postcode = provider.normalize(raw or "")
        mine = self._mine(campaign, postcode)
        if campaign.target_mode == TargetMode.DIRECTORY:
            result = civic.LookupResult(postcode=postcode, officials=mine, source=directory.NAME)
            return Looked(campaign.slug, postcode), result
        if provider.needs_address and not (address or "").strip():
            raise civic.AddressNotFound(postcode)
        key = self.cache.key(provider.name, postcode)
        try:
            if provider.needs_address:
                failure = self.cache.remembered_failure(key)
                if failure is not None:
                    raise failure
                try:
                    # Geocoded from the address once, never cached by address: the answer is
                    # kept under the districts found, which the session carries.
                    result = provider.lookup(postcode, address=address)
                except civic.UpstreamUnavailable as exc:
                    if exc.remember:
                        self.cache.remember_failure(key)
                    raise
                districts = result.extra.get("districts") or None
                # The address as the geocoder read it is for this page only, never stored.
                kept = {k: v for k, v in result.extra.items() if k != "matched_address"}
                self.cache.store(
                    self.cache.key(provider.name, postcode, districts), replace(result, extra=kept)
                )
                return Looked(campaign.slug, postcode, districts), self._with_mine(
                    result, mine, postcode
                )
            result = self.cache.fetch(
                key, lambda: provider.lookup(postcode), not_before=officials_changed(campaign)
            )
        except civic.UpstreamUnavailable as exc:
            if mine and not exc.remember:
                # A refusal (the budget, the breaker, a wait past the deadline) is not the
                # upstream failing, but the officials page this redirects to must know that
                # only the campaign's own targets were found: remembered while it lasts.
                self.cache.remember_failure(key, exc.retry_after)
            return Looked(campaign.slug, postcode), self._with_mine(None, mine, postcode, exc)
        return Looked(campaign.slug, postcode), self._with_mine(result, mine, postcode)

    def officials(self, campaign: Campaign, looked: Looked | None) -> civic.LookupResult:
        """The officials the supporter looked up, from what the lookup step stored (never
        from a provider): PostcodeNeeded when nothing is stored."""
        address = self.provider(campaign).needs_address
        if looked is None or looked.campaign != campaign.slug:
            raise PostcodeNeeded(campaign.slug, address)
        mine = self._mine(campaign, looked.postcode)
        if campaign.target_mode == TargetMode.DIRECTORY:
            return civic.LookupResult(
                postcode=looked.postcode, officials=mine, source=directory.NAME
            )
        name = self.provider(campaign).name
        key = self.cache.key(name, looked.postcode, looked.districts)
        result = self.cache.read(key, not_before=officials_changed(campaign))
        if result is not None:
            return self._with_mine(result, mine, looked.postcode)
        failure = self.cache.remembered_failure(key)
        if failure is None:
            raise PostcodeNeeded(campaign.slug, address)
        return self._with_mine(None, mine, looked.postcode, failure)

    @staticmethod
    def choices(campaign: Campaign, result: civic.LookupResult):
        """The officials by level, each marked as one the campaign writes to or not."""
        return campaigns.choices(campaign, result)

    def official(self, campaign: Campaign, result: civic.LookupResult, key: str) -> civic.Official:
        official = result.find(key)
        if official is None or not campaigns.is_targeted(campaign, official):
            raise OfficialNotFound(key)
        return official

    def resolve(
        self,
        campaign: Campaign,
        raw_postcode: str,
        official_key: str,
        version_id: int | None,
        language: str,
        districts: dict[str, Any] | None = None,
    ) -> Resolved:
        """Campaign, postal code, official and letter version of a letter form: the postal
        code must be one this browser looked up (its answer is stored), the official one of
        its targeted officials, the version one of this campaign's letters for them."""
        postcode = self.normalize(campaign, raw_postcode)
        result = self.officials(campaign, Looked(campaign.slug, postcode, districts))
        official = self.official(campaign, result, official_key)
        # Issue 13: the letter version an official gets by default is kept in memory (memo.py:
        # dropped when letters are saved here, else after a few seconds); a form rendered
        # with it, the common case, reads nothing. Another version (an older one, or one
        # the form names wrongly) is read, not kept: the form chooses the id.
        newest = self.memo.get(
            ("letter version", campaign.id, language, official.level, official.elected_office),
            lambda: campaigns.letter_version(self.db, campaign, language, official),
        )
        if version_id is None or (newest is not None and newest.id == version_id):
            version = newest
        else:
            version = campaigns.letter_version(self.db, campaign, language, official, version_id)
        return Resolved(campaign, postcode, result, official, version)

    def remaining(self, campaign: Campaign, looked: Looked | None, written: Sequence[str]):
        """The targeted officials not written to yet (none when nothing is stored). Another
        candidate for an office already written to is not suggested: a code on a district
        line lists both MPs, and only one of them is the supporter's."""
        try:
            result = self.officials(campaign, looked)
        except (PathError, civic.CivicError):
            return []
        done = set(written)
        offices_done = {(o.body, o.elected_office) for o in result.officials if o.key in done}
        return [
            o
            for o in campaigns.targeted(campaign, result)
            if o.key not in done
            and not (result.is_ambiguous(o) and (o.body, o.elected_office) in offices_done)
        ]

    # letters

    def letter(
        self,
        resolved: Resolved,
        today: str,
        supporter: dict[str, str] | None = None,
    ) -> letters.LetterParts:
        """The campaign's letter for this official, in locked and editable parts."""
        if resolved.version is None:
            raise NoLetter(resolved.official.key)
        try:
            return letters.render_parts(
                resolved.version.subject,
                resolved.version.body,
                resolved.official,
                resolved.campaign.title,
                today,
                supporter,
                body_max=self.settings.body_max,
                subject_max=self.settings.subject_max,
            )
        except letters.LetterError as exc:
            raise LetterUnavailable(f"version {resolved.version.id}: {exc}") from exc

    def locked(
        self, resolved: Resolved, today: str, name: str, city: str
    ) -> letters.LetterParts | None:
        """For a "blocks" letter: its parts rendered again by the server (the supporter's
        text goes only into the editable blocks). None for a "free" letter."""
        if resolved.version is None or resolved.version.letter.editing != EditingMode.BLOCKS:
            return None
        limit = self.settings.field_max
        return self.letter(resolved, today, {"name": name[:limit], "city": city[:limit]})

    def untouched(
        self, resolved: Resolved, today: str, body: str, blocks: Sequence[str] | None
    ) -> bool:
        """Whether the supporter sent the campaign's text without changing a word (white
        space aside): such letters are counted as such for organizers."""
        if resolved.version is None:
            return False
        default = self.letter(resolved, today)
        if resolved.version.letter.editing == EditingMode.BLOCKS:
            texts = list(blocks or [])
            return len(texts) == len(default.blocks) and all(
                _same_text(text, part.text)
                for text, part in zip(texts, default.blocks, strict=False)
            )
        return _same_text(body, default.body)

    # telling people from robots

    def _stamp_signer(self) -> TimestampSigner:
        return TimestampSigner(self.settings.secret_key, salt="letter-form-shown")

    def stamp(self) -> str:
        """When the letter form was shown, signed."""
        return self._stamp_signer().sign(b"shown").decode()

    def too_fast(self, stamp: str | None) -> bool:
        """Whether a form came back sooner than a person could have read it (or its stamp
        is missing or forged)."""
        try:
            _, when = self._stamp_signer().unsign(stamp or "", return_timestamp=True)
        except BadSignature:
            return True
        elapsed = (datetime.now(UTC) - when).total_seconds()
        return elapsed < self.settings.min_fill_seconds

    def _proof_signer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.settings.secret_key, salt="letter-proof")

    def compose(
        self,
        resolved: Resolved,
        today: str,
        *,
        subject: str,
        body: str,
        blocks: Sequence[str] | None,
        name: str,
        city: str,
        show_postcode: str,
        token: str,
        started: str,
    ) -> Composed:
        """The reviewed letter, signed by the supporter, with its mailto link and the proof
        the confirmation must carry."""
        untouched = self.untouched(resolved, today, body, blocks)
        shown = (
            resolved.postcode if show_postcode == PostcodeShown.FULL else prefix(resolved.postcode)
        )
        signed = letters.sign(body, name, city, shown)
        subject = " ".join(subject.split())
        official = resolved.official
        link, short_link = self.links(official, subject, signed)
        proof = self._proof_signer().dumps(
            {
                "t": token,
                "o": official.key,
                "p": resolved.postcode,
                "v": resolved.version.id if resolved.version else None,
                "s": started,
                "d": _digest(subject, signed),
                "u": untouched,
            }
        )
        return Composed(
            subject, signed, untouched, contact_method(official), link, short_link, proof
        )

    def links(self, official: civic.Official, subject: str, signed: str) -> tuple[str, str]:
        """The mailto: link of a signed letter, and the short one (address and subject) used
        instead when the letter is too long for a link; "" where there is none."""
        link = short_link = ""
        if official.email:
            link = mail.mailto_link(official.email, subject, signed)
            if not mail.fits_mailto(link, self.settings.mailto_max):
                # Too long for mail clients: the supporter copies the letter into an email
                # that this shorter link opens with the address and subject filled in.
                link, short_link = "", mail.mailto_link(official.email, subject)
        return link, short_link

    def check_proof(
        self, resolved: Resolved, raw: str | None, token: str, version_id: int | None
    ) -> Proof:
        """The proof of a confirmation, if it vouches for exactly this letter: the same
        token, official, postal code and letter version (as resolved, and as the form says),
        and a form filled in by a person."""
        try:
            data = self._proof_signer().loads(raw or "")
        except BadSignature:
            raise ConfirmationInvalid("forged or missing proof") from None
        if not isinstance(data, dict):
            raise ConfirmationInvalid("unreadable proof")
        proof = Proof(
            token=str(data.get("t", "")),
            official=str(data.get("o", "")),
            postcode=str(data.get("p", "")),
            version=data.get("v") if isinstance(data.get("v"), int) else None,
            started=str(data.get("s", "")),
            digest=str(data.get("d", "")),
            untouched=data.get("u") is True,
        )
        version = resolved.version.id if resolved.version else None
        if (
            not hmac.compare_digest(proof.token, token or "")
            or proof.official != resolved.official.key
            or proof.postcode != resolved.postcode
            or proof.version != version
            or version_id != version
        ):
            raise ConfirmationInvalid("the proof is for another letter")
        if self.too_fast(proof.started):
            raise ConfirmationInvalid("sent sooner than a person could")
        return proof

    def fingerprint(self, browser: str, official: civic.Official, digest: str) -> str | None:
        """The same letter to the same official from the same browser, as a keyed hash. Keyed
        on the browser's own random id (in its session), never on its network address: five
        people behind one address are five letters."""
        if not browser:
            return None
        key = self.settings.secret_key.encode()
        material = f"{browser}|{official.key}|{digest}".encode()
        return hmac.new(key, material, hashlib.sha256).hexdigest()

    # counting

    def record(
        self,
        resolved: Resolved,
        proof: Proof,
        browser: str,
        source: str,
        also: Callable[[Connection], object] | None = None,
    ) -> actions.Recorded:
        """Count the contact, once per letter form and once per letter from this browser;
        ``also(connection)`` runs in the same transaction (see actions.record_contact)."""
        return actions.record_contact(
            self.db,
            resolved.campaign,
            resolved.version,
            resolved.official,
            resolved.postcode,
            contact_method(resolved.official),
            proof.token,
            source=source,
            personalized=not proof.untouched,
            fingerprint=self.fingerprint(browser, resolved.official, proof.digest),
            repeat_window=self.settings.repeat_window,
            also=also,
        )

    # letters the app sends by email

    def offers_delivery(self, resolved: Resolved) -> bool:
        """Whether the app may send this letter by email for the supporter."""
        return bool(
            self.settings.email_delivery
            and resolved.campaign.server_delivery
            and resolved.official.email
        )

    def _delivery_signer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.settings.secret_key, salt="letter-to-deliver")

    def seal_for_delivery(
        self, resolved: Resolved, composed: Composed, name: str, token: str, source: str
    ) -> str:
        """The letter for the "send it for me" form, signed with what it belongs to, so that
        what is delivered is exactly what the server composed for this official."""
        return self._delivery_signer().dumps(
            {
                "s": composed.subject,
                "b": composed.body,
                "n": name,
                "src": source,
                "t": token,
                "o": resolved.official.key,
                "p": resolved.postcode,
            }
        )

    def delivery_letter(
        self, resolved: Resolved, raw: str | None, token: str
    ) -> delivery.LetterText:
        try:
            data = self._delivery_signer().loads(raw or "")
        except BadSignature:
            raise DeliveryLetterInvalid("forged or missing letter") from None
        if (
            not isinstance(data, dict)
            or data.get("t") != token
            or data.get("o") != resolved.official.key
            or data.get("p") != resolved.postcode
        ):
            raise DeliveryLetterInvalid("the letter is for another official")
        return delivery.LetterText(
            subject=str(data.get("s", "")),
            body=str(data.get("b", "")),
            name=str(data.get("n", "")),
            source=actions.clean_source(str(data.get("src", ""))),
        )

    # the statement (issue 10): signing reuses what the browser looked up

    def signing_districts(
        self,
        campaign: Campaign,
        looked: Looked | None,
        raw_postcode: str = "",
        address: str | None = None,
    ) -> tuple[Looked, list[civic.Official]]:
        """Where a signature is counted: the campaign's targeted officials for the signer's
        postal code, one per district (offices the code leaves ambiguous left out). A postal
        code typed on the statement form goes through the lookup step (the view is limited
        like the lookup form); without one, what this browser looked up before is read from
        the cache, so a supporter who wrote first is not asked again (PostcodeNeeded when
        nothing is stored). A provider that cannot be reached leaves only the custom targets:
        the signature still counts overall."""
        if (raw_postcode or "").strip():
            try:
                looked, result = self.look_up(campaign, raw_postcode, address)
            except civic.UpstreamUnavailable:
                postcode = self.normalize(campaign, raw_postcode)
                return Looked(campaign.slug, postcode), []
        else:
            result = self.officials(campaign, looked)
            assert looked is not None  # officials() raised PostcodeNeeded otherwise
        targeted = campaigns.targeted(campaign, result)
        return looked, statement.counted_districts(targeted, result.is_ambiguous)

    # the letter's language (issue 9): chosen apart from the page's

    def letter_offer(
        self, resolved: Resolved, page: str, asked: str | None, tags: list[str]
    ) -> locales.LetterOffer:
        """The languages the campaign wrote this official's letter in, the official's
        preferred ones (when the provider says) first, and the one to show."""
        available = campaigns.letter_languages(self.db, resolved.campaign, resolved.official)
        preferred = [tag_ for x in resolved.official.languages if (tag_ := locales.tag_of(x, tags))]
        return locales.letter_offer(available, page, preferred, asked)

    def in_language(self, resolved: Resolved, language: str) -> Resolved:
        """The same letter context with the official's letter in ``language`` (where the
        campaign wrote none, the one letter_for falls back to)."""
        version = campaigns.letter_version(self.db, resolved.campaign, language, resolved.official)
        return replace(resolved, version=version)

    # the exact district from a street address (issue 11)

    def offers_exact(self, campaign: Campaign, result: civic.LookupResult) -> bool:
        """Whether the supporter may settle a postal code that crosses a boundary with their
        street address (the provider can, and the list is ambiguous and not exact yet)."""
        if campaign.target_mode == TargetMode.DIRECTORY:
            return False
        provider = self.providers.get(campaign.provider)
        return bool(
            provider is not None
            and provider.exact_by_address
            and result.ambiguous
            and not result.extra.get("exact")
        )

    def look_up_exact(
        self, campaign: Campaign, looked: Looked | None, address: str
    ) -> tuple[Looked, civic.LookupResult]:
        """The lookup step for an address: the officials whose districts contain the point of
        the supporter's street address, in the postal code they looked up. The answer is kept
        under a keyed hash of code and address (a repeat costs no upstream call); the session
        keeps that hash, never the address. A provider that cannot settle it: AddressNotFound."""
        provider = self.provider(campaign)
        if looked is None or looked.campaign != campaign.slug:
            raise PostcodeNeeded(campaign.slug)
        if not provider.exact_by_address or not address.strip():
            raise civic.AddressNotFound(looked.postcode)
        material = f"{looked.postcode}|{' '.join(address.casefold().split())}".encode()
        digest = hmac.new(
            self.settings.secret_key.encode(), b"exact-address|" + material, hashlib.sha256
        ).hexdigest()[:32]
        at = {"at": digest}
        key = self.cache.key(provider.name, looked.postcode, at)
        result = self.cache.fetch(
            key,
            lambda: provider.lookup(looked.postcode, address=address),
            not_before=officials_changed(campaign),
        )
        mine = self._mine(campaign, looked.postcode)
        return Looked(campaign.slug, looked.postcode, at), self._with_mine(
            result, mine, looked.postcode
        )

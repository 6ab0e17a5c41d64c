"""Letters the app sends by email for a supporter (when a campaign offers it and SMTP is set
up): requested -> the supporter confirms their address -> queued -> sent by ``advocacy
deliver`` outside any request, with retries -> sent, failed or bounced.

The contact is counted when the supporter confirms. Their address and name are deleted once
the letter is sent (or with the whole request if it is never confirmed within the TTL).

The letter's text (which holds the supporter's name, city and full postal code) is readable in
the row only while it waits to be sent. At confirmation it is also sealed: encrypted under a key
made for this one letter, which goes into the supporter's status link. Once the letter is sent,
failed or bounced, the readable text and the key are deleted, so the row keeps only the sealed
text, which the status link alone can open to offer "send it yourself"; ``purge`` deletes that
too after ``LETTER_TEXT_KEEP``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import has_app_context, render_template
from flask_babel import force_locale, gettext
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update

from . import mail
from .actions import record_contact
from .civic.officials import Official
from .civic.postcodes import prefix
from .constants import ContactMethod
from .constants import DeliveryStatus as Status
from .db import Database
from .models import Campaign, Delivery, LetterVersion

BACKOFF = (60, 300, 1800, 7200, 21600)  # seconds before attempts 2, 3, ...
CLAIM_TIMEOUT = timedelta(minutes=10)  # a "sending" claim older than this was abandoned


class AlreadySent(Exception):
    """This address already had a letter sent to this official in this campaign recently."""


class Expired(Exception):
    """The confirmation came after the TTL: the request (and the address) are gone."""


@dataclass(frozen=True)
class Sender:
    """Who the app's mail comes from and where bounces go."""

    smtp: mail.SmtpSettings
    from_address: str
    from_name: str
    bounce_address: str  # "bounces@our-domain.example": VERP addresses are built on it
    secret: bytes  # signs VERP addresses so bounces cannot be forged

    @property
    def domain(self) -> str:
        return self.from_address.rsplit("@", 1)[-1]

    def verp(self, delivery_id: int) -> str:
        local, domain = self.bounce_address.rsplit("@", 1)
        return f"{local}+{delivery_id}.{verp_signature(self.secret, delivery_id)}@{domain}"


def verp_signature(secret: bytes, delivery_id: int) -> str:
    return hmac.new(secret, f"bounce:{delivery_id}".encode(), hashlib.sha256).hexdigest()[:12]


def _now() -> datetime:
    return datetime.now(UTC)


def sender_from_config(config: Mapping[str, Any]) -> Sender | None:
    """The app's Sender, or None when SMTP is not configured (then letters go by mailto)."""
    if not config.get("SMTP_URL"):
        return None
    from_address = mail.checked_address(config["MAIL_FROM"], "ADVOCACY_MAIL_FROM")
    bounce = config.get("BOUNCE_ADDRESS") or f"bounces@{from_address.rsplit('@', 1)[1]}"
    return Sender(
        smtp=mail.SmtpSettings.from_url(config["SMTP_URL"], timeout=config["SMTP_TIMEOUT"]),
        from_address=from_address,
        from_name=config["MAIL_FROM_NAME"],
        bounce_address=mail.checked_address(bounce, "ADVOCACY_BOUNCE_ADDRESS"),
        secret=secret_bytes(config, "bounce"),
    )


def secret_bytes(config: Mapping[str, Any], purpose: str) -> bytes:
    """A key for one purpose, derived from the app's secret key (or the configured pepper
    for email hashes), so that no two uses share a key."""
    base = config.get("EMAIL_PEPPER") if purpose == "email" else ""
    base = base or config["SECRET_KEY"]
    return hmac.new(base.encode(), f"advocacy:{purpose}".encode(), hashlib.sha256).digest()


def _serializer(config: Mapping[str, Any], salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config["SECRET_KEY"], salt=salt)


def confirm_token(config: Mapping[str, Any], delivery_id: int) -> str:
    """The signed part of a confirmation link; it expires after ADVOCACY_CONFIRM_TTL."""
    return _serializer(config, "delivery-confirm").dumps(delivery_id)


def read_confirm_token(config: Mapping[str, Any], token: str) -> int | None:
    try:
        value = _serializer(config, "delivery-confirm").loads(token, max_age=config["CONFIRM_TTL"])
    except BadData:
        return None
    return value if isinstance(value, int) else None


# Between the signed letter id and the letter's key in a status token: in neither alphabet
# (itsdangerous and Fernet keys use URL-safe base64 and ".").
KEY_SEPARATOR = "~"


def status_token(config: Mapping[str, Any], delivery_id: int, key: str) -> str:
    """The last part of a letter's status page address: the signed letter id (no expiry: it
    shows no address), then the letter's key, when it still has one, to open its sealed text.
    The key is outside the signature so that a link with a wrong or missing key still shows
    the status, only without the text."""
    signed = _serializer(config, "delivery-status").dumps(delivery_id)
    return f"{signed}{KEY_SEPARATOR}{key}" if key else signed


def read_status_token(config: Mapping[str, Any], token: str) -> tuple[int | None, str]:
    """The letter id (None unless the signature holds) and the key (maybe "") of a token."""
    signed, _, key = token.partition(KEY_SEPARATOR)
    try:
        value = _serializer(config, "delivery-status").loads(signed)
    except BadData:
        return None, ""
    return (value if isinstance(value, int) else None), key


SEAL_KEY = re.compile(r"[A-Za-z0-9_-]{43}=")  # what Fernet.generate_key() makes


def seal(subject: str, body: str) -> tuple[str, str]:
    """Encrypt a letter's text under a new key of its own: returns (sealed text, key)."""
    key = Fernet.generate_key()
    sealed = Fernet(key).encrypt(json.dumps({"s": subject, "b": body}).encode())
    return sealed.decode(), key.decode()


def unseal(sealed: str, key: str) -> tuple[str, str] | None:
    """A sealed letter's (subject, body), or None when there is no text or the key is wrong."""
    # Fernet's own check skips stray characters (a key with junk after it would still open
    # the letter): only a key exactly as made here is tried.
    if not sealed or not SEAL_KEY.fullmatch(key):
        return None
    try:
        letter = json.loads(Fernet(key.encode()).decrypt(sealed.encode()))
    except (InvalidToken, ValueError, TypeError):  # a forged or mangled key from a link
        return None
    return letter["s"], letter["b"]


@dataclass(frozen=True)
class Rules:
    """The delivery rules, bound once from the config (``Rules.from_config``)."""

    pepper: bytes  # the key of the HMAC kept of supporters' addresses
    confirm_ttl: timedelta  # unconfirmed requests (and their addresses) are then deleted
    repeat_window: timedelta  # one letter per address, official and campaign within it
    cap: int | None  # letters by email to one official within cap_window before holding
    cap_window: timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Rules:
        return cls(
            pepper=secret_bytes(config, "email"),
            confirm_ttl=timedelta(seconds=config["CONFIRM_TTL"]),
            repeat_window=timedelta(seconds=config["REPEAT_WINDOW"]),
            cap=config["DELIVERY_CAP_PER_OFFICIAL"],
            cap_window=timedelta(seconds=config["DELIVERY_CAP_WINDOW"]),
        )


@dataclass(frozen=True)
class LetterText:
    """What the supporter asks the app to send: the letter, their name, where they came from."""

    subject: str
    body: str
    name: str = ""
    source: str = ""


def request_delivery(
    db: Database,
    rules: Rules,
    campaign: Campaign,
    version: LetterVersion | None,
    official: Official,
    postcode: str,
    letter: LetterText,
    supporter_email: str,
    token: str,
) -> Delivery:
    """Keep a letter until its sender confirms their address. The same form token gives the
    same request; the same address, official and campaign within the repeat window is
    refused."""
    subject, body, supporter_name, source = letter.subject, letter.body, letter.name, letter.source
    pepper, repeat_window = rules.pepper, rules.repeat_window
    address = mail.checked_address(supporter_email, "email address")
    mail.header_safe(subject, "subject")
    mail.header_safe(supporter_name, "name")
    keyed = mail.email_hmac(address, pepper)
    with db.write() as session:
        existing = session.scalar(select(Delivery).where(Delivery.token == token))
        if existing is not None:
            return existing
        recent = session.scalar(
            select(Delivery.id).where(
                Delivery.email_hmac == keyed,
                Delivery.official_key == official.key,
                Delivery.campaign_id == campaign.id,
                Delivery.status != Status.UNCONFIRMED,
                Delivery.created_at > _now() - repeat_window,
            )
        )
        if recent is not None:
            raise AlreadySent(official.name)
        delivery = Delivery(
            campaign_id=campaign.id,
            template_id=version.id if version else None,
            official_key=official.key,
            official_name=official.name,
            official_office=official.elected_office,
            official_email=official.email,
            district_name=official.district_name,
            district_id=official.district_id,
            level=official.level,
            provider=official.source,
            postcode_prefix=prefix(postcode),
            source=source,
            subject=subject,
            body=body,
            supporter_name=supporter_name,
            supporter_email=address,
            email_hmac=keyed,
            token=token,
            status=Status.UNCONFIRMED,
        )
        session.add(delivery)
        session.flush()
        return delivery


def get(db: Database, delivery_id: int) -> Delivery | None:
    with db.reader() as session:
        return session.get(Delivery, delivery_id)


def confirm(db: Database, rules: Rules, campaign: Campaign, delivery_id: int) -> Delivery:
    """The supporter confirmed their address: queue the letter and count the contact (once,
    however often the link is used). Beyond ``rules.cap`` letters to one official within
    ``rules.cap_window``, a letter is held for an organizer to review instead of queued, so
    that no office is flooded from our server."""
    ttl, cap, cap_window = rules.confirm_ttl, rules.cap, rules.cap_window
    delivery = get(db, delivery_id)
    if delivery is None or delivery.campaign_id != campaign.id:
        raise Expired(delivery_id)
    if delivery.status != Status.UNCONFIRMED:
        return delivery
    if _now() - delivery.created_at > ttl:
        raise Expired(delivery_id)
    official = Official(
        name=delivery.official_name,
        elected_office=delivery.official_office,
        level=delivery.level,
        body="",
        district_name=delivery.district_name,
        district_id=delivery.district_id,
        source=delivery.provider,
    )
    with db.reader() as session:
        version = session.get(LetterVersion, delivery.template_id) if delivery.template_id else None
    recorded = record_contact(
        db,
        campaign,
        version,
        official,
        delivery.postcode_prefix,
        ContactMethod.EMAIL,
        delivery.token,
        source=delivery.source,
    )
    with db.write() as session:
        status = Status.QUEUED
        if cap is not None:
            recent = session.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.campaign_id == campaign.id,
                    Delivery.official_key == delivery.official_key,
                    Delivery.status.in_((Status.QUEUED, Status.SENDING, Status.SENT)),
                    Delivery.confirmed_at > _now() - cap_window,
                )
            )
            if recent >= cap:
                status = Status.HELD
        sealed, key = seal(delivery.subject, delivery.body)
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == Status.UNCONFIRMED)
            .values(
                status=status,
                confirmed_at=_now(),
                next_attempt_at=_now(),
                contact_action_id=recorded.action_id,
                sealed=sealed,
                seal_key=key,
            )
        )
    return get(db, delivery_id)


def held(db: Database, campaign_id: int) -> list[Delivery]:
    """Letters held back by the per-official cap, oldest first."""
    with db.reader() as session:
        return list(
            session.scalars(
                select(Delivery)
                .where(Delivery.campaign_id == campaign_id, Delivery.status == Status.HELD)
                .order_by(Delivery.confirmed_at)
            )
        )


def review_held(db: Database, campaign_id: int, delivery_id: int, release: bool) -> bool:
    """An organizer's decision on a held letter: send it after all (queued), or not (its
    text and the supporter's address are deleted; the contact stays counted)."""
    with db.write() as session:
        row = session.get(Delivery, delivery_id)
        if row is None or row.campaign_id != campaign_id or row.status != Status.HELD:
            return False
        if release:
            row.status, row.next_attempt_at = Status.QUEUED, _now()
        else:
            row.status, row.last_error = (
                Status.FAILED,
                "not sent: held and declined by an organizer",
            )
            _forget(row)
        return True


def _forget(row: Delivery) -> None:
    """A letter is done with (sent, failed or bounced): keep only its sealed text, which the
    supporter's status link alone can open, and nothing that names them."""
    row.subject = row.body = row.seal_key = ""
    row.supporter_email = row.supporter_name = ""


def _claim(db: Database, now: datetime, limit: int) -> list[Delivery]:
    with db.write() as session:
        # Claims abandoned by a worker that died go back to the queue.
        session.execute(
            update(Delivery)
            .where(
                Delivery.status == Status.SENDING,
                Delivery.next_attempt_at < now - CLAIM_TIMEOUT,
            )
            .values(status=Status.QUEUED)
        )
        due = session.scalars(
            select(Delivery)
            .where(Delivery.status == Status.QUEUED, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for delivery in due:
            delivery.status, delivery.next_attempt_at = Status.SENDING, now
        return list(due)


@dataclass
class QueueReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def process_queue(
    db: Database,
    sender: Sender,
    status_url: Callable[[Delivery], str],
    max_attempts: int = 5,
    limit: int = 100,
    send: Callable = mail.send,
) -> QueueReport:
    """Send every letter that is due; returns what happened."""
    report = QueueReport()
    for delivery in _claim(db, _now(), limit):
        letter = mail.Letter(
            to_name=delivery.official_name,
            to_address=delivery.official_email,
            subject=delivery.subject,
            body=delivery.body,
            reply_to=delivery.supporter_email,
            supporter_name=delivery.supporter_name,
        )
        try:
            message = mail.build_letter_message(
                letter,
                sender.from_address,
                sender.from_name,
                sender.verp(delivery.id),
                sender.domain,
            )
            refused = send(
                sender.smtp, message, sender.verp(delivery.id), [letter.to_address, letter.reply_to]
            )
            if (
                delivery.official_email in refused
                or mail.checked_address(delivery.official_email) in refused
            ):
                code = refused.get(delivery.official_email, (550, b""))[0]
                raise mail.SmtpError(f"official's address refused: {code}", code >= 500)
        except (mail.SmtpError, ValueError) as exc:
            permanent = not isinstance(exc, mail.SmtpError) or exc.permanent
            attempts = delivery.attempts + 1
            if permanent or attempts >= max_attempts:
                _finish_failed(db, sender, delivery, str(exc), status_url, send)
                report.failed += 1
            else:
                with db.write() as session:
                    row = session.get(Delivery, delivery.id)
                    row.status, row.attempts, row.last_error = (
                        Status.QUEUED,
                        attempts,
                        str(exc)[:200],
                    )
                    row.next_attempt_at = _now() + timedelta(
                        seconds=BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
                    )
                report.retrying += 1
            continue
        _notify_sent(db, sender, delivery, status_url, send)
        with db.write() as session:
            row = session.get(Delivery, delivery.id)
            row.status, row.sent_at, row.attempts = (
                Status.SENT,
                _now(),
                delivery.attempts + 1,
            )
            row.message_id, row.last_error = message["Message-ID"] or "", ""
            _forget(row)
        report.sent += 1
    if report.sent or report.failed:
        checkpoint(db)
    return report


def _finish_failed(
    db: Database,
    sender: Sender,
    delivery: Delivery,
    error: str,
    status_url: Callable[[Delivery], str],
    send: Callable,
) -> None:
    """Give up on a letter; tell the supporter how to send it themselves (the link carries
    the letter's key, which is then deleted here); forget them."""
    if delivery.supporter_email:
        languages = notice_languages(db, delivery)
        notice = mail.build_plain_message(
            to=delivery.supporter_email,
            subject=failure_subject(languages[0]),
            body=failure_notice(delivery.official_name, status_url(delivery), languages),
            from_address=sender.from_address,
            from_name=sender.from_name,
            domain=sender.domain,
        )
        with contextlib.suppress(mail.SmtpError):  # the status page says the same
            send(sender.smtp, notice, sender.from_address, [delivery.supporter_email])
    with db.write() as session:
        row = session.get(Delivery, delivery.id)
        row.status, row.last_error = Status.FAILED, error[:200]
        row.attempts = delivery.attempts + 1
        _forget(row)


def failure_notice(
    official_name: str, status_url: str, languages: list[str] | tuple[str, ...] = ("en",)
) -> str:
    """The text of the email telling a supporter their letter could not be delivered, in each
    of ``languages`` (Babel identifiers) in turn. Needs the app context (the ``deliver``
    command has one) for the template."""
    texts = []
    for language in languages:
        with force_locale(language):
            texts.append(
                render_template(
                    "email/delivery_failed.txt", official_name=official_name, status_url=status_url
                ).strip()
            )
    return "\n\n---\n\n".join(texts) + "\n"


# -- the language of a notice sent outside a request (issue 9) ----------------------------------
# The supporter's language is not stored with their letter (a language says much about who
# wrote), so a notice the worker sends is written in the letter's language first, then in every
# other language the app offers.


def notice_languages(db: Database, delivery: Delivery) -> list[str]:
    """Babel identifiers: the letter's language, then the app's other languages."""
    from flask import current_app

    from .locales import configured

    letter_language = None
    if delivery.template_id is not None:
        with db.reader() as session:
            version = session.get(LetterVersion, delivery.template_id)
            letter_language = configured(version.language) if version else None
    offered = [x for x in map(configured, current_app.config["LANGUAGE_LIST"]) if x is not None]
    ordered = ([letter_language] if letter_language else []) + offered
    return list(dict.fromkeys(x.identifier for x in ordered)) or ["en"]


def _notify_sent(
    db: Database,
    sender: Sender,
    delivery: Delivery,
    status_url: Callable[[Delivery], str],
    send: Callable,
) -> None:
    """Issue 14: give the supporter their letter's status link once it is sent, while their
    address and the letter's key still exist, so that a bounce can reach them (the status page
    then offers "send it yourself"). Best effort: the letter itself has gone already."""
    if not delivery.supporter_email or not has_app_context():
        return  # the text is a template: the deliver command has an app context, bare calls not
    languages = notice_languages(db, delivery)
    texts = []
    for language in languages:
        with force_locale(language):
            texts.append(
                render_template(
                    "email/letter_sent.txt",
                    official_name=delivery.official_name,
                    status_url=status_url(delivery),
                ).strip()
            )
    with force_locale(languages[0]):
        subject = gettext("Your letter was sent: keep this link")
    notice = mail.build_plain_message(
        to=delivery.supporter_email,
        subject=subject,
        body="\n\n---\n\n".join(texts) + "\n",
        from_address=sender.from_address,
        from_name=sender.from_name,
        domain=sender.domain,
    )
    with contextlib.suppress(mail.SmtpError):
        send(sender.smtp, notice, sender.from_address, [delivery.supporter_email])


def failure_subject(language: str) -> str:
    with force_locale(language):
        return gettext("Your letter could not be delivered")


def record_bounce(db: Database, secret: bytes, recipient: str) -> Delivery | None:
    """Mark the delivery a bounce message was addressed to (its VERP address) as bounced."""
    local = recipient.strip().strip("<>").rsplit("@", 1)[0]
    if "+" not in local:
        return None
    tag = local.rsplit("+", 1)[1]
    identifier, _, signature = tag.partition(".")
    if not identifier.isdigit():
        return None
    delivery_id = int(identifier)
    if not hmac.compare_digest(signature, verp_signature(secret, delivery_id)):
        return None
    with db.write() as session:
        row = session.get(Delivery, delivery_id)
        if row is None:
            return None
        row.status, row.last_error = Status.BOUNCED, "bounced after sending"
        _forget(row)
    return get(db, delivery_id)


def purge(db: Database, confirm_ttl: timedelta, keep_text: timedelta) -> int:
    """Delete requests never confirmed within the TTL (and with them the address), and clear
    the text, sealed or not, of letters finished longer ago than ``keep_text``. Returns rows
    changed."""
    now = _now()
    with db.write() as session:
        gone = (
            session.execute(
                delete(Delivery).where(
                    Delivery.status == Status.UNCONFIRMED,
                    Delivery.created_at < now - confirm_ttl,
                )
            ).rowcount
            or 0
        )
        cleared = (
            session.execute(
                update(Delivery)
                .where(
                    Delivery.status.in_((Status.SENT, Status.FAILED, Status.BOUNCED)),
                    # When it finished: sent, or last tried (a failure), or declined.
                    func.coalesce(Delivery.sent_at, Delivery.next_attempt_at, Delivery.confirmed_at)
                    < now - keep_text,
                    or_(Delivery.sealed != "", Delivery.body != "", Delivery.seal_key != ""),
                )
                .values(
                    subject="",
                    body="",
                    sealed="",
                    seal_key="",
                    supporter_email="",
                    supporter_name="",
                )
            ).rowcount
            or 0
        )
    if gone or cleared:
        checkpoint(db)
    return gone + cleared


def checkpoint(db: Database) -> None:
    """SQLite keeps the old copies of changed pages, cleared letters included, in its
    write-ahead log until a checkpoint: fold the log into the database file and empty it."""
    if db.engine.dialect.name != "sqlite":
        return
    # A raw connection: through SQLAlchemy the pragma would run inside a transaction.
    connection = db.engine.raw_connection()
    try:
        connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def status_counts(db: Database, campaign_id: int) -> dict[str, int]:
    with db.reader() as session:
        return dict(
            session.execute(
                select(Delivery.status, func.count(Delivery.id))
                .where(Delivery.campaign_id == campaign_id)
                .group_by(Delivery.status)
            ).all()
        )

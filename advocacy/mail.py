"""Sending letters: ``mailto:`` links built as RFC 6068 asks, and email through SMTP.

Every value that reaches a mail header is checked first: a line break of any kind (CR, LF,
NEL, the Unicode line and paragraph separators), a NUL or an RFC 2047 encoded word is refused,
so no supporter input can add a header. Messages are built with ``email.message.EmailMessage``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import quote, unquote, urlsplit

from email_validator import EmailNotValidError, validate_email


def mailto_link(to: str, subject: str, body: str = "") -> str:
    """A ``mailto:`` URI: every reserved character percent-encoded (``%20``, never ``+``),
    line breaks as ``%0D%0A``. Without a body, only the address and subject."""
    address = quote(to.strip(), safe="@")
    link = f"mailto:{address}?subject={quote(subject, safe='')}"
    if body:
        crlf = "\r\n".join(body.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        link += f"&body={quote(crlf, safe='')}"
    return link


def fits_mailto(link: str, limit: int) -> bool:
    """Whether a link is short enough that common mail clients will not cut it."""
    return len(link) <= limit


# -- header safety ------------------------------------------------------------------------------

_HEADER_BREAKS = re.compile(r"[\r\n\x00\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_ENCODED_WORD = re.compile(r"=\?[^?]*\?[bBqQ]\?", re.ASCII)


class HeaderInjection(ValueError):
    """A value meant for a mail header holds a line break or an encoded word."""


def header_safe(value: str, what: str = "value") -> str:
    """``value`` unchanged if it can go in a header as it is; HeaderInjection otherwise."""
    if _HEADER_BREAKS.search(value) or _ENCODED_WORD.search(value):
        raise HeaderInjection(f"the {what} may not contain line breaks or encoded words")
    return value


def checked_address(value: str, what: str = "address") -> str:
    """A syntactically valid email address (no display name), normalised."""
    header_safe(value, what)
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"the {what} is not a valid email address: {exc}") from exc


def email_hmac(email: str, pepper: bytes) -> str:
    """A keyed hash of an email address for telling repeat senders apart without keeping the
    address (a plain hash of an email is still personal data: it can be looked up)."""
    normalized = email.strip().lower().encode()
    return hmac.new(pepper, normalized, hashlib.sha256).hexdigest()


# -- messages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    """A letter ready to go by email."""

    to_name: str
    to_address: str
    subject: str
    body: str
    reply_to: str  # the supporter's address
    supporter_name: str = ""


def build_letter_message(
    letter: Letter, from_address: str, from_name: str, return_path: str, domain: str
) -> EmailMessage:
    """The email to the official: From the app's own domain (so DMARC passes), Reply-To the
    supporter, who also gets a copy (Cc)."""
    for value, what in (
        (letter.subject, "subject"),
        (letter.to_name, "official's name"),
        (letter.supporter_name, "name"),
        (from_name, "sender name"),
    ):
        header_safe(value, what)
    to = checked_address(letter.to_address, "official's address")
    reply_to = checked_address(letter.reply_to, "email address")
    message = EmailMessage()
    message["From"] = formataddr((from_name, checked_address(from_address, "From address")))
    message["To"] = str(Address(display_name=letter.to_name, addr_spec=to))
    message["Cc"] = str(Address(display_name=letter.supporter_name, addr_spec=reply_to))
    message["Reply-To"] = str(Address(display_name=letter.supporter_name, addr_spec=reply_to))
    message["Subject"] = letter.subject
    message["Message-ID"] = make_msgid(domain=domain)
    message["Return-Path"] = return_path
    message["Auto-Submitted"] = "no"
    message.set_content(letter.body)
    return message


def build_plain_message(
    to: str, subject: str, body: str, from_address: str, from_name: str, domain: str
) -> EmailMessage:
    """An email from the app to a supporter (a confirmation link, a delivery report)."""
    header_safe(subject, "subject")
    message = EmailMessage()
    message["From"] = formataddr((from_name, checked_address(from_address, "From address")))
    message["To"] = checked_address(to, "email address")
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


# -- SMTP ---------------------------------------------------------------------------------------


class SmtpError(Exception):
    """Sending failed. ``permanent`` when the server refused for good (a 5xx: a bounce)."""

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str = ""
    password: str = ""
    security: str = "none"  # "none", "starttls" or "tls"
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str, timeout: float = 10.0) -> SmtpSettings:
        """``smtp://user:pass@host:587`` (STARTTLS when the server offers it is not assumed:
        use ``smtp+starttls://``), ``smtps://host:465`` (TLS from the start)."""
        parts = urlsplit(url)
        security = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "tls"}.get(parts.scheme)
        if security is None or not parts.hostname:
            raise ValueError(
                "ADVOCACY_SMTP_URL must look like smtp://, smtp+starttls:// or "
                "smtps://[user:password@]host[:port]"
            )
        default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            security=security,
            timeout=timeout,
        )


def send(
    settings: SmtpSettings, message: EmailMessage, envelope_from: str, recipients: list[str]
) -> dict[str, tuple[int, bytes]]:
    """Hand ``message`` to the SMTP server. Returns the recipients it refused while accepting
    others; SmtpError (saying whether to retry) when it took nobody."""
    try:
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.username:
                client.login(settings.username, settings.password)
            refused = client.send_message(message, from_addr=envelope_from, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise SmtpError(f"recipients refused: {codes}", all(c >= 500 for c in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        raise SmtpError(f"SMTP {exc.smtp_code}", exc.smtp_code >= 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SmtpError(f"SMTP failed: {exc.__class__.__name__}", permanent=False) from exc
    return refused

"""Organizer accounts: Argon2id password hashes (rehashed when the parameters change), and
the session version that ends every earlier session at logout and at a password change."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update

from .db import Database
from .models import Organizer

PASSWORD_MIN = 12


@functools.cache
def hasher(time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4) -> PasswordHasher:
    """Argon2id with these parameters. The defaults are argon2-cffi's (RFC 9106's low-memory
    profile: 64 MiB, t=3), above OWASP's minimum; werkzeug's scrypt default is below it.
    Hashes made with other parameters are upgraded at the next login."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher_for(config) -> PasswordHasher:
    """The hasher the app's configuration asks for."""
    return hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"], config["ARGON2_PARALLELISM"]
    )


@functools.cache
def _dummy_hash(ph: PasswordHasher) -> str:
    """Verified against when the email is unknown, so both failures take the same time."""
    return ph.hash("not a real password, only for timing")


class AccountError(ValueError):
    """An email or password that cannot be used, with a message for the operator."""


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"not a valid email address: {exc}") from exc


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"the password must have at least {PASSWORD_MIN} characters")
    if len(password) > 1024:
        raise AccountError("the password is too long")


def login_name(email: str) -> str:
    """The form of a typed email that ``find`` compares with the stored (lower-case) one."""
    return email.strip().lower()


def find(db: Database, email: str) -> Organizer | None:
    with db.reader() as session:
        return session.scalar(
            select(Organizer).where(func.lower(Organizer.email) == login_name(email))
        )


def login_attempt_key(secret: str, email: str) -> str:
    """Who the per-account login limit counts: a keyed hash of the email as ``find`` reads it,
    the same for an unknown email as for a real one, so that limiter storage (Redis included)
    never holds an address and a limited account looks like any other."""
    key = f"{secret}:login-account".encode()
    return hmac.new(key, login_name(email).encode(), hashlib.sha256).hexdigest()[:32]


def get(db: Database, organizer_id: int) -> Organizer | None:
    with db.reader() as session:
        return session.get(Organizer, organizer_id)


def create_organizer(
    db: Database,
    email: str,
    password: str,
    update: bool = False,
    ph: PasswordHasher | None = None,
) -> bool:
    """Create an organizer (or, with ``update``, set an existing one's password).
    Returns whether a new account was created."""
    ph = ph or hasher()
    email = normalize_email(email)
    check_password(password)
    with db.write() as session:
        existing = session.scalar(select(Organizer).where(Organizer.email == email))
        if existing is not None:
            if not update:
                raise AccountError(f"an organizer with the email {email} exists already")
            existing.password_hash = ph.hash(password)
            existing.active = True
            # A new password ends every session opened with the old one.
            existing.session_version = Organizer.session_version + 1
            return False
        session.add(Organizer(email=email, password_hash=ph.hash(password)))
        return True


def end_sessions(db: Database, organizer_id: int) -> None:
    """Log the organizer out everywhere: every session that carries the current version,
    on any device and in any copy of its cookie, no longer loads."""
    with db.write() as session:
        session.execute(
            update(Organizer)
            .where(Organizer.id == organizer_id)
            .values(session_version=Organizer.session_version + 1)
        )


def authenticate(
    db: Database, email: str, password: str, ph: PasswordHasher | None = None
) -> Organizer | None:
    """The organizer with these credentials, or None (same time either way)."""
    ph = ph or hasher()
    organizer = find(db, email) if email else None
    if organizer is None or not organizer.active:
        with contextlib.suppress(VerificationError):
            ph.verify(_dummy_hash(ph), password or "")
        return None
    try:
        ph.verify(organizer.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if ph.check_needs_rehash(organizer.password_hash):
        with db.write() as session:
            stored = session.get(Organizer, organizer.id)
            stored.password_hash = ph.hash(password)
    return organizer

"""Organizer accounts: Argon2id password hashes (rehashed when the parameters change)."""

from __future__ import annotations

import contextlib
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

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


def find(db: Database, email: str) -> Organizer | None:
    with db.reader() as session:
        return session.scalar(
            select(Organizer).where(func.lower(Organizer.email) == email.strip().lower())
        )


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
            return False
        session.add(Organizer(email=email, password_hash=ph.hash(password)))
        return True


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

"""What the app holds about one email address, shown to its owner and deleted on request.

The owner proves the address is theirs by opening a link sent to it. Addresses are found by
their keyed hash (the same HMAC the signatures and email deliveries keep). Deleting keeps
every count: a signature stays counted, anonymous and unlisted; a letter already sent stays
counted; a letter not sent yet is dropped (its contact, if logged, stays counted).
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, select

from . import mail, statement
from .constants import DeliveryStatus
from .db import Database
from .models import Campaign, Delivery, Signature


def address_key(address: str, pepper: bytes) -> str:
    return mail.email_hmac(address, pepper)


def link_token(secret_key: str, key: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt="my-data").dumps(key)


def read_link_token(secret_key: str, token: str, max_age: int) -> str | None:
    try:
        value = URLSafeTimedSerializer(secret_key, salt="my-data").loads(token, max_age=max_age)
    except BadData:
        return None
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Held:
    signatures: list[tuple[Signature, str]]  # with the campaign's title
    letters: list[tuple[Delivery, str]]

    @property
    def empty(self) -> bool:
        return not self.signatures and not self.letters


def holds_anything(db: Database, key: str) -> bool:
    return not held(db, key).empty


def held(db: Database, key: str) -> Held:
    """Everything stored with this address: signatures that keep it (for news), and letters
    the app sends for it that still name the supporter."""
    with db.reader() as session:
        titles = dict(session.execute(select(Campaign.id, Campaign.title)).all())
        letters = list(
            session.scalars(
                select(Delivery).where(Delivery.email_hmac == key, Delivery.supporter_email != "")
            ).all()
        )
    signatures = statement.held_for(db, key)
    return Held(
        [(row, titles.get(row.campaign_id, "")) for row in signatures],
        [(row, titles.get(row.campaign_id, "")) for row in letters],
    )


def forget(db: Database, key: str) -> int:
    """Delete the personal data held with this address; counts stay. Returns the rows
    changed."""
    changed = statement.forget(db, key)
    with db.write() as session:
        # Letters not sent yet go (they would name the supporter to the office); letters sent
        # already hold no address any more (delivery.py forgets it once done).
        changed += (
            session.execute(
                delete(Delivery).where(
                    Delivery.email_hmac == key,
                    Delivery.status.in_(
                        (DeliveryStatus.UNCONFIRMED, DeliveryStatus.QUEUED, DeliveryStatus.HELD)
                    ),
                )
            ).rowcount
            or 0
        )
    return changed

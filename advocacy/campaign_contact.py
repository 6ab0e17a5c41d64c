"""Who runs a campaign, how to reach them, and its privacy page (issue 14).

A supporter at risk must be able to see who is behind a campaign before writing. Organizers
name themselves and a contact; the privacy page is theirs to write, and until they do, the app
shows one generated from the actual settings (views/about.py, public/privacy.html)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .db import Database
from .memo import Memo
from .models import CampaignContact, utcnow

NAME_MAX = 200
CONTACT_MAX = 254
PRIVACY_MAX = 20_000


@dataclass(frozen=True)
class Contact:
    """What supporters are told about who runs a campaign ("" where nothing is set)."""

    organizer_name: str = ""
    contact: str = ""
    privacy_text: str = ""  # Markdown written by organizers; "" = the generated page

    @property
    def contact_is_email(self) -> bool:
        return "@" in self.contact and not self.contact.startswith(("http://", "https://"))


def get(db: Database, campaign_id: int) -> Contact:
    with db.reader() as session:
        row = session.scalar(
            select(CampaignContact).where(CampaignContact.campaign_id == campaign_id)
        )
    if row is None:
        return Contact()
    return Contact(row.organizer_name, row.contact, row.privacy_text)


def kept(memo: Memo, db: Database, campaign_id: int) -> Contact:
    """``get``, through the memo that keeps the campaign (issue 13): the footer of every
    supporter page shows it, and a session per page was a quarter of the officials page's time
    under load. The memo drops it when an organizer's save commits in this process (the table
    is one of supporting.MEMO_TABLES), and other workers see the save within its TTL."""
    return memo.get(("campaign contact", campaign_id), lambda: get(db, campaign_id))


def save(db: Database, campaign_id: int, contact: Contact, by: str | None) -> None:
    """Store who runs the campaign (one row per campaign, replaced on each save)."""
    with db.write() as session:
        row = session.get(CampaignContact, campaign_id)
        if row is None:
            row = CampaignContact(campaign_id=campaign_id)
            session.add(row)
        row.organizer_name = contact.organizer_name.strip()[:NAME_MAX]
        row.contact = contact.contact.strip()[:CONTACT_MAX]
        row.privacy_text = contact.privacy_text.strip()[:PRIVACY_MAX]
        row.updated_at = utcnow()
        row.updated_by = by

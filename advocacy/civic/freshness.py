"""How old each provider's data is, for the organizer's campaign page (issue 11): the oldest
and newest lookups kept in the cache, and for the United States when the members of Congress
were loaded and of which Congress they are. Reads only; never calls an upstream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..db import Database
from ..models import LookupCacheEntry, USLegislator
from . import us


@dataclass(frozen=True)
class DataAge:
    """What the app holds from one provider, and since when."""

    provider: str
    lookups: int  # answers kept in the lookup cache
    oldest_lookup: datetime | None
    newest_lookup: datetime | None
    members_loaded: datetime | None = None  # US: the last `refresh-us-legislators`
    members: int = 0
    members_congress: int | None = None


def data_age(db: Database, provider: str) -> DataAge:
    """The age of ``provider``'s data. Cache keys start with the provider's name and a colon
    (the rest is a keyed hash), so no postal code is read."""
    prefix = provider.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":"
    with db.reader() as session:
        count, oldest, newest = session.execute(
            select(
                func.count(),
                func.min(LookupCacheEntry.fetched_at),
                func.max(LookupCacheEntry.fetched_at),
            ).where(
                LookupCacheEntry.key.like(prefix + "%", escape="\\"), LookupCacheEntry.payload != ""
            )
        ).one()
        members_loaded, members = None, 0
        if provider == us.NAME:
            members_loaded, members = session.execute(
                select(func.max(USLegislator.updated_at), func.count())
            ).one()
    return DataAge(
        provider=provider,
        lookups=count or 0,
        oldest_lookup=oldest,
        newest_lookup=newest,
        members_loaded=members_loaded,
        members=members or 0,
        members_congress=us.stored_congress(db) if members else None,
    )

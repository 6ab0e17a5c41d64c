"""Recording a contact action (``actions.record_contact``: a BEGIN IMMEDIATE transaction
committed with synchronous=FULL, so it waits for the disk) against a plain ``SELECT 1``
transaction on the same SQLite file."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select

from . import DEMO_SLUG, POSTCODE, Result, compare, demo_app, demo_official


def run(seconds: float) -> Result:
    from advocacy import actions, campaigns

    with tempfile.TemporaryDirectory(prefix="advocacy-bench-") as directory:
        app = demo_app(Path(directory))
        db = app.extensions["advocacy_db"]
        campaign = campaigns.live_campaign(db, DEMO_SLUG)
        template = campaigns.letter_version(db, campaign, "en")
        official = demo_official()

        def record() -> None:
            token = actions.new_token()
            recorded = actions.record_contact(
                db, campaign, template, official, POSTCODE, "mailto", token
            )
            assert recorded.created

        def select_one() -> None:
            with db.reader() as session, session.begin():
                session.execute(select(1)).scalar()

        result = compare(
            "record a contact action", record, "SELECT 1 transaction", select_one, seconds
        )
        db.engine.dispose()
        return result

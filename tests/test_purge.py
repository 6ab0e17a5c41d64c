"""``advocacy purge --older-than DAYS``: personal data past retention goes, every count stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from advocacy import statement
from advocacy.models import Campaign, Signature

from .test_statement import sign


def _age(db, days: int) -> None:
    with db.write() as session:
        for row in session.scalars(select(Signature)):
            row.created_at = datetime.now(UTC) - timedelta(days=days)


def _counts(db):
    with db.reader() as session:
        campaign = session.scalar(select(Campaign))
    return (
        statement.total(db, campaign.id),
        statement.tally(db, campaign.id, "district"),
        statement.tally(db, campaign.id, "day"),
        statement.tally(db, campaign.id, "source"),
    )


def _signed_three(app, db, represent):
    represent.add("K1P5G4")
    sign(app.test_client(), postcode="K1P 5G4", display="name", name="Ada Listed", listed="y")
    sign(app.test_client(), postcode="K1P 5G4", display="name", name="Bo Private")
    sign(app.test_client(), postcode="K1P 5G4")
    # An address kept for news, confirmed (as the double opt-in leaves it).
    with db.write() as session:
        row = session.scalar(select(Signature).where(Signature.shown_as == "Bo Private"))
        row.email, row.email_hmac = "bo@example.org", "f" * 64
        row.email_confirmed_at = datetime.now(UTC)


def test_purge_removes_personal_data_and_keeps_every_count(app, db, runner, represent):
    _signed_three(app, db, represent)
    _age(db, 400)
    before = _counts(db)
    result = runner.invoke(args=["purge", "--older-than", "365"])
    assert result.exit_code == 0, result.output
    assert "1 emails and 1 names removed" in result.output
    with db.reader() as session:
        rows = session.scalars(select(Signature)).all()
    assert all(row.email == "" and row.email_hmac == "" for row in rows)
    assert sorted(row.shown_as for row in rows) == ["", "", "Ada Listed"]  # listed: public
    assert _counts(db) == before
    assert before[0] == 3 and before[1]


def test_purge_keeps_what_is_within_retention(app, db, runner, represent):
    _signed_three(app, db, represent)
    _age(db, 30)
    assert runner.invoke(args=["purge", "--older-than", "365"]).exit_code == 0
    with db.reader() as session:
        names = sorted(row.shown_as for row in session.scalars(select(Signature)))
        emails = [row.email for row in session.scalars(select(Signature)) if row.email]
    assert names == ["", "Ada Listed", "Bo Private"] and emails == ["bo@example.org"]


def test_unconfirmed_addresses_go_after_the_confirmation_window(app, db, runner, represent):
    _signed_three(app, db, represent)
    with db.write() as session:
        row = session.scalar(select(Signature).where(Signature.email != ""))
        row.email_confirmed_at = None
    _age(db, 2)  # CONFIRM_TTL is one day
    assert runner.invoke(args=["purge", "--older-than", "365"]).exit_code == 0
    with db.reader() as session:
        assert not [r for r in session.scalars(select(Signature)) if r.email]
        assert session.scalar(select(Signature).where(Signature.shown_as == "Bo Private"))


def test_purge_needs_a_retention(runner):
    assert runner.invoke(args=["purge"]).exit_code != 0
    assert runner.invoke(args=["purge", "--older-than", "0"]).exit_code != 0


# -- a supporter sees and deletes their own data, from a link sent to their address ------------


def test_a_signer_sees_and_deletes_their_data_from_a_link_sent_to_their_address(
    tmp_path, represent
):
    import re

    from .helpers import csrf_token, hidden
    from .smtp import SmtpServer
    from .test_statement import make_app

    with SmtpServer() as smtp:
        app = make_app(
            tmp_path,
            SMTP_URL=smtp.url,
            MAIL_FROM="news@advocacy.example",
            PUBLIC_URL="https://advocacy.example",
        )
        db = app.extensions["advocacy_db"]
        represent.add("K1P5G4")
        sign(
            app.test_client(),
            postcode="K1P 5G4",
            display="name",
            name="Wei Chen",
            listed="y",
            email="wei@example.org",
            updates="y",
        )
        before = _counts(db)
        assert "/my-data" in smtp.inbox.messages[0].message.get_content()
        client = app.test_client()

        def ask(address):
            page = client.get("/my-data").get_data(as_text=True)
            return client.post(
                "/my-data",
                data={
                    "csrf_token": csrf_token(page),
                    "started": hidden(page, "started"),
                    "email": address,
                },
            )

        # An address we hold nothing for gets the same answer, and no email.
        other = ask("nobody@example.org")
        assert other.status_code == 200 and "If we hold anything" in other.get_data(as_text=True)
        assert len(smtp.inbox.messages) == 1
        mine = ask("Wei@example.org")
        assert "If we hold anything" in mine.get_data(as_text=True)
        [_, message] = smtp.inbox.messages
        assert message.recipients == ["Wei@example.org"]
        link = re.search(r"https://advocacy\.example(/my-data/\S+)", message.message.get_content())
        page = client.get(link.group(1)).get_data(as_text=True)
        assert "wei@example.org" in page and "Wei Chen" in page
        gone = client.post(
            link.group(1), data={"csrf_token": csrf_token(page)}, follow_redirects=True
        )
        assert "Nothing: we hold no data with this address." in gone.get_data(as_text=True)
        with db.reader() as session:
            row = session.scalar(select(Signature))
        assert (row.email, row.shown_as, row.listed) == ("", "", False)
        assert _counts(db) == before  # still counted
        assert client.get("/my-data/forged").status_code == 410


def test_the_data_request_form_refuses_robots(client, db):
    from .helpers import csrf_token, hidden

    page = client.get("/my-data").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "started": hidden(page, "started")}
    assert (
        client.post("/my-data", data={**data, "email": "a@example.org", "website": "x"}).status_code
        == 422
    )
    assert client.post("/my-data", data={"email": "a@example.org"}).status_code == 400

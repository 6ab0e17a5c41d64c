"""Signing the campaign's statement, through the test client: counted once per person, by
district through the same lookup and cache as letters, email only with consent (double
opt-in on a real SMTP server on loopback), the organizers' CSV."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from advocacy import create_app
from advocacy.models import Signature, SignatureDistrict, Statement

from .conftest import DEMO_SLUG, test_config
from .helpers import csrf_token, hidden, lookup
from .smtp import SmtpServer

URL = f"/c/{DEMO_SLUG}/statement"


def sign(client, follow=True, **fields):
    page = client.get(URL).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "statement_id": hidden(page, "statement_id"),
        "started": hidden(page, "started"),
        "source": hidden(page, "source"),
        "display": "anonymous",
        "name": "",
        "city": "",
        "postcode": "",
        "email": "",
    }
    data.update({k: v for k, v in fields.items() if v is not None})
    return client.post(URL, data=data, follow_redirects=follow)


def count(db, model=Signature) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_demo_statement_ships_in_three_languages(client, db):
    with db.reader() as session:
        languages = set(session.scalars(select(Statement.language)))
    assert languages == {"en", "fr", "zh-Hant"}
    assert "transnational repression" in client.get(URL).get_data(as_text=True)
    french = client.get(URL, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "répression transnationale" in french
    chinese = client.get(URL, headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert "跨國鎮壓" in chinese


def test_sign_with_a_postal_code_counts_by_district_then_write_without_typing_it(
    client, db, represent
):
    represent.add("K1P5G4")
    page = sign(client, postcode="K1P 5G4").get_data(as_text=True)
    assert "Your signature is counted." in page
    assert "1 person has signed so far." in page
    assert count(db) == 1
    with db.reader() as session:
        districts = {row.district_name for row in session.scalars(select(SignatureDistrict))}
        row = session.scalar(select(Signature))
    assert "Ottawa Centre" in districts
    assert row.postcode_prefix == "K1P" and row.email == "" and row.shown_as == ""
    # Signs then writes: the officials page opens without the postal code typed again.
    officials = client.get(f"/c/{DEMO_SLUG}/officials")
    assert officials.status_code == 200
    assert represent.calls("K1P5G4") == 1


def test_write_then_sign_is_not_asked_for_the_postal_code(client, db, represent):
    represent.add("K1P5G4")
    lookup(client, "K1P 5G4")
    form = client.get(URL).get_data(as_text=True)
    assert "Counted in the districts of your postal code K1P 5G4" in form
    page = sign(client).get_data(as_text=True)
    assert "Your signature is counted." in page
    assert represent.calls("K1P5G4") == 1  # read from the cache, no second upstream call
    assert count(db, SignatureDistrict) >= 1


def test_no_postal_code_known_asks_for_it(client, db):
    response = sign(client)
    assert response.status_code == 422
    assert "we count signatures by district" in response.get_data(as_text=True)
    assert count(db) == 0


def test_a_second_signature_is_counted_once_and_says_so(app, client, db, represent):
    represent.add("K1P5G4")
    sign(client, postcode="K1P 5G4", email="Wei@Example.org")
    again = sign(client, postcode="K1P 5G4").get_data(as_text=True)
    assert "Each person is counted once: your first signature stands" in again
    # The same address from another browser is the same person.
    other = app.test_client()
    page = sign(other, postcode="K1P 5G4", email=" wei@example.org ").get_data(as_text=True)
    assert "counted once" in page
    assert count(db) == 1
    # Without an email, another browser is another person.
    sign(app.test_client(), postcode="K1P 5G4")
    assert count(db) == 2


def test_an_email_without_consent_is_not_stored(client, db, represent):
    represent.add("K1P5G4")
    sign(client, postcode="K1P 5G4", email="wei@example.org")
    with db.reader() as session:
        row = session.scalar(select(Signature))
    assert row.email == "" and row.email_hmac == ""
    assert "wei@example.org" not in row.signer_key


def make_app(tmp_path, **overrides):
    tmp_path.mkdir(exist_ok=True)
    app = create_app(test_config(tmp_path, **overrides))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        assert runner.invoke(args=command).exit_code == 0
    return app


def test_robots_are_refused(tmp_path, client, db, represent):
    represent.add("K1P5G4")
    assert sign(client, postcode="K1P 5G4", website="http://spam").status_code == 422
    slow = make_app(tmp_path / "slow", MIN_FILL_SECONDS=60)
    assert sign(slow.test_client(), postcode="K1P 5G4").status_code == 422
    assert count(slow.extensions["advocacy_db"]) == 0
    no_csrf = client.post(URL, data={"display": "anonymous", "postcode": "K1P 5G4"})
    assert no_csrf.status_code == 400
    assert count(db) == 0


def test_names_are_listed_only_when_the_signer_asks(app, db, represent):
    represent.add("K1P5G4")
    sign(app.test_client(), postcode="K1P 5G4", display="name", name="Ada Listed", listed="y")
    sign(app.test_client(), postcode="K1P 5G4", display="name", name="Bo Private")
    sign(
        app.test_client(),
        postcode="K1P 5G4",
        display="initials",
        name="Chen Wei Ming",
        city="Ottawa",
        listed="y",
    )
    page = app.test_client().get(f"/c/{DEMO_SLUG}/").get_data(as_text=True)
    assert "3 people have signed so far." in page and "Our goal is 1,000." in page
    assert "Ada Listed" in page and "C. W. M., Ottawa" in page
    assert "Bo Private" not in page and "Chen Wei Ming" not in page


def test_a_name_is_needed_unless_anonymous_and_anonymous_only_where_allowed(
    app, client, db, represent
):
    represent.add("K1P5G4")
    response = sign(client, postcode="K1P 5G4", display="name")
    assert response.status_code == 422
    assert "Please enter your name" in response.get_data(as_text=True)
    with db.write() as session:
        for row in session.scalars(select(Statement)):
            row.allow_anonymous = False
    assert sign(client, postcode="K1P 5G4", display="anonymous").status_code == 422
    assert count(db) == 0


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def test_updates_by_email_need_consent_and_confirmation(tmp_path, smtp, represent):
    app = make_app(
        tmp_path,
        SMTP_URL=smtp.url,
        MAIL_FROM="news@advocacy.example",
        PUBLIC_URL="https://advocacy.example",
    )
    db = app.extensions["advocacy_db"]
    represent.add("K1P5G4")
    client = app.test_client()
    page = sign(
        client,
        postcode="K1P 5G4",
        display="name",
        name="Wei Chen",
        email="wei@example.org",
        updates="y",
    ).get_data(as_text=True)
    assert "Check your email" in page
    [message] = smtp.inbox.messages
    assert message.recipients == ["wei@example.org"]
    link = re.search(r"https://advocacy\.example(/\S+)", message.message.get_content()).group(1)
    with db.reader() as session:
        row = session.scalar(select(Signature))
    assert row.email == "wei@example.org" and row.email_confirmed_at is None
    # Not confirmed yet: the organizers' export has no address.
    with app.test_request_context():
        from advocacy import statement

        assert "wei@example.org" not in statement.export_csv(db, row.campaign_id)
    # Opening the link changes nothing; pressing its button confirms.
    confirm_page = client.get(link).get_data(as_text=True)
    with db.reader() as session:
        assert session.scalar(select(Signature)).email_confirmed_at is None
    done = client.post(link, data={"csrf_token": csrf_token(confirm_page)})
    assert "your address is confirmed" in done.get_data(as_text=True)
    with db.reader() as session:
        assert session.scalar(select(Signature)).email_confirmed_at is not None
    from advocacy import statement

    exported = statement.export_csv(db, row.campaign_id)
    assert "wei@example.org" in exported and "Wei Chen" in exported


def test_organizers_see_signatures_by_district_day_and_source_and_export_them(
    app, client, db, runner, represent
):
    from .admin_helpers import create_organizer, login, post_form

    represent.add("K1P5G4")
    sign(app.test_client(), postcode="K1P 5G4", display="name", name="Ada Listed", listed="y")
    sign(app.test_client(), postcode="K1P 5G4", display="name", name="Bo Private")
    create_organizer(runner)
    login(client)
    with db.reader() as session:
        campaign_id = session.scalar(select(Statement.campaign_id))
    page = client.get(f"/admin/campaigns/{campaign_id}/statement").get_data(as_text=True)
    assert "2 signatures." in page and "Ottawa Centre" in page and "direct" in page
    exported = client.get(f"/admin/campaigns/{campaign_id}/statement/signatures.csv")
    text = exported.get_data(as_text=True)
    assert exported.mimetype == "text/csv" and text.count("\n") == 3
    assert "Ada Listed" in text and "Bo Private" in text
    # A new version is saved; the public page shows it.
    saved = post_form(
        client,
        f"/admin/campaigns/{campaign_id}/statement",
        {"language": "en", "body": "We ask for **clarity**.", "allow_anonymous": "y"},
    )
    assert saved.status_code == 303
    assert "We ask for <strong>clarity</strong>." in app.test_client().get(URL).get_data(
        as_text=True
    )
    # The tally command counts signatures by district too.
    result = runner.invoke(args=["tally", "--campaign", DEMO_SLUG, "--by", "district"])
    assert result.exit_code == 0, result.output
    assert "statement signatures by district" in result.output
    assert re.search(r"Ottawa Centre\s+federal\s+2", result.output)


def test_organizer_pages_need_a_login(client, db):
    assert client.get("/admin/campaigns/1/statement").status_code in (302, 401)
    assert client.get("/admin/campaigns/1/statement/signatures.csv").status_code in (302, 401)

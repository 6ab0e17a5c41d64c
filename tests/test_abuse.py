"""Robots, repeated letters and untouched templates, through the supporter's pages."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from advocacy import create_app
from advocacy.models import ContactAction

from .conftest import test_config
from .helpers import hidden, letter_form_data, lookup, textarea, write_links
from .test_public import confirm, review


def make_client(tmp_path, represent, **overrides):
    app = create_app(test_config(tmp_path, **overrides))
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo"])
    represent.add("K1P5G4")
    client = app.test_client()
    page = lookup(client, "K1P 5G4").get_data(as_text=True)
    link = next(h for h in write_links(page))
    return app, client, link


def rows(app) -> list[ContactAction]:
    with app.extensions["advocacy_db"].reader() as session:
        return list(session.scalars(select(ContactAction)))


def old_stamp(app, seconds_ago: float) -> str:
    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - seconds_ago)

    return Past(app.config["SECRET_KEY"], salt="letter-form-shown").sign(b"shown").decode()


def test_a_filled_honeypot_is_turned_back_and_nothing_counts(tmp_path, represent):
    app, client, link = make_client(tmp_path, represent)
    page = client.get(link).get_data(as_text=True)
    assert 'class="hp" aria-hidden="true"' in page and 'name="website"' in page
    response = review(client, link, page, website="http://spam.example")
    assert response.status_code == 422
    send = review(client, link, page).get_data(as_text=True)
    data = {"website": "http://spam.example"}
    response = client.post(
        link.replace("/write/", "/sent/"),
        data={
            **{k: hidden(send, k) for k in ("postcode", "token", "template_id", "proof")},
            "csrf_token": hidden(send, "csrf_token"),
            **data,
        },
    )
    assert response.status_code == 400 and rows(app) == []


def test_a_letter_sent_back_in_a_flash_is_returned_with_the_text_kept(tmp_path, represent):
    app, client, link = make_client(tmp_path, represent, MIN_FILL_SECONDS=30.0)
    page = client.get(link).get_data(as_text=True)
    mine = textarea(page, "body") + "\n\nMy own words."
    response = review(client, link, page, body=mine)
    assert response.status_code == 422
    again = response.get_data(as_text=True)
    assert "Please read your letter over once more" in again
    assert "My own words." in textarea(again, "body")
    # A person who took their time gets through.
    data = letter_form_data(page, body=mine, started=old_stamp(app, 60))
    assert client.post(link, data=data, follow_redirects=True).status_code == 200


def test_a_confirmation_needs_the_servers_proof(tmp_path, represent):
    app, client, link = make_client(tmp_path, represent)
    page = client.get(link).get_data(as_text=True)
    send = review(client, link, page).get_data(as_text=True)
    base = {k: hidden(send, k) for k in ("postcode", "token", "template_id")}
    base["csrf_token"] = hidden(send, "csrf_token")
    for proof in ("", "forged.proof"):
        response = client.post(link.replace("/write/", "/sent/"), data={**base, "proof": proof})
        assert response.status_code == 400
    assert rows(app) == []


def test_the_same_letter_from_the_same_client_counts_once(tmp_path, represent):
    app, client, link = make_client(tmp_path, represent, DUPLICATE_LETTER_WINDOW=86400)
    for _ in range(2):  # two fresh forms, the same letter
        page = client.get(link).get_data(as_text=True)
        confirm(client, link, review(client, link, page).get_data(as_text=True))
    assert len(rows(app)) == 1
    page = client.get(link).get_data(as_text=True)  # a different letter counts
    changed = textarea(page, "body") + "\n\nAnd another thing."
    confirm(client, link, review(client, link, page, body=changed).get_data(as_text=True))
    assert len(rows(app)) == 2


def test_the_same_letter_from_another_client_counts(tmp_path, represent):
    app, client, link = make_client(tmp_path, represent, DUPLICATE_LETTER_WINDOW=86400)
    page = client.get(link).get_data(as_text=True)
    confirm(client, link, review(client, link, page).get_data(as_text=True))
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    lookup(other, "K1P 5G4")
    page = other.get(link).get_data(as_text=True)
    confirm(other, link, review(other, link, page).get_data(as_text=True))
    assert len(rows(app)) == 2


@pytest.mark.parametrize(("edit", "personalized"), [(False, False), (True, True)])
def test_untouched_letters_are_marked_and_supporters_encouraged(
    tmp_path, represent, edit, personalized
):
    app, client, link = make_client(tmp_path, represent)
    page = client.get(link).get_data(as_text=True)
    changes = (
        {"body": textarea(page, "body") + "\n\nMy grandmother lives in Hong Kong."} if edit else {}
    )
    send = review(client, link, page, name="Wei", **changes).get_data(as_text=True)
    assert ("word for word the campaign" in send) is not edit
    confirm(client, link, send)
    [action] = rows(app)
    assert action.personalized is personalized
    assert action.fingerprint and "127.0.0.1" not in action.fingerprint


def test_the_dashboard_counts_letters_in_own_words(tmp_path, represent):
    from advocacy import tallies

    app, client, link = make_client(tmp_path, represent)
    for extra in ("", "\n\nIn my own words."):
        page = client.get(link).get_data(as_text=True)
        body = textarea(page, "body") + extra
        confirm(client, link, review(client, link, page, body=body).get_data(as_text=True))
    [campaign_id] = {action.campaign_id for action in rows(app)}
    result = tallies.tally(app.extensions["advocacy_db"], campaign_id, "wording")
    assert {row.label: row.count for row in result.rows} == {"own words": 1, "campaign's text": 1}

"""Email delivery through the supporter's pages, with a real SMTP server on loopback."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from advocacy import create_app
from advocacy.models import Campaign, ContactAction, Delivery

from .conftest import DEMO_SLUG, test_config
from .helpers import csrf_token, hidden, lookup, write_links
from .smtp import SmtpServer
from .test_public import review


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def make_app(tmp_path, smtp, represent, delivery_on=True, **overrides):
    app = create_app(
        test_config(
            tmp_path,
            SMTP_URL=smtp.url,
            MAIL_FROM="letters@advocacy.example",
            PUBLIC_URL="https://advocacy.example",
            **overrides,
        )
    )
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo"])
    with app.extensions["advocacy_db"].write() as session:
        session.scalar(select(Campaign)).server_delivery = delivery_on
    represent.add("K1P5G4")
    return app


def send_page(client):
    page = lookup(client, "K1P 5G4").get_data(as_text=True)
    link = next(h for h in write_links(page))
    letter = client.get(link).get_data(as_text=True)
    return link, review(client, link, letter, name="Wei Chen").get_data(as_text=True)


def ask(client, link, page, email="wei@example.org"):
    key = link.rsplit("/", 1)[1]
    data = {name: hidden(page, name) for name in ("letter", "postcode", "token", "template_id")}
    data["csrf_token"] = csrf_token(page)
    data["email"] = email
    return client.post(f"/c/{DEMO_SLUG}/deliver/{key}", data=data)


def test_the_whole_delivery_path(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent)
    client = app.test_client()
    link, page = send_page(client)
    assert "Or let us send it for you" in page
    response = ask(client, link, page)
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    [confirmation] = smtp.inbox.messages
    assert confirmation.recipients == ["wei@example.org"]
    text = confirmation.message.get_content()
    url = re.search(r"https://advocacy\.example(/c/\S+/confirm/\S+)", text).group(1)
    db = app.extensions["advocacy_db"]
    with db.reader() as session:
        assert session.scalar(select(ContactAction)) is None  # not before confirmation
    # Opening the link changes nothing (mail scanners open links); the button does.
    confirm_page = client.get(url).get_data(as_text=True)
    assert "Confirm and send my letter" in confirm_page
    response = client.post(url, data={"csrf_token": csrf_token(confirm_page)})
    assert response.status_code == 303
    status_url = response.headers["Location"]
    assert "in the queue" in client.get(status_url).get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["deliver"])
    assert "sent 1" in result.output
    letter = next(m for m in smtp.inbox.messages if m.message["To"] and "parl" in m.message["To"])
    assert letter.message["To"] == "Alexandra Placeholder <alexandra.placeholder@parl.gc.ca>"
    assert letter.message["Reply-To"] == "Wei Chen <wei@example.org>"
    assert "Wei Chen" in letter.message.get_content()
    assert "Sent." in client.get(status_url).get_data(as_text=True)
    with db.reader() as session:
        action = session.scalar(select(ContactAction))
        delivery = session.scalar(select(Delivery))
    assert action.method == "email" and delivery.supporter_email == ""


def test_not_offered_when_the_campaign_does_not_enable_it(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent, delivery_on=False)
    client = app.test_client()
    _, page = send_page(client)
    assert "Or let us send it for you" not in page


def test_a_tampered_letter_is_refused(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent)
    client = app.test_client()
    link, page = send_page(client)
    forged = page.replace(hidden(page, "letter"), "eyJzIjoiZm9yZ2VkIn0.forged")
    assert ask(client, link, forged).status_code == 400
    assert smtp.inbox.messages == []


def test_a_bad_address_is_explained(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent)
    client = app.test_client()
    link, page = send_page(client)
    response = ask(client, link, page, email="not an address")
    assert response.status_code == 422
    assert "valid email address" in response.get_data(as_text=True)


def test_smtp_down_falls_back_to_sending_it_yourself(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent)
    client = app.test_client()
    link, page = send_page(client)
    from .smtp import free_port

    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listening there
    response = ask(client, link, page)
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "send your letter yourself" in body and 'href="mailto:' in body


def test_an_expired_or_forged_confirmation_link(tmp_path, smtp, represent):
    app = make_app(tmp_path, smtp, represent)
    client = app.test_client()
    response = client.get(f"/c/{DEMO_SLUG}/confirm/forged-token")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_beyond_the_cap_letters_are_held_for_an_organizer(tmp_path, smtp, represent):
    from .admin_helpers import create_organizer, login

    app = make_app(tmp_path, smtp, represent, DELIVERY_CAP_PER_OFFICIAL=1)
    statuses = []
    for number in range(2):
        client = app.test_client()
        link, page = send_page(client)
        ask(client, link, page, email=f"supporter{number}@example.org")
        text = smtp.inbox.messages[-1].message.get_content()
        url = re.search(r"https://advocacy\.example(/c/\S+/confirm/\S+)", text).group(1)
        confirm_page = client.get(url).get_data(as_text=True)
        status_url = client.post(url, data={"csrf_token": csrf_token(confirm_page)}).headers[
            "Location"
        ]
        statuses.append(client.get(status_url).get_data(as_text=True))
    assert "in the queue" in statuses[0]
    assert "organizers will look at yours" in statuses[1]
    runner = app.test_cli_runner()
    assert "sent 1" in runner.invoke(args=["deliver"]).output  # the held one waits
    db = app.extensions["advocacy_db"]
    with db.reader() as session:
        assert len(session.scalars(select(ContactAction)).all()) == 2  # both count
    create_organizer(runner)
    organizer = app.test_client()
    login(organizer)
    page = organizer.get("/admin/campaigns/1/held").get_data(as_text=True)
    assert "Alexandra Placeholder" in page and "Release" in page
    held_id = re.search(r'name="delivery" type="hidden" value="(\d+)"', page).group(1)
    organizer.post(
        "/admin/campaigns/1/held",
        data={"csrf_token": csrf_token(page), "delivery": held_id, "decision": "release"},
    )
    assert "sent 1" in runner.invoke(args=["deliver"]).output
    assert "No letter is held" in organizer.get("/admin/campaigns/1/held").get_data(as_text=True)


def test_the_organizers_dashboard_shows_delivery_statuses(tmp_path, smtp, represent):
    from .admin_helpers import create_organizer, login

    app = make_app(tmp_path, smtp, represent)
    client = app.test_client()
    link, page = send_page(client)
    ask(client, link, page)
    create_organizer(app.test_cli_runner())
    organizer = app.test_client()
    login(organizer)
    assert "by email: unconfirmed 1" in organizer.get("/admin/").get_data(as_text=True)

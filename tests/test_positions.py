"""What officials answer: supporters report replies after sending (one report per browser and
official, no identity), organizers moderate excerpts and record sourced positions, and the
public scorecard shows both, filterable by level and province."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from advocacy.models import Campaign, ReplyReport

from .admin_helpers import create_organizer, login, post_form
from .conftest import DEMO_SLUG
from .helpers import csrf_token, hidden
from .test_reports import write

SCORECARD = f"/c/{DEMO_SLUG}/scorecard"
REPLY = "Thank you for writing. I will raise this in the House."


def reply_link(client) -> str:
    page = client.get(f"/c/{DEMO_SLUG}/thanks").get_data(as_text=True)
    links = re.findall(r'href="(/c/[^"]+/reply/[^"]+)"', page)
    assert links, "no reply link on the thanks page"
    return unescape(links[0])


def report(client, link: str, **fields):
    page = client.get(link).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "started": hidden(page, "started"),
        "replied": "yes",
        "position": "supports",
        "excerpt": "",
    }
    data.update(fields)
    return client.post(link, data=data)


def campaign_id(db) -> int:
    with db.reader() as session:
        return session.scalar(select(Campaign.id))


def test_a_supporter_reports_a_reply_and_the_excerpt_waits_for_an_organizer(
    app, client, db, runner, represent
):
    represent.add("K1P5G4")
    write(client, quotable=False)
    link = reply_link(client)
    done = report(client, link, excerpt=REPLY)
    assert "your report is counted" in done.get_data(as_text=True)
    # Reporting again from the same browser replaces the report: still one.
    report(client, link, position="non_committal", excerpt=REPLY)
    with db.reader() as session:
        assert session.scalar(select(func.count(ReplyReport.id))) == 1
    card = client.get(SCORECARD).get_data(as_text=True)
    assert "100 %" in card and "Non-committal (1)" in card
    assert REPLY not in card  # not approved yet

    create_organizer(runner)
    admin = app.test_client()
    login(admin)
    url = f"/admin/campaigns/{campaign_id(db)}/positions"
    page = admin.get(url).get_data(as_text=True)
    assert REPLY in page
    report_id = re.search(r'name="report_id" value="(\d+)"', page).group(1)
    admin.post(
        url + "/moderate",
        data={"csrf_token": csrf_token(page), "report_id": report_id, "decision": "approve"},
    )
    assert REPLY in client.get(SCORECARD).get_data(as_text=True)


def test_a_rejected_excerpt_is_deleted(app, client, db, runner, represent):
    represent.add("K1P5G4")
    write(client, quotable=False)
    report(client, reply_link(client), excerpt="My name is Wei and I live at 12 Main St.")
    create_organizer(runner)
    admin = app.test_client()
    login(admin)
    url = f"/admin/campaigns/{campaign_id(db)}/positions"
    page = admin.get(url).get_data(as_text=True)
    report_id = re.search(r'name="report_id" value="(\d+)"', page).group(1)
    admin.post(
        url + "/moderate",
        data={"csrf_token": csrf_token(page), "report_id": report_id, "decision": "reject"},
    )
    with db.reader() as session:
        assert session.scalar(select(ReplyReport)).excerpt == ""
    assert "12 Main St" not in client.get(SCORECARD).get_data(as_text=True)


def test_organizers_record_sourced_positions_and_the_scorecard_filters(
    app, client, db, runner, represent
):
    represent.add("K1P5G4")
    write(client, quotable=False)
    report(client, reply_link(client), replied="no", position="no_reply")
    create_organizer(runner)
    admin = app.test_client()
    login(admin)
    url = f"/admin/campaigns/{campaign_id(db)}/positions"
    page = admin.get(url).get_data(as_text=True)
    office = re.search(r'<option value="([0-9a-f]{12})"[^>]*>[^<]*\(MP, ', page).group(1)
    bad = post_form(
        admin, url, {"office": office, "position": "opposes", "source_url": "javascript:alert(1)"}
    )
    assert bad.status_code == 422
    saved = post_form(
        admin,
        url,
        {
            "office": office,
            "position": "opposes",
            "source_url": "https://www.ourcommons.ca/vote/123",
            "note": "Voted against the motion.",
        },
    )
    assert saved.status_code == 303
    card = client.get(SCORECARD).get_data(as_text=True)
    assert "Opposes it" in card and "https://www.ourcommons.ca/vote/123" in card
    assert "0 %" in card and "No reply after several weeks (1)" in card
    federal = client.get(SCORECARD + "?level=federal").get_data(as_text=True)
    assert "ourcommons.ca" in federal
    provincial = client.get(SCORECARD + "?level=provincial").get_data(as_text=True)
    assert "ourcommons.ca" not in provincial
    assert "ourcommons.ca" in client.get(SCORECARD + "?region=ON").get_data(as_text=True)
    assert "ourcommons.ca" not in client.get(SCORECARD + "?region=BC").get_data(as_text=True)
    # The campaign page links to the scorecard.
    assert f'href="{SCORECARD}"' in client.get(f"/c/{DEMO_SLUG}/").get_data(as_text=True)


def test_reports_hold_no_identity_and_robots_are_refused(app, client, db, represent):
    represent.add("K1P5G4")
    write(client, quotable=False)
    link = reply_link(client)
    assert report(client, link, website="http://spam").status_code == 422
    assert report(client, link, position="").status_code == 422
    assert client.get(link[: link.rindex("/")] + "/forged").status_code == 404
    no_csrf = client.post(link, data={"replied": "yes", "position": "supports"})
    assert no_csrf.status_code == 400
    with db.reader() as session:
        assert session.scalar(select(func.count(ReplyReport.id))) == 0
    columns = set(ReplyReport.__table__.columns.keys())
    assert not {"name", "email", "postcode", "postcode_prefix", "contact_action_id"} & columns


def test_purge_clears_excerpts_never_published_and_keeps_the_reports(
    app, client, db, runner, represent
):
    from datetime import UTC, datetime, timedelta

    represent.add("K1P5G4")
    write(client, quotable=False)
    report(client, reply_link(client), excerpt=REPLY)
    with db.write() as session:
        session.scalar(select(ReplyReport)).created_at = datetime.now(UTC) - timedelta(days=400)
    before = client.get(SCORECARD).get_data(as_text=True).count("100 %")
    result = runner.invoke(args=["purge", "--older-than", "365"])
    assert "reply excerpts never published: 1 removed" in result.output
    with db.reader() as session:
        row = session.scalar(select(ReplyReport))
    assert row.excerpt == "" and row.position == "supports"
    assert client.get(SCORECARD).get_data(as_text=True).count("100 %") == before == 1


def test_the_delivery_confirmation_email_links_to_the_reply_form(tmp_path, represent):
    from .smtp import SmtpServer
    from .test_delivery_pages import ask, make_app, send_page

    with SmtpServer() as smtp:
        app = make_app(tmp_path, smtp, represent)
        client = app.test_client()
        link, page = send_page(client)
        assert ask(client, link, page).status_code == 200
        content = smtp.inbox.messages[0].message.get_content()
        reply = re.search(r"https://advocacy\.example(/c/[^/]+/reply/\S+)", content).group(1)
        other = app.test_client()  # the email may be opened on another device
        assert "your report is counted" in report(other, reply).get_data(as_text=True)
        with app.extensions["advocacy_db"].reader() as session:
            assert session.scalar(select(func.count(ReplyReport.id))) == 1

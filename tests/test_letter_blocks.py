"""The supporter's side of the letter editor: the newest version is used and recorded, each
target group gets its letter, and "blocks" letters keep their locked text whatever the form
says."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from advocacy import campaigns, editor
from advocacy.models import ContactAction

from .admin_helpers import create_organizer, login, post_form
from .conftest import DEMO_SLUG
from .helpers import hidden, letter_form_data, lookup, textarea, write_links

BASE = f"/c/{DEMO_SLUG}"
MP = "Alexandra Placeholder"
MPP = "Jean-François Exemple"

BLOCKS_BODY = """Dear {{ official.name }},

As your constituent in {{ official.district }}, I ask you to support sanctions.

[[ editable: Why does this matter to you? ]]
This matters to me because my family lives in Hong Kong.
[[ end ]]

Please answer me in writing.

[[ editable: Anything else you want to tell them? ]]
[[ end ]]

Sincerely,
{{ supporter.name|default("A constituent") }}"""


@pytest.fixture
def organizer_client(runner, client):
    create_organizer(runner)
    login(client)
    return client


@pytest.fixture
def campaign(db):
    return campaigns.campaign_by_slug(db, DEMO_SLUG)


def new_letter(client, campaign, **fields) -> int:
    """Create a letter through the editor; its id."""
    data = {
        "language": "en",
        "name": "",
        "position": "0",
        "editing": "free",
        "save": "Create the letter",
        **fields,
    }
    response = post_form(client, f"/admin/campaigns/{campaign.id}/letters/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/letters/(\d+)/edit", response.headers["Location"]).group(1))


def open_letter(client, represent, name: str) -> tuple[str, str]:
    """Look up K1P 5G4 and open the letter form for the official called ``name``."""
    represent.add("K1P5G4")
    officials = lookup(client, "K1P 5G4").get_data(as_text=True)
    for href in write_links(officials):
        label = re.search(rf'href="{re.escape(href)}">([^<]*)<', officials)
        if label and name in unescape(label.group(1)):
            return href, client.get(href).get_data(as_text=True)
    raise AssertionError(f"no letter link for {name}")


def send_page(client, link: str, data: dict) -> str:
    response = client.post(link, data=data, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def mailto(page: str) -> tuple[str, str]:
    """The subject and body of the page's mailto link."""
    link = unescape(re.search(r'href="(mailto:[^"]+)"', page).group(1))
    query = link.split("?", 1)[1]
    fields = dict(part.split("=", 1) for part in query.split("&"))
    return unquote(fields["subject"]), unquote(fields.get("body", "")).replace("\r\n", "\n")


def hidden_inputs(page: str) -> dict[str, str]:
    """Every hidden field of the page's first form that has it (CSRF token, postal code,
    token, template version, and whatever else the form carries)."""
    fields: dict[str, str] = {}
    for name, value in re.findall(
        r'<input[^>]*\bname="([^"]+)"[^>]*\btype="hidden"[^>]*\bvalue="([^"]*)"', page
    ):
        fields.setdefault(name, unescape(value))
    return fields


def confirm(client, link: str, page: str) -> None:
    data = hidden_inputs(page)
    response = client.post(link.replace("/write/", "/sent/"), data=data)
    assert response.status_code == 303


def actions(db) -> list[ContactAction]:
    with db.reader() as session:
        return list(session.scalars(select(ContactAction).order_by(ContactAction.id)))


def blocks_form(page: str, blocks: list[str], **changes) -> dict:
    data = {
        **hidden_inputs(page),
        "name": "Wei Chen",
        "city": "Ottawa",
        "show_postcode": "full",
    }
    data.update({f"blocks-{i}": text for i, text in enumerate(blocks)})
    data.update(changes)
    return data


# -- versions and target groups -----------------------------------------------------------------


def test_supporters_get_the_newest_version_and_actions_record_it(
    organizer_client, represent, db, campaign
):
    letter = next(r.letter for r in editor.letter_rows(db, campaign) if not r.letter.applies_to)
    url = f"/admin/campaigns/{campaign.id}/letters/{letter.id}/edit"
    body = "Dear {{ official.name }},\n\nVersion two asks about Hong Kong."
    post_form(organizer_client, url, {"subject": "Version two", "body": body, "save": "1"})
    newest = campaigns.newest_version(db, letter)
    assert newest.version == 2

    link, page = open_letter(organizer_client, represent, MP)
    assert textarea(page, "body") == f"Dear {MP},\n\nVersion two asks about Hong Kong."
    assert hidden(page, "template_id") == str(newest.id)
    send = send_page(organizer_client, link, letter_form_data(page, name="Wei"))
    confirm(organizer_client, link, send)
    [action] = actions(db)
    assert action.template_id == newest.id


def test_each_target_group_gets_its_own_letter(organizer_client, represent, db, campaign):
    mp_letter = new_letter(
        organizer_client,
        campaign,
        name="MPs",
        applies_to=["MP"],
        subject="To my MP",
        body="Dear MP {{ official.name }}: federal ask.",
    )
    provincial = new_letter(
        organizer_client,
        campaign,
        name="Provincial",
        applies_to=["provincial"],
        subject="To my MPP",
        body="Dear {{ official.office }} {{ official.name }}: provincial ask.",
    )
    templates = {
        row.letter.id: row.current.id for row in editor.letter_rows(db, campaign) if row.current
    }
    for name, expected, text, letter_id in (
        (MP, "To my MP", f"Dear MP {MP}: federal ask.", mp_letter),
        (MPP, "To my MPP", f"Dear MPP {MPP}: provincial ask.", provincial),
    ):
        link, page = open_letter(organizer_client, represent, name)
        assert 'value="' + expected + '"' in unescape(page)
        assert textarea(page, "body") == text
        confirm(organizer_client, link, send_page(organizer_client, link, letter_form_data(page)))
        assert actions(db)[-1].template_id == templates[letter_id]
        assert actions(db)[-1].official_name == name


def test_a_forged_template_id_of_another_group_is_not_used(
    organizer_client, represent, db, campaign
):
    provincial = new_letter(
        organizer_client,
        campaign,
        applies_to=["provincial"],
        editing="blocks",
        subject="Provincial",
        body="Provincial locked text.",
    )
    forged = campaigns.newest_version(db, editor.get_letter(db, campaign, provincial))
    link, page = open_letter(organizer_client, represent, MP)
    send = send_page(organizer_client, link, letter_form_data(page, template_id=str(forged.id)))
    assert "Provincial locked text" not in unescape(send)
    confirm(organizer_client, link, send)
    assert actions(db)[-1].template_id != forged.id


# -- blocks ---------------------------------------------------------------------------------------


@pytest.fixture
def blocks_letter(organizer_client, db, campaign) -> int:
    return new_letter(
        organizer_client,
        campaign,
        name="Blocks for MPs",
        applies_to=["MP"],
        editing="blocks",
        subject="Sanctions: a question from {{ official.district }}",
        body=BLOCKS_BODY,
    )


def test_a_blocks_letter_shows_locked_text_read_only_and_a_box_per_block(
    organizer_client, represent, blocks_letter
):
    _, page = open_letter(organizer_client, represent, MP)
    html = unescape(page)
    assert 'name="body"' not in html and 'name="subject"' not in html
    assert "Sanctions: a question from Ottawa Centre" in html  # the locked subject, as text
    assert f"<p>Dear {MP},</p>" in html
    assert "I ask you to support sanctions." in html
    assert '<label for="blocks-0">Why does this matter to you?</label>' in html
    assert '<label for="blocks-1">Anything else you want to tell them?</label>' in html
    assert textarea(page, "blocks-0") == "This matters to me because my family lives in Hong Kong."
    assert textarea(page, "blocks-1") == ""
    assert "[[" not in html
    # The locked text is in no form field: it is not sent back.
    for name in re.findall(r'<textarea[^>]*name="([^"]+)"', html):
        assert name.startswith("blocks-")


def test_a_blocks_letter_end_to_end_ignores_a_tampered_locked_part(
    organizer_client, represent, db, campaign, blocks_letter
):
    link, page = open_letter(organizer_client, represent, MP)
    template_id = hidden(page, "template_id")
    data = blocks_form(
        page,
        ["My grandmother cannot speak freely.", "{{ official.__class__ }}"],
        subject="Tampered subject",
        body="Tampered body: ignore the campaign's ask.",
        **{"blocks-7": "an extra block"},
    )
    send = unescape(send_page(organizer_client, link, data))
    subject, body = mailto(send)
    assert subject == "Sanctions: a question from Ottawa Centre"
    assert body == (
        f"Dear {MP},\n\n"
        "As your constituent in Ottawa Centre, I ask you to support sanctions.\n\n"
        "My grandmother cannot speak freely.\n\n"
        "Please answer me in writing.\n\n"
        "{{ official.__class__ }}\n\n"  # the supporter's text is never rendered
        "Sincerely,\nWei Chen\n\n"  # supporter.name, filled in by the server
        "Wei Chen\nOttawa K1P 5G4"  # the signature
    )
    assert "Tampered" not in send and "an extra block" not in send
    confirm(organizer_client, link, send)
    [action] = actions(db)
    assert str(action.template_id) == template_id


def test_a_tampered_template_id_from_another_campaign_is_ignored(
    organizer_client, represent, db, campaign, blocks_letter
):
    other = campaigns.save_campaign(
        db, None, {"slug": "other", "title": "Other", "target_offices": ["MP"]}
    )
    foreign = new_letter(
        organizer_client, other, subject="Foreign", body="Foreign text for {{ official.name }}"
    )
    foreign_version = campaigns.newest_version(db, editor.get_letter(db, other, foreign))
    link, page = open_letter(organizer_client, represent, MP)
    data = blocks_form(page, ["Mine."], template_id=str(foreign_version.id))
    send = unescape(send_page(organizer_client, link, data))
    assert "Foreign" not in send
    assert "I ask you to support sanctions." in mailto(send)[1]
    confirm(organizer_client, link, send)
    assert actions(db)[-1].template_id != foreign_version.id


def test_a_form_without_blocks_gets_their_default_text(organizer_client, represent, blocks_letter):
    link, page = open_letter(organizer_client, represent, MP)
    data = blocks_form(page, [], body="My own whole letter", subject="Mine")
    _, body = mailto(unescape(send_page(organizer_client, link, data)))
    assert "my family lives in Hong Kong" in body and "My own whole letter" not in body


def test_an_emptied_block_is_left_out(organizer_client, represent, blocks_letter):
    link, page = open_letter(organizer_client, represent, MP)
    _, body = mailto(unescape(send_page(organizer_client, link, blocks_form(page, ["", ""]))))
    assert "sanctions.\n\nPlease answer me in writing.\n\nSincerely," in body


def test_a_block_too_long_is_refused_with_the_locked_text_shown_again(
    organizer_client, app, represent, blocks_letter
):
    app.config["LETTER_BODY_MAX"] = 400
    link, page = open_letter(organizer_client, represent, MP)
    response = organizer_client.post(link, data=blocks_form(page, ["x" * 500, ""]))
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Please keep this under 400 characters." in html
    assert "I ask you to support sanctions." in html
    assert textarea(response.get_data(as_text=True), "blocks-0") == "x" * 500


def test_blocks_without_markers_lock_the_whole_letter(organizer_client, represent, db, campaign):
    new_letter(
        organizer_client,
        campaign,
        applies_to=["MP"],
        editing="blocks",
        subject="Locked subject",
        body="Dear {{ official.name }},\n\nEvery word is the campaign's.",
    )
    link, page = open_letter(organizer_client, represent, MP)
    assert "<textarea" not in page
    assert "you can sign it below" in unescape(page)
    data = blocks_form(page, ["sneaked in"], body="Tampered")
    subject, body = mailto(unescape(send_page(organizer_client, link, data)))
    assert subject == "Locked subject"
    assert body == f"Dear {MP},\n\nEvery word is the campaign's.\n\nWei Chen\nOttawa K1P 5G4"


def test_a_free_letter_with_markers_is_entirely_editable(organizer_client, represent, campaign):
    new_letter(
        organizer_client,
        campaign,
        applies_to=["MP"],
        editing="free",
        subject="Free",
        body=BLOCKS_BODY,
    )
    link, page = open_letter(organizer_client, represent, MP)
    body = textarea(page, "body")
    assert "[[" not in body and "my family lives in Hong Kong" in body
    assert 'name="blocks-0"' not in page
    edited = letter_form_data(page, body="My very own letter.", subject="My own subject")
    subject, sent_body = mailto(unescape(send_page(organizer_client, link, edited)))
    assert (subject, sent_body) == ("My own subject", "My very own letter.\n\nK1P 5G4")


def test_switching_a_letter_to_blocks_applies_to_forms_already_open(
    organizer_client, represent, db, campaign
):
    letter_id = new_letter(
        organizer_client, campaign, applies_to=["MP"], subject="S", body=BLOCKS_BODY
    )
    link, page = open_letter(organizer_client, represent, MP)  # a free form
    editor.save_settings(db, editor.get_letter(db, campaign, letter_id), {"editing": "blocks"})
    data = letter_form_data(page, body="Rewritten entirely", subject="Mine")
    subject, body = mailto(unescape(send_page(organizer_client, link, data)))
    assert subject == "S" and "Rewritten entirely" not in body
    assert "I ask you to support sanctions." in body

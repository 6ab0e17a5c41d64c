"""The organizers' letter editor under /admin: letters per campaign, settings, text saved as
immutable versions, refusals with the line, preview, history with diffs, restore."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

import advocacy
from advocacy import campaigns, editor
from advocacy.models import Letter, LetterVersion

from .admin_helpers import EMAIL, create_organizer, login, post_form
from .conftest import DEMO_SLUG
from .helpers import csrf_token, textarea

# The letters the demo campaign ships (one per language and group of officials).
DEMO_LETTERS = len(
    list(
        (Path(advocacy.__file__).parent / "letter_templates" / "canada-beijing-policy").glob(
            "letter.*.txt"
        )
    )
)


@pytest.fixture
def organizer_client(runner, client):
    create_organizer(runner)
    login(client)
    return client


@pytest.fixture
def campaign(db):
    return campaigns.campaign_by_slug(db, DEMO_SLUG)


@pytest.fixture
def letter(db, campaign) -> Letter:
    """The demo campaign's letter for every official."""
    return next(row.letter for row in editor.letter_rows(db, campaign) if not row.letter.applies_to)


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def urls(campaign, letter) -> dict[str, str]:
    base = f"/admin/campaigns/{campaign.id}/letters"
    return {
        "list": base,
        "new": f"{base}/new",
        "settings": f"{base}/{letter.id}/settings",
        "edit": f"{base}/{letter.id}/edit",
        "history": f"{base}/{letter.id}/history",
    }


def stored_versions(db, letter) -> list[LetterVersion]:
    with db.reader() as session:
        return list(
            session.scalars(
                select(LetterVersion)
                .where(LetterVersion.letter_id == letter.id)
                .order_by(LetterVersion.version)
            )
        )


def save_text(client, campaign, letter, subject: str, body: str, **extra):
    return post_form(
        client,
        urls(campaign, letter)["edit"],
        {"subject": subject, "body": body, "save": "Save as a new version", **extra},
    )


# -- access ---------------------------------------------------------------------------------------


def test_every_editor_page_needs_a_session(client, db, campaign, letter):
    pages = [*urls(campaign, letter).values()]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/admin/login?next=")
    # Even with a valid CSRF token (from a supporter page), a POST without a session changes
    # nothing.
    token = csrf_token(client.get(f"/c/{DEMO_SLUG}/").get_data(as_text=True))
    version = stored_versions(db, letter)[0]
    posts = [
        *pages[1:4],
        f"/admin/campaigns/{campaign.id}/letters/{letter.id}/versions/{version.id}/restore",
    ]
    for url in posts:
        response = client.post(url, data={"csrf_token": token, "subject": "x", "body": "y"})
        assert response.status_code == 302, url
        assert "/admin/login" in response.headers["Location"]
    assert len(stored_versions(db, letter)) == 1


def test_every_editor_form_needs_a_csrf_token(organizer_client, db, campaign, letter):
    version = stored_versions(db, letter)[0]
    forms = {
        urls(campaign, letter)["new"]: {"language": "en", "subject": "s", "body": "b"},
        urls(campaign, letter)["settings"]: {"language": "fr", "editing": "blocks"},
        urls(campaign, letter)["edit"]: {"subject": "s", "body": "b", "save": "1"},
        urls(campaign, letter)["edit"] + "#preview": {"subject": "s", "body": "b", "preview": "1"},
        f"/admin/campaigns/{campaign.id}/letters/{letter.id}/versions/{version.id}/restore": {},
    }
    for url, data in forms.items():
        response = organizer_client.post(url.split("#")[0], data=data)
        assert response.status_code == 400, url
        response = organizer_client.post(url.split("#")[0], data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, url
    assert len(stored_versions(db, letter)) == 1
    assert editor.get_letter(db, campaign, letter.id).language == "en"
    assert len(editor.letter_rows(db, campaign)) == DEMO_LETTERS  # nothing created


# -- the list, creating and settings --------------------------------------------------------------


def test_campaign_pages_link_to_the_letters(organizer_client, campaign):
    text = page(organizer_client.get(f"/admin/campaigns/{campaign.id}/edit"))
    assert f'href="/admin/campaigns/{campaign.id}/letters">Letters</a>' in text
    assert f"/admin/campaigns/{campaign.id}/letters" in page(organizer_client.get("/admin/"))


def test_the_list_shows_each_letter_with_its_settings_and_version(
    organizer_client, campaign, letter
):
    text = page(organizer_client.get(urls(campaign, letter)["list"]))
    assert "every official" in text and "Free" in text
    assert "version 1" in text and "the campaign files shipped with the app" in text
    assert urls(campaign, letter)["edit"] in text and urls(campaign, letter)["history"] in text


def test_create_a_letter_for_a_target_group(organizer_client, db, campaign, letter):
    response = post_form(
        organizer_client,
        urls(campaign, letter)["new"],
        {
            "language": "en",
            "name": "For provincial members",
            "applies_to": ["provincial", "MPP"],
            "position": "0",
            "editing": "blocks",
            "subject": "A question for {{ official.office }} {{ official.name }}",
            "body": "Dear {{ official.name }},\n[[ editable: Why? ]]\nBecause.\n[[ end ]]",
            "save": "Create the letter",
        },
    )
    assert response.status_code == 302
    created = next(
        row for row in editor.letter_rows(db, campaign) if row.letter.name.startswith("For prov")
    )
    assert created.letter.applies_to == ["provincial", "MPP"]
    assert (created.letter.editing, created.letter.position) == ("blocks", 0)
    assert (created.current.version, created.current.created_by) == (1, EMAIL)
    assert created.current.subject.startswith("A question for")


def test_the_new_letter_form_offers_levels_and_the_providers_offices(
    organizer_client, campaign, letter
):
    text = page(organizer_client.get(urls(campaign, letter)["new"]))
    for value in ("federal", "provincial", "municipal", "MP", "MPP", "MLA", "Mayor", "Councillor"):
        assert f'value="{value}"' in text
    assert "{{ official.district }}" in text  # the merge fields are documented on the page
    assert "[[ editable: Why does this matter to you? ]]" in text  # and the block syntax


def test_a_new_letter_with_a_bad_template_is_not_created(organizer_client, db, campaign, letter):
    data = {"language": "en", "editing": "free", "subject": "s", "body": "x\n{{ config }}"}
    response = post_form(organizer_client, urls(campaign, letter)["new"], data)
    assert response.status_code == 422
    assert "line 2: unknown field config" in page(response)
    assert len(editor.letter_rows(db, campaign)) == DEMO_LETTERS  # nothing created


def test_edit_a_letters_settings(organizer_client, db, campaign, letter):
    response = post_form(
        organizer_client,
        urls(campaign, letter)["settings"],
        {
            "language": "fr",
            "name": "Lettre",
            "applies_to": ["MP"],
            "position": "7",
            "editing": "blocks",
        },
    )
    assert response.status_code == 302
    changed = editor.get_letter(db, campaign, letter.id)
    assert (
        changed.language,
        changed.name,
        changed.applies_to,
        changed.position,
        changed.editing,
    ) == ("fr", "Lettre", ["MP"], 7, "blocks")
    assert len(stored_versions(db, letter)) == 1  # settings are not a new version of the text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"language": "English!"}, "Use a language code"),
        ({"editing": "anything"}, "Not a valid choice"),
        ({"applies_to": ["<script>"]}, "not a valid choice"),
        ({"position": "-1"}, "Number must be"),
    ],
)
def test_bad_settings_are_explained(organizer_client, campaign, letter, changes, message):
    data = {"language": "en", "editing": "free", **changes}
    response = post_form(organizer_client, urls(campaign, letter)["settings"], data)
    assert response.status_code == 422
    assert message.lower() in page(response).lower()


def test_a_letter_of_another_campaign_is_not_found(organizer_client, db, campaign, letter):
    other = campaigns.save_campaign(
        db, None, {"slug": "other", "title": "Other", "target_offices": ["MP"]}
    )
    assert (
        organizer_client.get(f"/admin/campaigns/{other.id}/letters/{letter.id}/edit").status_code
        == 404
    )
    assert organizer_client.get(f"/admin/campaigns/{other.id}/letters").status_code == 200
    assert organizer_client.get("/admin/campaigns/999/letters").status_code == 404


# -- saving versions ------------------------------------------------------------------------------


def test_every_save_is_a_new_immutable_version(organizer_client, db, campaign, letter):
    original = stored_versions(db, letter)[0]
    response = save_text(
        organizer_client, campaign, letter, "New subject", "Dear {{ official.name }},\n\nNew text."
    )
    assert response.status_code == 302
    first, second = stored_versions(db, letter)
    assert (first.subject, first.body, first.created_at) == (
        original.subject,
        original.body,
        original.created_at,
    )
    assert (second.version, second.subject, second.created_by) == (2, "New subject", EMAIL)
    assert second.created_at is not None
    assert "Saved as version 2." in page(organizer_client.get(urls(campaign, letter)["edit"]))
    save_text(organizer_client, campaign, letter, "Third", "Dear {{ official.name }}")
    assert [v.version for v in stored_versions(db, letter)] == [1, 2, 3]


def test_the_editor_opens_with_the_current_text(organizer_client, db, campaign, letter):
    text = organizer_client.get(urls(campaign, letter)["edit"]).get_data(as_text=True)
    assert textarea(text, "body") == stored_versions(db, letter)[-1].body
    assert "Current version: 1" in unescape(text)


REFUSED = [
    ("{{ ''.__class__.__mro__ }}", 1, "Python internals"),
    ("{{ config }}", 1, "unknown field config"),
    ("{{ self }}", 1, "unknown field self"),
    ("{{ cycler.__init__.__globals__ }}", 1, "Python internals"),
    ("{{ official.__class__ }}", 1, "Python internals"),
    ('{{ "%s"|format(x) }}', 1, "the filter format is not allowed"),
    ("{{ ''.format_map }}", 1, "is not allowed"),
    ("Dear {{ official.name }},\n\n{{ official.email }}", 3, "unknown field official.email"),
    ("Dear {{ official.name }},\n{% if official.name %}", 2, "syntax error"),
    ("{{ 'x' * 10**9 }}", 1, "arithmetic"),
    ("{% for x in official %}{% endfor %}", 1, "{% for %} is not allowed"),
]


@pytest.mark.parametrize(("body", "line", "reason"), REFUSED)
def test_a_refused_template_is_explained_and_the_text_kept(
    organizer_client, db, campaign, letter, body, line, reason
):
    response = save_text(organizer_client, campaign, letter, "Subject", body)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"line {line}: " in unescape(html) and reason in unescape(html)
    assert textarea(html, "body") == body  # the organizer's text is kept in the form
    assert len(stored_versions(db, letter)) == 1


def test_a_refused_subject_is_explained(organizer_client, db, campaign, letter):
    response = save_text(organizer_client, campaign, letter, "Hi {{ official.email }}", "Body")
    assert response.status_code == 422
    assert "line 1: unknown field official.email" in page(response)


def test_a_letter_too_long_once_rendered_is_refused(organizer_client, app, db, campaign, letter):
    app.config["LETTER_BODY_MAX"] = 50
    response = save_text(
        organizer_client, campaign, letter, "S", "Dear {{ official.name }}" + "!" * 40
    )
    assert response.status_code == 422
    assert "longer than 50 characters once filled in" in page(response)


def test_a_large_template_is_sent_as_multipart(organizer_client, campaign, letter):
    # 20 KB of text urlencoded may pass the request limit; the editor posts multipart.
    text = organizer_client.get(urls(campaign, letter)["edit"]).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in text


# -- history and restore --------------------------------------------------------------------------


def test_the_history_lists_versions_with_a_diff(organizer_client, db, campaign, letter):
    body = stored_versions(db, letter)[0].body
    changed = body.replace("I would be grateful for a written reply.", "Please <b>reply</b>.")
    save_text(organizer_client, campaign, letter, "Your policy towards Beijing", changed)
    html = organizer_client.get(urls(campaign, letter)["history"]).get_data(as_text=True)
    assert "Version 2" in html and "Version 1" in html and EMAIL in html
    assert "the campaign files shipped with the app" in html  # who saved version 1
    assert '<span class="del">-I would be grateful for a written reply.</span>' in html
    assert '<span class="add">+Please &lt;b&gt;reply&lt;/b&gt;.</span>' in html  # escaped
    assert '<span class="add">+Subject: Your policy towards Beijing</span>' in html
    assert "<b>reply</b>" not in html


def test_restoring_saves_the_old_text_as_a_new_version(organizer_client, db, campaign, letter):
    original = stored_versions(db, letter)[0]
    save_text(organizer_client, campaign, letter, "Changed", "Dear {{ official.name }}")
    history = urls(campaign, letter)["history"]
    html = organizer_client.get(history).get_data(as_text=True)
    restore = f"/admin/campaigns/{campaign.id}/letters/{letter.id}/versions/{original.id}/restore"
    assert f'action="{restore}"' in html
    response = organizer_client.post(restore, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 302
    versions = stored_versions(db, letter)
    assert [v.version for v in versions] == [1, 2, 3]
    assert (versions[2].subject, versions[2].body, versions[2].created_by) == (
        original.subject,
        original.body,
        EMAIL,
    )
    assert versions[0].created_by == "letter_templates/"  # the old one is untouched
    text = page(organizer_client.get(history))
    assert "Version restored: it is now version 3." in text
    assert "Version 3 (current)" in text


def test_restoring_a_version_of_another_letter_is_not_found(organizer_client, db, campaign, letter):
    other = next(row for row in editor.letter_rows(db, campaign) if row.letter.id != letter.id)
    html = organizer_client.get(urls(campaign, letter)["history"]).get_data(as_text=True)
    url = f"/admin/campaigns/{campaign.id}/letters/{letter.id}/versions/{other.current.id}/restore"
    assert organizer_client.post(url, data={"csrf_token": csrf_token(html)}).status_code == 404
    assert len(stored_versions(db, letter)) == 1


# -- preview --------------------------------------------------------------------------------------

PREVIEW_BODY = (
    "Dear {{ official.name }} ({{ official.office }}, {{ official.district }}),\n\n"
    "[[ editable: Why does this matter to you? ]]\n"
    "It matters to me.\n"
    "[[ end ]]\n\nSincerely,"
)


def preview(client, campaign, letter, postcode: str = "", body: str = PREVIEW_BODY):
    return post_form(
        client,
        urls(campaign, letter)["edit"],
        {"subject": "To {{ official.name }}", "body": body, "postcode": postcode, "preview": "1"},
    )


def test_preview_renders_the_unsaved_text_for_the_sample_official(
    organizer_client, db, campaign, letter
):
    response = preview(organizer_client, campaign, letter)
    assert response.status_code == 200
    text = page(response)
    assert "Sample official: Alex Sample (MP, Ottawa Centre)" in text
    assert "Subject: To Alex Sample" in re.sub(r"<[^>]+>", "", text)
    assert "Dear Alex Sample (MP, Ottawa Centre)," in text
    assert "[[ editable" not in text.split("Preview (not saved)")[1].split("What you can write")[0]
    assert "Sam Supporter\nOttawa K1P 5G4" in text  # the signature the app adds
    assert textarea(response.get_data(as_text=True), "body") == PREVIEW_BODY
    assert len(stored_versions(db, letter)) == 1  # nothing saved


def test_preview_of_a_blocks_letter_marks_the_editable_blocks(
    organizer_client, db, campaign, letter
):
    editor.save_settings(db, letter, {"editing": "blocks"})
    text = page(preview(organizer_client, campaign, letter))
    assert "Editable by the supporter: Why does this matter to you?" in text


def test_preview_for_the_officials_of_a_postal_code(organizer_client, represent, campaign, letter):
    represent.add("K1P5G4")
    text = page(preview(organizer_client, campaign, letter, postcode="k1p 5g4"))
    assert "Dear Alexandra Placeholder (MP, Ottawa Centre)," in text
    assert "Dear Jean-François Exemple (MPP, Ottawa Centre)," in text
    assert "Mark Placeholder" not in text  # a mayor: not targeted by the campaign
    assert "Alex Sample" in text  # the sample is always there


def test_preview_for_a_postal_code_shows_only_the_letters_target_group(
    organizer_client, represent, db, campaign, letter
):
    editor.save_settings(db, letter, {"applies_to": ["provincial"]})
    represent.add("K1P5G4")
    text = page(preview(organizer_client, campaign, letter, postcode="K1P 5G4"))
    assert "Jean-François Exemple (MPP" in text and "Alexandra Placeholder" not in text


@pytest.mark.parametrize(
    ("postcode", "stub", "message"),
    [
        ("K1P 5G4", requests.ConnectionError("down"), "not answering"),
        ("K1P 5G4", None, "not answering"),  # 503 from Represent
        ("12345", None, "is not a postal code"),
    ],
)
def test_preview_when_the_lookup_fails_says_so(
    organizer_client, represent, campaign, letter, postcode, stub, message
):
    if isinstance(stub, Exception):
        represent.add("K1P5G4", stub)
    else:
        represent.mock.get(represent.url("K1P5G4"), status=503)
    response = preview(organizer_client, campaign, letter, postcode=postcode)
    assert response.status_code == 200
    text = page(response)
    assert message in text
    assert "Dear Alex Sample" in text  # the sample preview is still shown


def test_preview_for_an_unknown_postal_code(organizer_client, represent, campaign, letter):
    represent.mock.get(represent.url("K0A9Z9"), status=404, json={"error": "not found"})
    text = page(preview(organizer_client, campaign, letter, postcode="K0A 9Z9"))
    assert "No official was found for K0A 9Z9" in text or "No official was found" in text


def test_preview_of_a_refused_template_explains_it(organizer_client, campaign, letter):
    response = preview(organizer_client, campaign, letter, body="Hello\n{{ official.email }}")
    assert response.status_code == 422
    assert "line 2: unknown field official.email" in page(response)
    assert "Preview (not saved)" not in page(response)


def test_the_new_letter_page_previews_too(organizer_client, db, campaign, letter):
    response = post_form(
        organizer_client,
        urls(campaign, letter)["new"],
        {
            "language": "en",
            "editing": "free",
            "subject": "S",
            "body": "Hi {{ official.name }}",
            "preview": "1",
        },
    )
    assert response.status_code == 200
    assert "Hi Alex Sample" in page(response)
    assert len(editor.letter_rows(db, campaign)) == DEMO_LETTERS  # nothing created


def test_preview_leaves_out_officials_who_get_another_letter(
    organizer_client, represent, db, campaign, letter
):
    post_form(
        organizer_client,
        urls(campaign, letter)["new"],
        {
            "language": "en",
            "applies_to": ["MP"],
            "position": "0",
            "editing": "free",
            "subject": "S",
            "body": "For MPs only",
            "save": "1",
        },
    )
    represent.add("K1P5G4")
    text = page(preview(organizer_client, campaign, letter, postcode="K1P 5G4"))
    assert "Jean-François Exemple (MPP" in text and "Alexandra Placeholder" not in text

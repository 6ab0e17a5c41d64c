"""A campaign's title and introduction in French and Traditional Chinese (issue 9): supporters
reading the pages in a language see the organizer's translation where there is one, and the
campaign's own text otherwise; organizers edit the translations on the settings form."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import text

from advocacy import campaigns, create_app
from advocacy.db import Database
from advocacy.migrate import upgrade

from .admin_helpers import create_organizer, login, post_form
from .conftest import DEMO_SLUG, test_config

ENGLISH_TITLE = "Ask your representatives: what is your policy towards Beijing?"
ENGLISH_INTRO = "Hong Kong's freedoms have been dismantled"
FRENCH_TITLE = "Demandez à vos élus\u00a0: quelle est votre politique envers Pékin?"
FRENCH_INTRO = "Les libertés de Hong Kong ont été démantelées"
CHINESE_TITLE = "問問您的民選代表：您對北京的政策是甚麼？"
CHINESE_INTRO = "香港的自由已被逐一瓦解"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("prefix", "title", "intro"),
    [
        ("/fr", FRENCH_TITLE, FRENCH_INTRO),
        ("/zh-hant", CHINESE_TITLE, CHINESE_INTRO),
        ("/en", ENGLISH_TITLE, ENGLISH_INTRO),
    ],
)
def test_the_demo_campaign_speaks_the_pages_language(client, prefix, title, intro):
    html = page(client, f"{prefix}/c/{DEMO_SLUG}/")
    assert f"<h1>{title}</h1>" in html
    assert f"<title>{title}" in html
    assert intro in html
    for other in {ENGLISH_TITLE, FRENCH_TITLE, CHINESE_TITLE} - {title}:
        assert other not in html
    for other in {ENGLISH_INTRO, FRENCH_INTRO, CHINESE_INTRO} - {intro}:
        assert other not in html
    # The list of campaigns, too.
    assert title in page(client, f"{prefix}/")


def test_the_browser_language_chooses_the_text_without_a_prefix(client):
    response = client.get(f"/c/{DEMO_SLUG}/", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    html = unescape(response.get_data(as_text=True))
    assert CHINESE_TITLE in html and ENGLISH_TITLE not in html


def test_a_campaign_without_translations_shows_its_own_text(client, db):
    campaigns.save_campaign(
        db,
        None,
        {
            "slug": "plain",
            "title": "Only in English",
            "introduction": "An English *introduction*.",
            "target_offices": ["MP"],
        },
    )
    html = page(client, "/fr/c/plain/")
    assert "<h1>Only in English</h1>" in html
    assert "An English <em>introduction</em>." in html


def test_a_translation_missing_one_field_falls_back_for_that_field(client, db):
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    campaigns.save_campaign(
        db, campaign.id, {"slug": DEMO_SLUG, "texts": {"fr": {"title": "Seulement le titre"}}}
    )
    html = page(client, f"/fr/c/{DEMO_SLUG}/")
    assert "<h1>Seulement le titre</h1>" in html
    assert ENGLISH_INTRO in html


def test_campaign_text_accepts_babel_and_html_tags():
    campaign = campaigns.Campaign(title="T", introduction="I", texts={"zh-Hant": {"title": "題"}})
    assert campaigns.campaign_text(campaign, "title", "zh_Hant") == "題"
    assert campaigns.campaign_text(campaign, "title", "zh-Hant") == "題"
    assert campaigns.campaign_text(campaign, "introduction", "zh-Hant") == "I"
    assert campaigns.campaign_text(campaign, "title", "fr") == "T"
    assert campaigns.campaign_text(campaign, "title", None) == "T"


def test_a_campaign_file_with_a_bad_texts_table_is_refused(tmp_path, db):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "campaign.toml").write_text(
        'slug = "x"\ntitle = "X"\ntarget_offices = ["MP"]\n[texts.fr]\nslogan = "Non"\n',
        encoding="utf-8",
    )
    with pytest.raises(campaigns.CampaignFileError, match=r"texts\.fr"):
        campaigns.load_campaign_dir(db, shipped)


def test_upgrading_keeps_campaigns_with_no_translations(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db, "0013")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO campaigns (id, slug, title, introduction, country, provider, "
                "target_offices, status, created_at, server_delivery, target_mode) VALUES "
                "(1, 'old', 'Old', 'Intro', 'CA', 'represent', '[\"MP\"]', 'live', "
                "'2026-01-01 00:00:00', 0, 'provider')"
            )
        )
    upgrade(db, "head")
    campaign = campaigns.campaign_by_slug(db, "old")
    assert (campaign.title, campaign.introduction, campaign.texts) == ("Old", "Intro", {})
    assert campaigns.campaign_text(campaign, "title", "fr") == "Old"
    db.engine.dispose()


# -- organizers ---------------------------------------------------------------------------------


@pytest.fixture
def organizer_client(runner, client):
    create_organizer(runner)
    login(client)
    return client


def settings(db, **changes) -> dict:
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    data = {
        "title": campaign.title,
        "slug": campaign.slug,
        "introduction": campaign.introduction,
        "provider": campaign.provider,
        "target_offices": list(campaign.target_offices),
        "status": campaign.status,
        "target_mode": campaign.target_mode,
        "goal": str(campaign.goal or ""),
    }
    data.update(changes)
    return data


def test_organizers_see_and_edit_each_languages_text(organizer_client, db, client):
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    url = f"/admin/campaigns/{campaign.id}/edit"
    form = page(organizer_client, url)
    assert "In French" in form and "In Chinese" in form
    assert FRENCH_INTRO in form and CHINESE_TITLE in form  # the shipped translations, to edit

    changes = {
        "text_fr_title": "Un titre revu",
        "text_fr_introduction": "Une *introduction* revue.",
        "text_zh_hant_title": "",
        "text_zh_hant_introduction": "",
    }
    response = post_form(organizer_client, url, settings(db, **changes))
    assert response.status_code == 302
    assert campaigns.campaign_by_slug(db, DEMO_SLUG).texts == {
        "fr": {"title": "Un titre revu", "introduction": "Une *introduction* revue."}
    }
    html = page(client, f"/fr/c/{DEMO_SLUG}/")
    assert "<h1>Un titre revu</h1>" in html and "Une <em>introduction</em> revue." in html
    # Emptied, the Chinese text is gone: Chinese readers see the campaign's own text.
    assert f"<h1>{ENGLISH_TITLE}</h1>" in page(client, f"/zh-hant/c/{DEMO_SLUG}/")


def test_a_too_long_translated_title_is_refused(organizer_client, db):
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    url = f"/admin/campaigns/{campaign.id}/edit"
    response = post_form(organizer_client, url, settings(db, text_fr_title="x" * 201))
    assert response.status_code == 422
    assert campaigns.campaign_by_slug(db, DEMO_SLUG).texts["fr"]["title"] == FRENCH_TITLE


def test_with_one_language_the_form_has_no_translation_fields(tmp_path):
    app = create_app(test_config(tmp_path, LANGUAGES="en"))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        assert runner.invoke(args=command).exit_code == 0
    create_organizer(runner)
    client = app.test_client()
    login(client)
    db = app.extensions["advocacy_db"]
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    url = f"/admin/campaigns/{campaign.id}/edit"
    assert "text_fr_title" not in page(client, url)
    assert post_form(client, url, settings(db, title="Same")).status_code == 302
    # Saving keeps the shipped translations, for when the languages are turned back on.
    assert campaigns.campaign_by_slug(db, DEMO_SLUG).texts["fr"]["title"] == FRENCH_TITLE
    app.extensions["advocacy_db"].engine.dispose()

"""Configuration from ADVOCACY_* variables, the production guard, and the CLI."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advocacy import create_app
from advocacy.config import DEV_SECRET_KEY, from_environment

from .conftest import DEMO_SLUG, test_config


def test_every_setting_has_a_default():
    settings = from_environment({})
    assert settings["REPRESENT_URL"] == "https://represent.opennorth.ca"
    assert settings["LOOKUP_TTL"] == 86400
    assert settings["HTTP_TIMEOUT"] > 0
    assert settings["ENV"] == "production"


def test_environment_variables_override_with_the_right_type():
    settings = from_environment(
        {
            "ADVOCACY_REPRESENT_URL": "http://127.0.0.1:9999",
            "ADVOCACY_HTTP_TIMEOUT": "2.5",
            "ADVOCACY_LOOKUP_TTL": "60",
            "ADVOCACY_DATABASE_URL": "sqlite:////tmp/x.db",
        }
    )
    assert settings["REPRESENT_URL"] == "http://127.0.0.1:9999"
    assert settings["HTTP_TIMEOUT"] == 2.5
    assert settings["LOOKUP_TTL"] == 60
    assert settings["DATABASE_URL"] == "sqlite:////tmp/x.db"


def test_a_bad_value_names_the_variable():
    with pytest.raises(ValueError, match="ADVOCACY_LOOKUP_TTL"):
        from_environment({"ADVOCACY_LOOKUP_TTL": "a day"})


def test_production_refuses_the_development_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="ADVOCACY_SECRET_KEY"):
        create_app(test_config(tmp_path, ENV="production", SECRET_KEY=DEV_SECRET_KEY))
    app = create_app(test_config(tmp_path, ENV="production", SECRET_KEY="x" * 40))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_database_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVOCACY_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("ADVOCACY_ENV", "development")
    app = create_app()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_seed_demo_is_idempotent(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "canada-beijing-policy: already there" in result.output


def test_seed_demo_reports_a_broken_campaign_folder(runner, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "campaign.toml").write_text('slug = "x"\ntitle = "X"\ntarget_offices = ["MP"]\n')
    (folder / "letter.en.txt").write_text("Subject: s\n\nDear {{ official.nmae }}")
    result = runner.invoke(args=["seed-demo", "--from", str(tmp_path)])
    assert result.exit_code != 0
    assert "letter.en.txt" in result.output and "nmae" in result.output


def test_console_script_help_lists_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "advocacy", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"ADVOCACY_ENV": "development", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    for command in ("init-db", "seed-demo", "run"):
        assert command in result.stdout


def test_the_readme_documents_every_setting():
    from pathlib import Path

    from advocacy.config import Defaults

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [
        name for name in dir(Defaults) if name.isupper() and f"ADVOCACY_{name}" not in readme
    ]
    assert missing == []


# -- email delivery's sender ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({}, "ADVOCACY_MAIL_FROM is not set"),  # the default: no sender can be guessed
        ({"MAIL_FROM": "letters@localhost"}, "ADVOCACY_MAIL_FROM"),  # the old default
        ({"MAIL_FROM": "not an address"}, "ADVOCACY_MAIL_FROM"),
        ({"MAIL_FROM": "l@advocacy.example", "BOUNCE_ADDRESS": "bounces"}, "BOUNCE_ADDRESS"),
        ({"MAIL_FROM": "l@advocacy.example", "SMTP_URL": "mail.example:25"}, "SMTP_URL"),
    ],
)
def test_email_delivery_with_an_unusable_sender_refuses_to_start(tmp_path, changes, named):
    settings = {"SMTP_URL": "smtp://127.0.0.1:2525", **changes}
    with pytest.raises(RuntimeError, match=named) as caught:
        create_app(test_config(tmp_path, **settings))
    assert "Set ADVOCACY_MAIL_FROM" in str(caught.value)


def test_the_default_sender_is_refused_from_the_environment_too(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVOCACY_SMTP_URL", "smtp://127.0.0.1:2525")
    monkeypatch.setenv("ADVOCACY_ENV", "development")
    monkeypatch.setenv("ADVOCACY_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    with pytest.raises(RuntimeError, match="ADVOCACY_MAIL_FROM"):
        create_app()


def test_a_valid_sender_starts_and_is_the_one_mail_goes_from(tmp_path):
    from advocacy.delivery import sender_from_config

    app = create_app(
        test_config(
            tmp_path, SMTP_URL="smtp://127.0.0.1:2525", MAIL_FROM="Letters@Advocacy.Example"
        )
    )
    assert sender_from_config(app.config).from_address == "Letters@advocacy.example"


def test_without_smtp_no_sender_is_needed(tmp_path):
    app = create_app(test_config(tmp_path))
    assert app.config["SMTP_URL"] == "" and app.config["MAIL_FROM"] == ""


# -- the page's language ---------------------------------------------------------------------------

LANGUAGES = "en,fr,zh-Hant"


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory):
    app = create_app(test_config(tmp_path_factory.mktemp("languages"), LANGUAGES=LANGUAGES))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        assert runner.invoke(args=command).exit_code == 0
    yield app
    app.extensions["advocacy_db"].engine.dispose()


def _lang(page: str) -> str:
    """The page's language, as a BCP 47 tag whichever form the template prints."""
    return re.search(r'<html lang="([^"]*)"', page).group(1).replace("_", "-")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh", "zh-Hant"),
        ("zh-Hant", "zh-Hant"),
        ("zh-TW,zh;q=0.9", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-CN,zh;q=0.9", "zh-Hant"),  # the only Chinese offered: closer than English
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("de,fr;q=0.5", "fr"),
        ("de", "en"),
        ("*", "en"),
        ("", "en"),
        ("en-US-x-private", "en"),
        ("zh;q=0, fr", "fr"),
    ],
)
def test_the_page_language_follows_accept_language(multilingual, header, expected):
    for url in ("/", f"/c/{DEMO_SLUG}/", "/nowhere"):
        response = multilingual.test_client().get(url, headers={"Accept-Language": header})
        assert response.status_code < 500, (header, url)
        assert _lang(response.get_data(as_text=True)) == expected, (header, url)


def test_traditional_and_simplified_chinese_are_told_apart():
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    from advocacy.locales import negotiate

    tags = ["en", "zh-Hans", "zh-Hant"]

    def best(header: str) -> str:
        return negotiate(parse_accept_header(header, LanguageAccept), tags)

    assert best("zh-TW") == best("zh-HK") == best("zh-Hant") == "zh_Hant"
    assert best("zh-CN") == best("zh-SG") == best("zh") == best("zh-Hans") == "zh_Hans"
    assert best("zh-hant-tw") == "zh_Hant"


language_tags = st.from_regex(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,3}", fullmatch=True)
entries = st.one_of(
    language_tags,
    st.sampled_from(["zh", "zh-Hant", "zh-TW", "zh-CN", "fr", "en", "*", "", "i-klingon"]),
    st.builds(lambda tag, q: f"{tag};q={q}", language_tags, st.text("0123456789.-e", max_size=6)),
    st.text(max_size=20),
)
headers = st.one_of(st.lists(entries, max_size=8).map(",".join), st.text(max_size=200)).map(
    lambda value: value.replace("\r", "").replace("\n", "")  # no header can hold a newline
)


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(header=headers)
def test_any_accept_language_header_gets_the_page_in_a_shipped_language(multilingual, header):
    client = multilingual.test_client()
    response = client.get(f"/c/{DEMO_SLUG}/", headers={"Accept-Language": header})
    assert response.status_code == 200, header
    assert _lang(response.get_data(as_text=True)) in {"en", "fr", "zh-Hant"}

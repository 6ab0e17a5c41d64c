"""Configuration from ADVOCACY_* variables, the production guard, and the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from advocacy import create_app
from advocacy.config import DEV_SECRET_KEY, from_environment

from .conftest import test_config


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

"""The schema: migrations create exactly what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from advocacy.models import Base


def test_migrations_match_the_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_init_db_is_idempotent(runner, db):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "Database ready" in result.output
    tables = set(inspect(db.engine).get_table_names())
    assert {"campaigns", "letter_templates", "contact_actions", "lookup_cache"} <= tables


def test_contact_actions_hold_no_personal_data_columns():
    columns = set(Base.metadata.tables["contact_actions"].columns.keys())
    assert not columns & {"name", "email", "ip", "ip_address", "postcode", "address", "city"}
    assert "postcode_prefix" in columns


def test_migrations_form_one_line():
    from alembic.script import ScriptDirectory

    from advocacy.migrate import MIGRATIONS

    script = ScriptDirectory(str(MIGRATIONS))
    assert len(script.get_heads()) == 1


def test_upgrading_a_database_with_letters_keeps_them(tmp_path):
    """A database made before letters had versions per group (revision 0002) upgrades with
    each campaign's letter kept, linked to a new letter of its language."""
    from sqlalchemy import text

    from advocacy.db import Database
    from advocacy.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db, "0002")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO campaigns (id, slug, title, introduction, country, provider, "
                "target_offices, status, created_at) VALUES (1, 'old', 'Old', '', 'CA', "
                "'represent', '[\"MP\"]', 'live', '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO letter_templates (id, campaign_id, language, version, subject, body, "
                "created_at) VALUES (7, 1, 'en', 1, 'S', 'B', '2026-01-01 00:00:00')"
            )
        )
    upgrade(db)
    with db.engine.connect() as connection:
        letter = connection.execute(
            text(
                "SELECT l.language, t.subject, c.target_mode FROM letter_templates t "
                "JOIN letters l ON l.id = t.letter_id JOIN campaigns c ON c.id = l.campaign_id "
                "WHERE t.id = 7"
            )
        ).one()
    assert tuple(letter) == ("en", "S", "provider")
    db.engine.dispose()

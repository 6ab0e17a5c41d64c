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

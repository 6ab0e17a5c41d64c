"""Counters for the tallies (issue 13): ``tally_counters`` holds, per campaign, UTC day and
value of each dimension (district, official, level, source, method, wording), how many contacts
were logged (and per value for all time: dimension "district:all"..., day 0001-01-01), so
that a tally reads a few hundred rows instead of every contact. The upgrade
fills it from the contacts already logged (the same recount as ``advocacy rebuild-tallies``).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_actions = sa.table(
    "contact_actions",
    sa.column("campaign_id", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("official_name", sa.String),
    sa.column("official_office", sa.String),
    sa.column("district_name", sa.String),
    sa.column("district_id", sa.String),
    sa.column("level", sa.String),
    sa.column("source", sa.String),
    sa.column("method", sa.String),
    sa.column("personalized", sa.Boolean),
)
_counters = sa.table(
    "tally_counters",
    *(sa.column(name) for name in ("campaign_id", "dimension", "day")),
    *(sa.column(name) for name in ("value1", "value2", "value3", "count")),
)
_BLANK = sa.literal_column("''")


def _dimensions() -> dict[str, list]:
    """Each dimension's values over contact_actions (kept in step with counters.py)."""
    c = _actions.c
    wording = sa.case(
        (c.personalized.is_(None), _BLANK),
        (c.personalized, sa.literal_column("'1'")),
        else_=sa.literal_column("'0'"),
    )
    return {
        "district": [c.district_name, c.district_id, c.level],
        "official": [c.official_name, c.official_office, c.district_name],
        "level": [c.level],
        "source": [c.source],
        "method": [c.method],
        "wording": [wording],
    }


def _utc_day(dialect: str):
    created_at = _actions.c.created_at
    if dialect == "sqlite":
        return sa.func.date(created_at)  # stored as UTC text
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone(sa.literal_column("'UTC'"), created_at), sa.Date)
    return sa.cast(created_at, sa.Date)


def upgrade() -> None:
    op.create_table(
        "tally_counters",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value1", sa.String(length=200), nullable=False),
        sa.Column("value2", sa.String(length=200), nullable=False),
        sa.Column("value3", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_tally_counters_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id",
            "dimension",
            "day",
            "value1",
            "value2",
            "value3",
            name=op.f("pk_tally_counters"),
        ),
    )
    daily = _utc_day(op.get_bind().dialect.name)
    all_time = sa.literal_column("'0001-01-01'")  # counters.ALL_TIME_DAY
    for dimension, values in _dimensions().items():
        for name, day, grouped in (
            (dimension, daily, [daily]),
            (f"{dimension}:all", all_time, []),
        ):
            # Literal columns (fixed names, never data): PostgreSQL must see the same
            # expressions in SELECT and GROUP BY, and refuses a constant in GROUP BY.
            counted = sa.select(
                _actions.c.campaign_id,
                sa.literal_column(f"'{name}'"),
                day,
                *values,
                *[_BLANK] * (3 - len(values)),
                sa.func.count(),
            ).group_by(_actions.c.campaign_id, *grouped, *values)
            op.execute(sa.insert(_counters).from_select([c.name for c in _counters.c], counted))


def downgrade() -> None:
    op.drop_table("tally_counters")

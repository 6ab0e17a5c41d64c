"""Providers: officials-changed dates, US district offices (issue 11).

- ``campaigns.officials_changed_on``: lookups stored before that day are asked again.
- ``us_legislators.address``: the Washington office's postal address, for letters by post.
- ``us_district_offices``: members' offices at home (``refresh-us-district-offices``).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("officials_changed_on", sa.Date(), nullable=True))
    with op.batch_alter_table("us_legislators") as batch:
        batch.add_column(
            sa.Column("address", sa.String(length=300), server_default="", nullable=False)
        )
    op.create_table(
        "us_district_offices",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("bioguide_id", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_us_district_offices")),
    )
    op.create_index(
        op.f("ix_us_district_offices_bioguide_id"),
        "us_district_offices",
        ["bioguide_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_us_district_offices_bioguide_id"), table_name="us_district_offices")
    op.drop_table("us_district_offices")
    with op.batch_alter_table("us_legislators") as batch:
        batch.drop_column("address")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("officials_changed_on")

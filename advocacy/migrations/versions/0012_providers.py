"""Providers: officials-changed dates, US district offices (issue 11).

- ``campaigns.officials_changed_on``: lookups stored before that day are asked again.
- ``us_legislators.address``: the Washington office's postal address, for letters by post.

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


def downgrade() -> None:
    with op.batch_alter_table("us_legislators") as batch:
        batch.drop_column("address")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("officials_changed_on")

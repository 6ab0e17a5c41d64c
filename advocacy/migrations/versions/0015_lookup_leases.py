"""In-flight lookups shared by every worker and host (issue 13), when there is no Redis.

- ``lookup_leases``: one row per lookup cache key while a worker asks the upstream for it.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lookup_leases",
        sa.Column("key", sa.String(length=120), primary_key=True),
        sa.Column("holder", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lookup_leases")

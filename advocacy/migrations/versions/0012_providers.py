"""Providers: officials-changed dates, US district offices (issue 11).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa  # noqa: F401 - used once the migration has content
from alembic import op  # noqa: F401

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

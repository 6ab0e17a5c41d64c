"""The JSON API and embeds: allowed origins, organizer API tokens (issue 12).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa  # noqa: F401 - used once the migration has content
from alembic import op  # noqa: F401

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

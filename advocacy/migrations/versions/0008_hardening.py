"""Hardening: organizer session versions, sealed letter texts, a private lookup cache.

- ``organizers.session_version``: bumped at logout and at a password change; a session
  carrying an older version is no longer logged in.
- ``deliveries.sealed`` and ``deliveries.seal_key``: a letter sent by email keeps its text
  only encrypted under a key that the supporter's status link holds (``seal_key`` is cleared
  once the letter has gone or failed).
- ``lookup_cache``: keyed by a keyed hash of the postal code from now on, so the old rows
  (keyed by the code itself) are dropped; ``failed_until`` remembers an upstream failure for
  a short while so that redirects and reloads do not call the upstream again.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizers") as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("seal_key", sa.String(length=64), nullable=False, server_default="")
        )
    op.execute(sa.text("DELETE FROM lookup_cache"))
    with op.batch_alter_table("lookup_cache") as batch_op:
        batch_op.add_column(sa.Column("failed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_lookup_cache_fetched_at"), ["fetched_at"])


def downgrade() -> None:
    with op.batch_alter_table("lookup_cache") as batch_op:
        batch_op.drop_index(batch_op.f("ix_lookup_cache_fetched_at"))
        batch_op.drop_column("failed_until")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_column("seal_key")
        batch_op.drop_column("sealed")
    with op.batch_alter_table("organizers") as batch_op:
        batch_op.drop_column("session_version")

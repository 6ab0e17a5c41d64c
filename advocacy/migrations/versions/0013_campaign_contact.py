"""Who runs a campaign: organizer, contact, privacy page (issue 14).

- ``campaign_contacts``: who runs a campaign, a contact, the privacy page's text.
- ``letter_templates.editing``: the editing mode a version was saved with.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_contacts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("organizer_name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("privacy_text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    with op.batch_alter_table("letter_templates") as batch:
        batch.add_column(sa.Column("editing", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("letter_templates") as batch:
        batch.drop_column("editing")
    op.drop_table("campaign_contacts")

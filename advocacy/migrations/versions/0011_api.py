"""The JSON API and embeds: allowed origins, organizer API tokens (issue 12).

- ``partner_origins``: per campaign, the partner sites that may embed it (CSP
  ``frame-ancestors``) and call its API from a browser (CORS).
- ``api_tokens``: read-only tokens for one campaign's tallies, kept as a SHA-256 only.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_origins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_partner_origins_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_origins")),
        sa.UniqueConstraint("campaign_id", "origin", name=op.f("uq_partner_origins_campaign_id")),
    )
    op.create_index(
        op.f("ix_partner_origins_campaign_id"), "partner_origins", ["campaign_id"], unique=False
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_api_tokens_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_campaign_id"), "api_tokens", ["campaign_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_tokens_campaign_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_partner_origins_campaign_id"), table_name="partner_origins")
    op.drop_table("partner_origins")

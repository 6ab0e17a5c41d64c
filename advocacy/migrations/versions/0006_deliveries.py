"""Letters sent by email for supporters, and each campaign's choice to offer it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.add_column(
            sa.Column("server_delivery", sa.Boolean(), server_default="0", nullable=False)
        )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("contact_action_id", sa.Integer(), nullable=True),
        sa.Column("official_key", sa.String(length=32), nullable=False),
        sa.Column("official_name", sa.String(length=200), nullable=False),
        sa.Column("official_office", sa.String(length=100), nullable=False),
        sa.Column("official_email", sa.String(length=254), nullable=False),
        sa.Column("district_name", sa.String(length=200), nullable=False),
        sa.Column("district_id", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("postcode_prefix", sa.String(length=4), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("supporter_name", sa.String(length=100), nullable=False),
        sa.Column("supporter_email", sa.String(length=254), nullable=False),
        sa.Column("email_hmac", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_deliveries_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["contact_action_id"],
            ["contact_actions.id"],
            name=op.f("fk_deliveries_contact_action_id_contact_actions"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["letter_templates.id"],
            name=op.f("fk_deliveries_template_id_letter_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("token", name=op.f("uq_deliveries_token")),
    )
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_campaign_id"), ["campaign_id"])
        batch_op.create_index(batch_op.f("ix_deliveries_email_hmac"), ["email_hmac"])
        batch_op.create_index(batch_op.f("ix_deliveries_status"), ["status"])


def downgrade() -> None:
    op.drop_table("deliveries")
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.drop_column("server_delivery")

"""The statement (issue 10): its versions, signatures and the districts they are counted in.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("allow_anonymous", sa.Boolean(), nullable=False),
        sa.Column("list_signers", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_statements_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint(
            "campaign_id", "language", "version", name=op.f("uq_statements_campaign_id")
        ),
    )
    with op.batch_alter_table("statements") as batch_op:
        batch_op.create_index(batch_op.f("ix_statements_campaign_id"), ["campaign_id"])
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("signer_key", sa.String(length=64), nullable=False),
        sa.Column("browser_key", sa.String(length=64), nullable=False),
        sa.Column("display", sa.String(length=10), nullable=False),
        sa.Column("shown_as", sa.String(length=200), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_hmac", sa.String(length=64), nullable=False),
        sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("postcode_prefix", sa.String(length=4), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_signatures_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_signatures_statement_id_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
        sa.UniqueConstraint("campaign_id", "signer_key", name=op.f("uq_signatures_campaign_id")),
    )
    with op.batch_alter_table("signatures") as batch_op:
        batch_op.create_index(batch_op.f("ix_signatures_campaign_id"), ["campaign_id"])
        batch_op.create_index(batch_op.f("ix_signatures_browser_key"), ["browser_key"])
        batch_op.create_index(batch_op.f("ix_signatures_email_hmac"), ["email_hmac"])
        batch_op.create_index(batch_op.f("ix_signatures_created_at"), ["created_at"])
    op.create_table(
        "signature_districts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("official_name", sa.String(length=200), nullable=False),
        sa.Column("official_office", sa.String(length=100), nullable=False),
        sa.Column("district_name", sa.String(length=200), nullable=False),
        sa.Column("district_id", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_signature_districts_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_signature_districts_signature_id_signatures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_districts")),
    )
    with op.batch_alter_table("signature_districts") as batch_op:
        batch_op.create_index(batch_op.f("ix_signature_districts_signature_id"), ["signature_id"])
        batch_op.create_index(batch_op.f("ix_signature_districts_campaign_id"), ["campaign_id"])

    op.create_table(
        "report_excerpts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("official_office", sa.String(length=100), nullable=False),
        sa.Column("district_name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_report_excerpts_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_excerpts")),
    )
    with op.batch_alter_table("report_excerpts") as batch_op:
        batch_op.create_index(batch_op.f("ix_report_excerpts_campaign_id"), ["campaign_id"])
        batch_op.create_index(batch_op.f("ix_report_excerpts_token"), ["token"])
        batch_op.create_index(batch_op.f("ix_report_excerpts_created_at"), ["created_at"])
    op.create_table(
        "report_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("official_office", sa.String(length=100), nullable=False),
        sa.Column("district_name", sa.String(length=200), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("sent_by", sa.String(length=254), nullable=False),
        sa.Column("letters", sa.Integer(), nullable=False),
        sa.Column("signatures", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_report_sends_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_sends")),
    )
    with op.batch_alter_table("report_sends") as batch_op:
        batch_op.create_index(batch_op.f("ix_report_sends_campaign_id"), ["campaign_id"])

    op.create_table(
        "reply_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("reporter_key", sa.String(length=64), nullable=False),
        sa.Column("official_name", sa.String(length=200), nullable=False),
        sa.Column("official_office", sa.String(length=100), nullable=False),
        sa.Column("district_name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("replied", sa.Boolean(), nullable=False),
        sa.Column("position", sa.String(length=20), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("excerpt_status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_reply_reports_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_reports")),
        sa.UniqueConstraint(
            "campaign_id", "reporter_key", name=op.f("uq_reply_reports_campaign_id")
        ),
    )
    with op.batch_alter_table("reply_reports") as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_reports_campaign_id"), ["campaign_id"])
        batch_op.create_index(batch_op.f("ix_reply_reports_created_at"), ["created_at"])
    op.create_table(
        "official_positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("official_name", sa.String(length=200), nullable=False),
        sa.Column("official_office", sa.String(length=100), nullable=False),
        sa.Column("district_name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("position", sa.String(length=20), nullable=False),
        sa.Column("source_url", sa.String(length=500), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_official_positions_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_positions")),
    )
    with op.batch_alter_table("official_positions") as batch_op:
        batch_op.create_index(batch_op.f("ix_official_positions_campaign_id"), ["campaign_id"])


def downgrade() -> None:
    op.drop_table("official_positions")
    op.drop_table("reply_reports")
    op.drop_table("report_sends")
    op.drop_table("report_excerpts")
    op.drop_table("signature_districts")
    op.drop_table("signatures")
    op.drop_table("statements")

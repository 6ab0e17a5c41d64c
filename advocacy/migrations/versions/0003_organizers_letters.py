"""Organizers, letters per language and target group, and contact sources.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizers")),
        sa.UniqueConstraint("email", name=op.f("uq_organizers_email")),
    )
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("applies_to", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("editing", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_letters_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
    )
    with op.batch_alter_table("letters") as batch_op:
        batch_op.create_index(batch_op.f("ix_letters_campaign_id"), ["campaign_id"], unique=False)

    # One letter for each (campaign, language) that has versions, then link the versions to it.
    with op.batch_alter_table("letter_templates") as batch_op:
        batch_op.add_column(sa.Column("letter_id", sa.Integer(), nullable=True))
    connection = op.get_bind()
    letters = sa.table(
        "letters",
        sa.column("id", sa.Integer),
        sa.column("campaign_id", sa.Integer),
        sa.column("language", sa.String),
        sa.column("name", sa.String),
        sa.column("applies_to", sa.JSON),
        sa.column("position", sa.Integer),
        sa.column("editing", sa.String),
    )
    templates = sa.table(
        "letter_templates",
        sa.column("campaign_id", sa.Integer),
        sa.column("language", sa.String),
        sa.column("letter_id", sa.Integer),
    )
    pairs = connection.execute(
        sa.select(templates.c.campaign_id, templates.c.language).distinct()
    ).all()
    for campaign_id, language in pairs:
        letter_id = connection.execute(
            letters.insert()
            .values(
                campaign_id=campaign_id,
                language=language,
                name="",
                applies_to=[],
                position=0,
                editing="free",
            )
            .returning(letters.c.id)
        ).scalar_one()
        connection.execute(
            templates.update()
            .where(templates.c.campaign_id == campaign_id, templates.c.language == language)
            .values(letter_id=letter_id)
        )
    with op.batch_alter_table("letter_templates") as batch_op:
        batch_op.alter_column("letter_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("uq_letter_templates_campaign_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_letter_templates_letter_id"), ["letter_id", "version"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_letter_templates_letter_id_letters"), "letters", ["letter_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_letter_templates_letter_id"), ["letter_id"])

    with op.batch_alter_table("contact_actions") as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=40), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_actions") as batch_op:
        batch_op.drop_column("source")
    with op.batch_alter_table("letter_templates") as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_templates_letter_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_letter_templates_letter_id_letters"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_letter_templates_letter_id"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_letter_templates_campaign_id", ["campaign_id", "language", "version"]
        )
        batch_op.drop_column("letter_id")
    with op.batch_alter_table("letters") as batch_op:
        batch_op.drop_index(batch_op.f("ix_letters_campaign_id"))
    op.drop_table("letters")
    op.drop_table("organizers")

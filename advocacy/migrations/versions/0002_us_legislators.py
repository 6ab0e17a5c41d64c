"""US legislators: members of Congress loaded by ``advocacy refresh-us-legislators``.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "us_legislators",
        sa.Column("bioguide_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("chamber", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("district", sa.Integer(), nullable=True),
        sa.Column("state_rank", sa.String(length=10), nullable=False),
        sa.Column("party", sa.String(length=60), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("contact_form", sa.String(length=300), nullable=False),
        sa.Column("term_end", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bioguide_id", name=op.f("pk_us_legislators")),
    )
    with op.batch_alter_table("us_legislators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_us_legislators_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("us_legislators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_us_legislators_state"))

    op.drop_table("us_legislators")

"""Whether a letter was personalised, and a fingerprint against repeated identical letters.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_actions") as batch_op:
        batch_op.add_column(sa.Column("personalized", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_contact_actions_fingerprint"), ["fingerprint"])


def downgrade() -> None:
    with op.batch_alter_table("contact_actions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_actions_fingerprint"))
        batch_op.drop_column("fingerprint")
        batch_op.drop_column("personalized")

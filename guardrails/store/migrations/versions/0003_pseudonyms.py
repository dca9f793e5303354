"""pseudonym vault

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pseudonyms",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("token", sa.String(120), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scope", "digest", name="uq_pseudonyms_scope_digest"),
        sa.UniqueConstraint("scope", "token", name="uq_pseudonyms_scope_token"),
    )
    op.create_index("ix_pseudonyms_scope_entity_type", "pseudonyms", ["scope", "entity_type"])


def downgrade() -> None:
    op.drop_index("ix_pseudonyms_scope_entity_type", "pseudonyms")
    op.drop_table("pseudonyms")

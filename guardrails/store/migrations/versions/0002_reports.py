"""agent reports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False, index=True),
        sa.Column("run_id", sa.String(100), nullable=False, index=True),
        sa.Column("subject", sa.String(300), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body_json", sa.Text(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reports")

"""incidents: one row per firing alert (fingerprint + startsAt) the service triages

Labels and annotations are stored redacted. ``report_ids`` is a JSON list of triage report ids;
``slack_channel``/``slack_ts`` name the Slack thread the reports go to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, index=True),
        sa.Column("alertname", sa.String(200), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("severity", sa.String(40), nullable=False, server_default="warning"),
        sa.Column("source", sa.String(40), nullable=False, server_default="alertmanager"),
        sa.Column("labels_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("annotations_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report_ids", sa.Text, nullable=False, server_default="[]"),
        sa.Column("slack_channel", sa.String(100), nullable=True),
        sa.Column("slack_ts", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incidents")

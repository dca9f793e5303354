"""approval decisions: human requester and a decision MAC

``requested_by`` is the human who started the run (it may not approve it). ``decision_mac`` is an
HMAC-SHA256 over the decided approval (id, call binding, status, approver, time) made with a key kept
outside the database, so a row edited in SQL (status flipped, approver or digest changed) fails
verification when the run tries to spend it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "approvals", sa.Column("requested_by", sa.String(200), nullable=False, server_default="")
    )
    op.add_column("approvals", sa.Column("decision_mac", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("decision_mac")
        batch.drop_column("requested_by")

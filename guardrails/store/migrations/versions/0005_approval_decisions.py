"""approval decisions: human requester and a MAC of each approval state

``requested_by`` is the human who started the run (it may not decide its approvals). ``mac`` is an
HMAC-SHA256 over the approval's binding and state (status, approvers, decider, times) made with a key
kept outside the database, so a row edited in SQL (status flipped, approver or digest changed) fails
verification when it is decided or spent. Rows written before this revision have no MAC: they fail
verification and must be requested again.

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
    op.add_column("approvals", sa.Column("requested_by", sa.String(200), nullable=False, server_default=""))
    op.add_column("approvals", sa.Column("mac", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("mac")
        batch.drop_column("requested_by")

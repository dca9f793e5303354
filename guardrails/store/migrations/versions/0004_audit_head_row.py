"""audit head row exists from the start

The chain's head row is what concurrent appenders lock (``SELECT ... FOR UPDATE``). Creating it here,
not on the first append, means two replicas appending the very first record cannot both insert it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.execute(
        sa.text(
            "INSERT INTO audit_head (id, seq, hash) SELECT 1, 0, :genesis "
            "WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)"
        ).bindparams(genesis=GENESIS)
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM audit_head WHERE id = 1 AND seq = 0"))

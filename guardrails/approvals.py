"""Human approvals for ``needs_approval`` calls.

A pending approval is bound to the exact call: principal, run, tool, environment and a digest of the
(raw) arguments. It can be approved or denied once, by a principal the policy names as approver and who
is not the requester, before it expires. The gateway re-checks the binding when the call is retried
with the approval id, so an approval for ``fraud-scorer v3`` cannot be spent on ``v4``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from guardrails.store.db import Base, Database


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    USED = "used"


class ApprovalRow(Base):
    __tablename__ = "approvals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), index=True)
    requester: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str] = mapped_column(String(100), index=True)
    tool: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(20))
    arguments: Mapped[str] = mapped_column(Text, doc="redacted arguments, for the approver to read")
    arguments_digest: Mapped[str] = mapped_column(String(64))
    approvers: Mapped[str] = mapped_column(Text, doc="JSON list of principal patterns")
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Approval:
    id: str
    status: ApprovalStatus
    requester: str
    run_id: str
    tool: str
    environment: str
    arguments: str
    arguments_digest: str
    approvers: tuple[str, ...]
    reason: str
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    note: str


class ApprovalError(ValueError):
    """An approval action that cannot be taken (unknown id, not pending, not authorized)."""


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _to_approval(row: ApprovalRow, now: datetime) -> Approval:
    status = ApprovalStatus(row.status)
    if status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED) and _aware(row.expires_at) <= now:
        status = ApprovalStatus.EXPIRED
    return Approval(
        id=row.id,
        status=status,
        requester=row.requester,
        run_id=row.run_id,
        tool=row.tool,
        environment=row.environment,
        arguments=row.arguments,
        arguments_digest=row.arguments_digest,
        approvers=tuple(json.loads(row.approvers)),
        reason=row.reason,
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at),
        decided_by=row.decided_by,
        note=row.note,
    )


def _locked_row(session: Session, approval_id: str) -> ApprovalRow:
    row = session.get(ApprovalRow, approval_id, with_for_update=True)
    if row is None:
        raise ApprovalError(f"unknown approval {approval_id}")
    return row


class ApprovalStore:
    """Creates, decides and consumes approvals in the SQL store."""

    def __init__(self, db: Database, ttl: timedelta = timedelta(hours=1)) -> None:
        self.db = db
        self.ttl = ttl

    def request(
        self,
        *,
        requester: str,
        run_id: str,
        tool: str,
        environment: str,
        arguments: str,
        arguments_digest: str,
        approvers: tuple[str, ...],
        reason: str,
    ) -> Approval:
        """Create a pending approval, or return the pending one already bound to the same call."""
        now = datetime.now(UTC)
        with self.db.session() as session:
            existing = (
                session.execute(
                    select(ApprovalRow).where(
                        ApprovalRow.run_id == run_id,
                        ApprovalRow.tool == tool,
                        ApprovalRow.arguments_digest == arguments_digest,
                        ApprovalRow.status.in_([ApprovalStatus.PENDING.value, ApprovalStatus.APPROVED.value]),
                    )
                )
                .scalars()
                .first()
            )
            if existing is not None and _aware(existing.expires_at) > now:
                return _to_approval(existing, now)
            row = ApprovalRow(
                id=uuid.uuid4().hex,
                created_at=now,
                expires_at=now + self.ttl,
                status=ApprovalStatus.PENDING.value,
                requester=requester,
                run_id=run_id,
                tool=tool,
                environment=environment,
                arguments=arguments,
                arguments_digest=arguments_digest,
                approvers=json.dumps(list(approvers)),
                reason=reason,
            )
            session.add(row)
            return _to_approval(row, now)

    def get(self, approval_id: str) -> Approval:
        with self.db.session() as session:
            row = session.get(ApprovalRow, approval_id)
            if row is None:
                raise ApprovalError(f"unknown approval {approval_id}")
            return _to_approval(row, datetime.now(UTC))

    def pending(self) -> list[Approval]:
        now = datetime.now(UTC)
        with self.db.session() as session:
            rows = session.execute(
                select(ApprovalRow)
                .where(ApprovalRow.status == ApprovalStatus.PENDING.value)
                .order_by(ApprovalRow.created_at)
            )
            return [
                a
                for a in (_to_approval(r, now) for r in rows.scalars())
                if a.status is ApprovalStatus.PENDING
            ]

    def decide(
        self, approval_id: str, *, approver: str, approve: bool, authorized: bool, note: str = ""
    ) -> Approval:
        """Approve or deny a pending approval. ``authorized`` is the policy's verdict on ``approver``."""
        now = datetime.now(UTC)
        with self.db.session() as session:
            row = _locked_row(session, approval_id)
            current = _to_approval(row, now)
            if current.status is not ApprovalStatus.PENDING:
                raise ApprovalError(f"approval {approval_id} is {current.status.value}, not pending")
            if not authorized:
                raise ApprovalError(
                    f"{approver} may not decide approval {approval_id} "
                    f"(approvers: {', '.join(current.approvers)})"
                )
            if approver == row.requester:
                raise ApprovalError(f"{approver} requested approval {approval_id} and cannot approve it")
            row.status = (ApprovalStatus.APPROVED if approve else ApprovalStatus.DENIED).value
            row.decided_by, row.decided_at, row.note = approver, now, note
            if approve:  # the run has a fresh window to resume and spend it
                row.expires_at = now + self.ttl
            return _to_approval(row, now)

    def consume(self, approval_id: str, *, run_id: str, tool: str, arguments_digest: str) -> Approval:
        """Mark an approved approval used for exactly this call; raise if it does not fit."""
        now = datetime.now(UTC)
        with self.db.session() as session:
            row = _locked_row(session, approval_id)
            current = _to_approval(row, now)
            if current.status is not ApprovalStatus.APPROVED:
                raise ApprovalError(f"approval {approval_id} is {current.status.value}")
            if (row.run_id, row.tool, row.arguments_digest) != (run_id, tool, arguments_digest):
                raise ApprovalError(f"approval {approval_id} was granted for a different call")
            row.status = ApprovalStatus.USED.value
            return current

"""Human approvals for ``needs_approval`` calls.

A pending approval is bound to the exact call: principal, run, tool, environment and a digest of the
(raw) arguments. It can be approved or denied once, before it expires, by an authenticated principal
the policy names as approver who is neither the requester (the agent) nor the human who started the
run (``requested_by``). The gateway re-checks the binding when the call is retried with the approval
id, so an approval for ``fraud-scorer v3`` cannot be spent on ``v4``.

Every state an approval is written in (pending, approved, denied, used) carries ``mac``: an
HMAC-SHA256, under a key the database does not hold (:func:`guardrails.keyfiles.approval_key`), over
the binding, the approvers, the status, the decider and the times. A row edited in SQL — status
flipped to approved, ``decided_by``, ``requested_by``, the approvers, the digest or the expiry
changed — fails verification, and neither :meth:`ApprovalStore.decide` nor
:meth:`ApprovalStore.consume` accepts it.

Errors::

    ApprovalError (ValueError)   unknown id, not pending / approved, not authorized, self-approval,
                                 bound to another call, failed verification (edited in the database)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from guardrails.canonical import canonical_json
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
    requested_by: Mapped[str] = mapped_column(String(200), default="", doc="the human who started the run")
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
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True, doc="HMAC of the row's state")


@dataclass(frozen=True)
class Approval:
    id: str
    status: ApprovalStatus
    requester: str
    requested_by: str
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
    intact: bool  # the row's MAC verifies (False: edited in the database)


class ApprovalError(ValueError):
    """An approval action that cannot be taken (unknown id, not pending, not authorized, tampered)."""


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _when(ts: datetime | None) -> str | None:
    return None if ts is None else _aware(ts).astimezone(UTC).isoformat()


def _mac(key: bytes, row: ApprovalRow) -> str:
    """HMAC-SHA256 over everything that makes the row mean what it means (not the free-text fields)."""
    body = {
        "id": row.id,
        "status": row.status,
        "requester": row.requester,
        "requested_by": row.requested_by or "",
        "run_id": row.run_id,
        "tool": row.tool,
        "environment": row.environment,
        "arguments_digest": row.arguments_digest,
        "approvers": json.loads(row.approvers),
        "created_at": _when(row.created_at),
        "expires_at": _when(row.expires_at),
        "decided_by": row.decided_by,
        "decided_at": _when(row.decided_at),
    }
    return hmac.new(key, canonical_json(body).encode(), hashlib.sha256).hexdigest()


class ApprovalStore:
    """Creates, decides and consumes approvals in the SQL store, signing each state with ``key``."""

    def __init__(self, db: Database, key: bytes, ttl: timedelta = timedelta(hours=1)) -> None:
        if len(key) < 16:
            raise ValueError("the approval key must be at least 16 bytes")
        self.db = db
        self.ttl = ttl
        self._key = key

    def _intact(self, row: ApprovalRow) -> bool:
        return row.mac is not None and hmac.compare_digest(row.mac, _mac(self._key, row))

    def _sign(self, row: ApprovalRow) -> None:
        row.mac = _mac(self._key, row)

    def _view(self, row: ApprovalRow, now: datetime) -> Approval:
        status = ApprovalStatus(row.status)
        if status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED) and _aware(row.expires_at) <= now:
            status = ApprovalStatus.EXPIRED
        return Approval(
            id=row.id,
            status=status,
            requester=row.requester,
            requested_by=row.requested_by or "",
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
            intact=self._intact(row),
        )

    def _locked(self, session: Session, approval_id: str, now: datetime) -> tuple[ApprovalRow, Approval]:
        """The row (locked) and its view; raise when unknown or when it fails verification."""
        row = session.get(ApprovalRow, approval_id, with_for_update=True)
        if row is None:
            raise ApprovalError(f"unknown approval {approval_id}")
        current = self._view(row, now)
        if not current.intact:
            raise ApprovalError(
                f"approval {approval_id} fails verification: it was changed in the database, not by Referent"
            )
        return row, current

    def request(
        self,
        *,
        requester: str,
        requested_by: str | None,
        run_id: str,
        tool: str,
        environment: str,
        arguments: str,
        arguments_digest: str,
        approvers: tuple[str, ...],
        reason: str,
    ) -> Approval:
        """Create a pending approval, or return the intact pending one already bound to the same call."""
        now = datetime.now(UTC)
        with self.db.session() as session:
            candidates = session.execute(
                select(ApprovalRow).where(
                    ApprovalRow.run_id == run_id,
                    ApprovalRow.tool == tool,
                    ApprovalRow.arguments_digest == arguments_digest,
                    ApprovalRow.status.in_([ApprovalStatus.PENDING.value, ApprovalStatus.APPROVED.value]),
                )
            ).scalars()
            for existing in candidates:
                view = self._view(existing, now)
                if view.intact and view.status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED):
                    return view
            row = ApprovalRow(
                id=uuid.uuid4().hex,
                created_at=now,
                expires_at=now + self.ttl,
                status=ApprovalStatus.PENDING.value,
                requester=requester,
                requested_by=requested_by or "",
                run_id=run_id,
                tool=tool,
                environment=environment,
                arguments=arguments,
                arguments_digest=arguments_digest,
                approvers=json.dumps(list(approvers)),
                reason=reason,
                note="",
            )
            self._sign(row)
            session.add(row)
            return self._view(row, now)

    def get(self, approval_id: str) -> Approval:
        with self.db.session() as session:
            row = session.get(ApprovalRow, approval_id)
            if row is None:
                raise ApprovalError(f"unknown approval {approval_id}")
            return self._view(row, datetime.now(UTC))

    def pending(self) -> list[Approval]:
        """Pending approvals, oldest first (rows failing verification included, with ``intact=False``)."""
        now = datetime.now(UTC)
        with self.db.session() as session:
            rows = session.execute(
                select(ApprovalRow)
                .where(ApprovalRow.status == ApprovalStatus.PENDING.value)
                .order_by(ApprovalRow.created_at)
            )
            return [
                a for a in (self._view(r, now) for r in rows.scalars()) if a.status is ApprovalStatus.PENDING
            ]

    def decide(
        self, approval_id: str, *, approver: str, approve: bool, authorized: bool, note: str = ""
    ) -> Approval:
        """Approve or deny a pending approval. ``approver`` must be authenticated by the caller;
        ``authorized`` is the policy's verdict on it."""
        now = datetime.now(UTC)
        with self.db.session() as session:
            row, current = self._locked(session, approval_id, now)
            if current.status is not ApprovalStatus.PENDING:
                raise ApprovalError(f"approval {approval_id} is {current.status.value}, not pending")
            if not authorized:
                raise ApprovalError(
                    f"{approver} may not decide approval {approval_id} "
                    f"(approvers: {', '.join(current.approvers)})"
                )
            if approver in (current.requester, current.requested_by):
                raise ApprovalError(
                    f"{approver} requested approval {approval_id} (started the run) and cannot decide it"
                )
            row.status = (ApprovalStatus.APPROVED if approve else ApprovalStatus.DENIED).value
            row.decided_by, row.decided_at, row.note = approver, now, note
            if approve:  # the run has a fresh window to resume and spend it
                row.expires_at = now + self.ttl
            self._sign(row)
            return self._view(row, now)

    def consume(self, approval_id: str, *, run_id: str, tool: str, arguments_digest: str) -> Approval:
        """Mark an approved, intact approval used for exactly this call; raise if it does not fit."""
        now = datetime.now(UTC)
        with self.db.session() as session:
            row, current = self._locked(session, approval_id, now)
            if current.status is not ApprovalStatus.APPROVED:
                raise ApprovalError(f"approval {approval_id} is {current.status.value}")
            if (row.run_id, row.tool, row.arguments_digest) != (run_id, tool, arguments_digest):
                raise ApprovalError(f"approval {approval_id} was granted for a different call")
            row.status = ApprovalStatus.USED.value
            self._sign(row)
            return current

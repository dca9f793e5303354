"""Persisted agent reports (triage, runbook, rightsizing, FinOps, promotion)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from guardrails.store.db import Base, Database


class ReportRow(Base):
    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    run_id: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body_json: Mapped[str] = mapped_column(Text)
    markdown: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class StoredReport:
    id: str
    kind: str
    run_id: str
    subject: str
    created_at: datetime
    body_json: str
    markdown: str


def _stored(row: ReportRow) -> StoredReport:
    return StoredReport(
        row.id, row.kind, row.run_id, row.subject, row.created_at, row.body_json, row.markdown
    )


class ReportStore:
    """Saves and finds reports. Callers pass already-redacted content (reports are built from gateway output)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, *, kind: str, run_id: str, subject: str, body_json: str, markdown: str) -> str:
        report_id = f"{kind}-{uuid.uuid4().hex[:12]}"
        with self.db.session() as session:
            session.add(
                ReportRow(
                    id=report_id,
                    kind=kind,
                    run_id=run_id,
                    subject=subject,
                    created_at=datetime.now(UTC),
                    body_json=body_json,
                    markdown=markdown,
                )
            )
        return report_id

    def get(self, report_id: str) -> StoredReport | None:
        with self.db.session() as session:
            row = session.get(ReportRow, report_id)
            return _stored(row) if row else None

    def list(self, kind: str | None = None, limit: int = 50) -> list[StoredReport]:
        with self.db.session() as session:
            query = select(ReportRow).order_by(ReportRow.created_at.desc()).limit(limit)
            if kind:
                query = query.where(ReportRow.kind == kind)
            return [_stored(r) for r in session.execute(query).scalars()]

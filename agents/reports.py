"""Persisted agent reports (triage, runbook, rightsizing, FinOps, promotion), redacted whole.

Nothing raw is persisted, printed or sent: an agent finalises its report with :func:`redact_report`
(the whole typed object through the gateway's structure-aware redactor, once), and the
:class:`ReportStore` given a redactor redacts every column it writes again as a backstop (redaction
is idempotent: an existing ``<ENTITY_n>`` token is never re-tokenised).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from guardrails.calls import Redacting
from guardrails.store.db import Base, Database

ReportT = TypeVar("ReportT", bound=BaseModel)


def redact_report(report: ReportT, redactor: Redacting, scope: str) -> ReportT:
    """A copy of ``report`` with every field redacted (labels, URLs, queries, values, free text).

    Args:
        report: Any pydantic report; it is dumped to JSON data, redacted structure-aware
            (sensitive keys masked whatever their value) and validated back into the same type.
        redactor: The gateway's redactor.
        scope: Pseudonym scope of the run (same value → same token as in the run's evidence).
    """
    return type(report).model_validate(redactor.redact_obj(report.model_dump(mode="json"), scope))


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
    """Saves and finds reports.

    With a ``redactor`` every column written (subject, the JSON body structure-aware, the Markdown)
    is redacted in the run's scope before it reaches the database; without one, callers must pass
    content already finalised by :func:`redact_report`.
    """

    def __init__(self, db: Database, redactor: Redacting | None = None) -> None:
        self.db = db
        self.redactor = redactor

    def save(self, *, kind: str, run_id: str, subject: str, body_json: str, markdown: str) -> str:
        """Store one report and return its id (``<kind>-<12 hex>``)."""
        if self.redactor is not None:
            subject = self.redactor.redact_text(subject, run_id)
            body_json = json.dumps(
                self.redactor.redact_obj(json.loads(body_json), run_id), ensure_ascii=False
            )
            markdown = self.redactor.redact_text(markdown, run_id)
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
